// 8. Shared state (cognigy-guard/redis, a redis-server of its own on loopback): the success path of
// `CircuitBreaker.execute` without a store, with a store and the default 1 s lease, and with a
// store and no lease (`leaseMs: 0`: every call reads the record), plus the store round trips per
// call of each (counted by wrapping the store's two operations). Skipped when redis-server is not
// installed (scripts/setup.sh installs it).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { compare } from '../lib/stats.mjs';
import { loadGuard, pkgDir, root } from '../lib/paths.mjs';
import { createRequire } from 'node:module';

function hasRedis() {
  try {
    execFileSync('redis-server', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The store with its round trips counted (every operation but `close`). */
function counted(store) {
  const counts = { trips: 0 };
  for (const op of Object.keys(store)) {
    const real = store[op];
    if (typeof real !== 'function' || op === 'close') continue;
    store[op] = (...args) => {
      counts.trips += 1;
      return real(...args);
    };
  }
  return counts;
}

/** A `fetch` answering at once (the store's cost, not the network's, is measured). */
function stubFetch() {
  const headers = new Headers({ 'content-type': 'application/json', 'content-length': '8' });
  return async () => ({ status: 200, headers, text: async () => '{"t":21}', body: null });
}

/** `TimeoutManager.call` (API key, stub fetch) without and with the store: cost and round trips. */
async function benchManager(g, createRedisStore, server, cfg, stores) {
  const policy = { endpointId: 'bench', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} };
  const make = async (store) => {
    const m = new g.TimeoutManager({ baseUrl: 'https://api.example.com', auth: { apiKey: 'bench-key-1234' }, fetch: stubFetch(), ...(store ? { store } : {}) });
    await m.configureTimeout(policy);
    await m.call('bench', { url: '/x' });
    return m;
  };
  const store = createRedisStore({ url: server.url, keyPrefix: 'bench-m:' });
  stores.push(store);
  const counts = counted(store);
  const managers = { 'guarded call, no store': await make(undefined), 'guarded call, store': await make(store) };
  const calls = {};
  const before = counts.trips;
  const variants = Object.fromEntries(Object.entries(managers).map(([name, m]) => [name, async (n) => {
    calls[name] = (calls[name] ?? 0) + n;
    for (let i = 0; i < n; i += 1) await m.call('bench', { url: '/x' });
  }]));
  const result = await compare(variants, cfg.store);
  const base = result['guarded call, no store'].median;
  const rows = Object.entries(result).map(([name, s]) => ({
    group: 'TimeoutManager.call with shared state (Redis), stub fetch', name, median: s.median, p25: s.p25, p75: s.p75, unit: 'ns/call',
    overhead: name === 'guarded call, no store' ? null : s.median - base,
  }));
  const perCall = (counts.trips - before) / (calls['guarded call, store'] || 1);
  rows.push({ group: 'store round trips per call (success path)', name: 'guarded call, store', note: perCall.toFixed(3) });
  return { rows, data: { result, roundTripsPerCall: perCall } };
}

export async function benchStore(cfg) {
  if (!hasRedis()) return { rows: [{ group: 'shared state (Redis)', name: 'skipped: redis-server not installed', note: '' }], targets: [], data: {} };
  const { startRedis } = await import(join(root, 'tests', 'js', 'redis-server.mjs'));
  const { createRedisStore } = createRequire(join(pkgDir, 'package.json'))(join(pkgDir, 'redis.cjs'));
  const g = loadGuard();
  const server = await startRedis();
  const stores = [];
  try {
    const work = () => Promise.resolve(1);
    const breakers = { 'no store': new g.CircuitBreaker({}) };
    const trips = {};
    for (const [name, leaseMs] of [['store, lease 1 s (default)', undefined], ['store, leaseMs: 0', 0]]) {
      const store = createRedisStore({ url: server.url, keyPrefix: 'bench:' });
      stores.push(store);
      trips[name] = counted(store);
      breakers[name] = new g.CircuitBreaker({ store, name: 'bench', ...(leaseMs === undefined ? {} : { leaseMs }) });
      await breakers[name].execute(work);
    }
    const loop = (b) => async (n) => { for (let i = 0; i < n; i += 1) await b.execute(work); };
    const calls = { 'no store': 0 };
    const before = Object.fromEntries(Object.entries(trips).map(([n, c]) => [n, c.trips]));
    const variants = Object.fromEntries(Object.entries(breakers).map(([name, b]) => [name, async (n) => {
      calls[name] = (calls[name] ?? 0) + n;
      await loop(b)(n);
    }]));
    const result = await compare(variants, cfg.store);
    const base = result['no store'].median;
    const rows = Object.entries(result).map(([name, s]) => ({
      group: 'breaker with shared state (Redis), success path', name, median: s.median, p25: s.p25, p75: s.p75, unit: 'ns/call',
      overhead: name === 'no store' ? null : s.median - base,
    }));
    const perCall = Object.fromEntries(Object.entries(trips).map(([n, c]) => [n, (c.trips - before[n]) / calls[n]]));
    for (const [name, value] of Object.entries(perCall)) {
      rows.push({ group: 'store round trips per call (success path)', name, note: value.toFixed(3) });
    }
    const manager = await benchManager(g, createRedisStore, server, cfg, stores);
    rows.push(...manager.rows);
    return { rows, targets: [], data: { result, roundTripsPerCall: perCall, manager: manager.data } };
  } finally {
    for (const store of stores) await store.close();
    await server.stop();
  }
}
