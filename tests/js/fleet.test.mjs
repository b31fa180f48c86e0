// Shared state on Redis (API.md "Shared state", issue 15): real redis-server processes (one per
// test, on a free loopback port, stopped by the test) and several Node processes
// (tests/js/fleet-worker.mjs) sharing one CircuitBreaker.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { freePort, startRedis } from './redis-server.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, '..', '..', 'pkg');
const require = createRequire(join(pkg, 'package.json'));
const g = require(join(pkg, 'node', 'index.cjs'));
const { CircuitBreaker, GuardError } = g;
const { createRedisStore } = require(join(pkg, 'redis.cjs'));
const redis = require('redis');
const SECRET = 'fleet-test-secret-7f3a';

/** An upstream on loopback: `mode` 'down' answers 500, 'up' 200 after `delayMs`; every hit is logged. */
async function upstream() {
  const u = { mode: 'down', delayMs: 0, hits: [] };
  const server = createServer((req, res) => {
    if (req.url === '/warmup') return res.end();
    const hit = { start: Date.now(), end: null, mode: u.mode };
    u.hits.push(hit);
    const answer = () => {
      hit.end = Date.now();
      res.writeHead(u.mode === 'up' ? 200 : 500).end('{}');
    };
    if (u.delayMs > 0) setTimeout(answer, u.delayMs);
    else answer();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  u.url = `http://127.0.0.1:${server.address().port}/weather`;
  u.close = () => new Promise((r) => server.close(r));
  return u;
}

/** Runs node with `args`; resolves to its stdout once it exited 0 (killed after `timeoutMs`). */
function node(args, timeoutMs) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.on('data', (d) => { out += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve(out);
      else reject(new Error(`node ${args[0]} exited with ${code}: ${out}`));
    });
  });
}

/** Runs `count` worker processes with options `o`; resolves to their results. */
function fleet(count, o) {
  const startAt = Date.now() + 1000;
  const args = [join(here, 'fleet-worker.mjs'), JSON.stringify({ ...o, startAt, secret: SECRET })];
  return Promise.all(Array.from({ length: count }, () => node(args, o.durationMs + 15000).then(JSON.parse)));
}

/** Every key under `prefix` with every field value, as text. */
async function dump(url, prefix) {
  const client = redis.createClient({ url });
  client.on('error', () => {});
  await client.connect();
  const keys = await client.keys(`${prefix}*`);
  const all = {};
  for (const key of keys) all[key] = (await client.type(key)) === 'hash' ? await client.hGetAll(key) : await client.get(key);
  await client.quit();
  return all;
}

/** Starts Redis on `port`, runs `step` every 100 ms until `recovered()` (5 s at most), then closes `store` and stops Redis. */
async function recoverOn(port, store, step, recovered) {
  const server = await startRedis(port);
  try {
    const deadline = Date.now() + 5000;
    while (!recovered() && Date.now() < deadline) {
      await step();
      await new Promise((r) => setTimeout(r, 100));
    }
  } finally {
    await store.close();
    await server.stop();
  }
}

const recordOf = (all, prefix, name) => JSON.parse(all[`${prefix}breaker:${name}`].rec);
const breaker = { failureThreshold: 3, resetTimeoutMs: 2500, halfOpenMaxCalls: 1, successThreshold: 1 };

test('four processes share one breaker: a failing upstream gets at most failureThreshold + 4 requests, one probe after the reset timeout, and one success closes it for all', async () => {
  const server = await startRedis();
  const up = await upstream();
  try {
    const o = { redisUrl: server.url, keyPrefix: 'fleet-a:', name: 'weather', upstream: up.url, breaker, intervalMs: 10 };
    const outage = await fleet(4, { ...o, durationMs: 600 });
    const failing = up.hits.length;
    assert.ok(failing >= 3 && failing <= 3 + 4, `requests during the outage: ${failing}`);
    for (const w of outage) assert.ok(w.calls.some((c) => c.outcome === 'refused'), `every process saw the breaker open: ${JSON.stringify(w)}`);
    const open = recordOf(await dump(server.url, 'fleet-a:'), 'fleet-a:', 'weather');
    assert.equal(open.state, 'open');

    up.mode = 'up';
    up.delayMs = 150;
    // The recovery fleet starts (1 s after launch) once the reset timeout has elapsed.
    await new Promise((r) => setTimeout(r, Math.max(0, open.openUntilMs - Date.now() - 900)));
    const recovery = await fleet(4, { ...o, durationMs: 1500 });
    const hits = up.hits.slice(failing);
    const firstEnd = Math.min(...hits.map((h) => h.end));
    const probes = hits.filter((h) => h.start < firstEnd);
    assert.equal(probes.length, 1, 'one probe across the fleet until it answered');
    for (const w of recovery) {
      assert.equal(w.calls.at(-1).outcome, 'ok');
      assert.equal(w.state, 'closed');
    }
    const all = await dump(server.url, 'fleet-a:');
    const history = recordOf(all, 'fleet-a:', 'weather').history.map((h) => `${h.from}>${h.to}`);
    assert.deepEqual(history, ['closed>open', 'open>half_open', 'half_open>closed']);
    const text = JSON.stringify(all);
    assert.ok(!text.includes(SECRET) && !/bearer|authorization/i.test(text), text);
  } finally {
    await up.close();
    await server.stop();
  }
});

test('eight processes hammering a failing upstream open the shared breaker once', async () => {
  const server = await startRedis();
  const up = await upstream();
  try {
    await fleet(8, { redisUrl: server.url, keyPrefix: 'fleet-b:', name: 'w', upstream: up.url, breaker: { ...breaker, resetTimeoutMs: 5000 }, intervalMs: 0, durationMs: 500 });
    const record = recordOf(await dump(server.url, 'fleet-b:'), 'fleet-b:', 'w');
    assert.deepEqual(record.history.map((h) => `${h.from}>${h.to}`), ['closed>open']);
    assert.ok(up.hits.length <= 3 + 8, `requests: ${up.hits.length}`);
  } finally {
    await up.close();
    await server.stop();
  }
});

test('Redis killed mid-run: calls keep answering within their bound and count storeErrors; restarted, sharing resumes', async () => {
  let server = await startRedis();
  const { port } = server;
  const up = await upstream();
  up.mode = 'up';
  try {
    const run = fleet(2, { redisUrl: server.url, keyPrefix: 'fleet-c:', name: 'w', upstream: up.url,
      breaker: { ...breaker, resetTimeoutMs: 5000, leaseMs: 0 }, intervalMs: 20, durationMs: 4000 });
    const t0 = Date.now() + 1000;
    const at = (ms) => new Promise((r) => setTimeout(r, t0 + ms - Date.now()));
    await at(500);
    await server.stop();
    await at(1200);
    server = await startRedis(port);
    await at(2800);
    up.mode = 'down';
    const downFrom = up.hits.length;
    const workers = await run;
    for (const w of workers) {
      assert.ok(w.storeErrors > 0, 'store errors counted');
      const slowest = Math.max(...w.calls.map((c) => c.ms));
      assert.ok(slowest < 1000, `slowest call ${slowest} ms`);
      assert.ok(w.calls.filter((c) => c.at > t0 + 550 && c.at < t0 + 1150).every((c) => c.outcome === 'ok'), 'answered while Redis was down');
    }
    assert.ok(up.hits.length - downFrom <= 3 + 2, `requests after the restart's outage began: ${up.hits.length - downFrom}`);
    assert.equal(recordOf(await dump(server.url, 'fleet-c:'), 'fleet-c:', 'w').state, 'open');
  } finally {
    await up.close();
    await server.stop();
  }
});

test('a store that is down from the start: execute decides locally, counts errors, reports unavailable then recovered', async () => {
  const port = await freePort();
  const events = [];
  const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'fleet-d:', onEvent: (e) => events.push(e.type) });
  const b = new CircuitBreaker({ failureThreshold: 2, store, name: 'solo', leaseMs: 0 });
  try {
    await assert.rejects(b.execute(() => Promise.reject(new Error('x'))), /x/);
    await assert.rejects(b.execute(() => Promise.reject(new Error('x'))), /x/);
    await assert.rejects(b.execute(() => 1), (e) => e instanceof GuardError && e.code === 'CIRCUIT_OPEN');
    assert.ok(store.status().errors >= 3 && !store.status().available);
    assert.deepEqual(events, ['store_unavailable']);
    await recoverOn(port, store, () => b.execute(() => 1).catch(() => {}), () => store.status().available);
    assert.deepEqual(events, ['store_unavailable', 'store_recovered']);
  } finally {
    await store.close();
  }
});

test('createRedisStore and a breaker with a store reject bad options with GuardError(CONFIG)', () => {
  const config = (e) => e instanceof GuardError && e.code === 'CONFIG';
  assert.throws(() => createRedisStore({}), config);
  assert.throws(() => createRedisStore({ url: 'http://x' }), config);
  assert.throws(() => createRedisStore({ url: 'redis://x', client: {} }), config);
  assert.throws(() => createRedisStore({ url: 'redis://x', keyPrefix: '' }), config);
  assert.throws(() => createRedisStore({ url: 'redis://x', timeoutMs: 0 }), config);
  const store = createRedisStore({ url: 'redis://127.0.0.1:1' });
  assert.throws(() => new CircuitBreaker({ store }), config);
  assert.throws(() => new CircuitBreaker({ store, name: 'x', leaseMs: -1 }), config);
  const b = new CircuitBreaker({ store, name: 'x' });
  assert.deepEqual(b.warnings, []);
  assert.deepEqual(JSON.parse(JSON.stringify({ store })), { store: { store: 'redis', keyPrefix: 'cognigy-guard:' } });
});

test('TimeoutManager with a store: three managers share the endpoint breaker and the last-known-good cache per request key; nothing secret is written', async () => {
  const server = await startRedis();
  const up = await upstream();
  const stores = [1, 2, 3].map(() => createRedisStore({ url: server.url, keyPrefix: 'fleet-m:' }));
  try {
    const managers = stores.map((store) => new g.TimeoutManager({ baseUrl: new URL(up.url).origin, allowInsecureHttp: true,
      breaker: { failureThreshold: 3, resetTimeoutMs: 60000 }, store }));
    for (const m of managers) {
      assert.deepEqual(m.warnings, []);
      await m.configureTimeout({ endpointId: 'w', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } });
    }
    const headers = { authorization: `Bearer ${SECRET}` };
    const fallbackTemplate = { t: 1 };
    up.mode = 'up';
    const live = await managers[0].call('w', { url: `/weather?city=x&key=${SECRET}`, headers });
    assert.equal(live.source, 'live');
    up.mode = 'down';
    const cached = await managers[1].call('w', { url: `/weather?city=x&key=${SECRET}`, headers });
    assert.equal(cached.source, 'cache', 'the answer cached by one manager serves another for the same request');
    const other = await managers[1].call('w', { url: `/weather?city=y&key=${SECRET}`, headers, fallbackTemplate });
    assert.equal(other.source, 'fallback', 'and only for the same request key');
    // Two failures so far (managers[1]); one more anywhere opens the shared breaker.
    await managers[2].call('w', { url: '/weather?city=z', headers, fallbackTemplate });
    const hits = up.hits.length;
    for (const m of managers) {
      const r = await m.call('w', { url: '/weather?city=z', headers, fallbackTemplate });
      assert.equal(r.circuit, 'open');
    }
    assert.equal(up.hits.length, hits, 'no manager sends while the shared breaker is open');
    const text = JSON.stringify(await dump(server.url, 'fleet-m:'));
    assert.ok(!text.includes(SECRET) && !/bearer|authorization|city=/i.test(text), text);
    for (const m of managers) assert.equal(m.metrics().storeErrors, 0);
  } finally {
    for (const store of stores) await store.close();
    await up.close();
    await server.stop();
  }
});

test('TimeoutManager with a store that is down: calls answer, storeErrors counts, the audit log says store_unavailable then store_recovered', async () => {
  const port = await freePort();
  const up = await upstream();
  up.mode = 'up';
  const store = createRedisStore({ url: `redis://127.0.0.1:${port}`, keyPrefix: 'fleet-n:' });
  try {
    const m = new g.TimeoutManager({ baseUrl: new URL(up.url).origin, allowInsecureHttp: true, store, deadlineMs: 3000 });
    await m.configureTimeout({ endpointId: 'w', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } });
    const started = Date.now();
    assert.equal((await m.call('w', { url: '/weather' })).source, 'live');
    assert.ok(Date.now() - started < 3000);
    assert.ok(m.metrics().storeErrors > 0);
    await recoverOn(port, store, () => m.call('w', { url: '/weather' }), () => m.auditLog().some((r) => r.eventType === 'store_recovered'));
    const events = m.auditLog().map((r) => r.eventType).filter((t) => t.startsWith('store_'));
    assert.deepEqual(events, ['store_unavailable', 'store_recovered']);
  } finally {
    await store.close();
    await up.close();
  }
});

test('cognigy-guard demo --redis URL shows four worker processes sharing one breaker', async () => {
  const server = await startRedis();
  try {
    const out = await node([join(pkg, 'bin', 'cognigy-guard.js'), 'demo', '--exit', '--port', '0', '--redis', server.url], 120000);
    const sent = Number(out.match(/(\d+) requests reached the failing service from 4 processes/)?.[1]);
    assert.ok(sent >= 3 && sent <= 3 + 4, out);
    assert.match(out, /refused by the shared breaker/);
    assert.match(out.split('outage over').at(-1), /answered 200/);
  } finally {
    await server.stop();
  }
});
