// TimeoutManager and CircuitBreaker of the built package, against the simulator (real HTTP on loopback).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);
const { startSimulator } = require('../../sim');

const CLIENT = { id: 'guard-client', secret: 'guard-client-secret-7f3a' };
const API_KEY = 'guard-api-key-91bc';
const SEED_TEMPLATE = '{"message": "Service temporarily unavailable. Please try again.", "metadata": {}}';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function withSim(options, fn) {
  const sim = await startSimulator({ clients: [CLIENT], apiKeys: [API_KEY], ...options });
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

const oauth = (extra = {}) => ({
  clientId: CLIENT.id,
  clientSecret: CLIENT.secret,
  scopes: ['externalService:write', 'bot:read', 'metrics:write', 'audit:write'],
  ...extra,
});

function seedManager(sim, extra = {}) {
  return new g.TimeoutManager({ api: 'seed-v1', baseUrl: sim.url, auth: oauth(), webhookUrl: sim.url, ...extra });
}

const tokenRequests = (sim) => sim.requests({ method: 'POST' }).filter((r) => r.path.endsWith('/oauth/token')).length;

test('CircuitBreaker: opens, refuses, half-opens after resetTimeoutMs, closes with recovery latency', async () => {
  let t = 1_000_000;
  const b = new g.CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 1000, now: () => t });
  assert.equal(b.state, 'closed');
  for (let i = 0; i < 2; i++) { assert.equal(b.tryAcquire().allowed, true); b.recordFailure(); }
  assert.equal(b.state, 'open');
  assert.deepEqual(b.tryAcquire(), { allowed: false, state: 'open', retryAfterMs: 1000 });
  await assert.rejects(b.execute(async () => 1), (e) => e.name === 'GuardError' && e.code === 'CIRCUIT_OPEN');
  t += 1000;
  assert.equal(b.state, 'half_open');
  assert.equal(await b.execute(async () => 42), 42);
  assert.equal(b.state, 'closed');
  const closing = b.history().at(-1);
  assert.equal(closing.to, 'closed');
  assert.equal(closing.recoveryLatencyMs, 1000);
  assert.equal(b.stats().lastRecoveryLatencyMs, 1000);
  b.forceOpen();
  const restored = g.CircuitBreaker.fromSnapshot(JSON.parse(JSON.stringify(b.snapshot())), { resetTimeoutMs: 1000, now: () => t });
  assert.equal(restored.state, 'open');
  await assert.rejects(b.execute(() => { throw new Error('x'); }), (e) => e.code === 'CIRCUIT_OPEN');
  assert.throws(() => new g.CircuitBreaker({ failureThreshold: -1 }), (e) => e.code === 'CONFIG');
});

test('CircuitBreaker manual API: the admission carries its permit; a stale permit never settles a probe', () => {
  let t = 1_000_000;
  const b = new g.CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1000, halfOpenMaxCalls: 1, successThreshold: 1, now: () => t });
  const closed = b.tryAcquire();
  assert.equal(closed.allowed, true);
  assert.ok(Number.isSafeInteger(closed.permit) && closed.permit >= 0, JSON.stringify(closed));
  const failing = b.tryAcquire();
  b.recordFailure(failing.permit);
  assert.equal(b.state, 'open');
  assert.equal('permit' in b.tryAcquire(), false, 'a refused admission has no permit');
  t += 1000;
  const probe = b.tryAcquire();
  assert.deepEqual({ ...probe, permit: typeof probe.permit }, { allowed: true, state: 'half_open', retryAfterMs: 0, permit: 'number' });
  assert.notEqual(probe.permit, closed.permit);
  // The call admitted while closed succeeds now: counted, but it is not the probe.
  b.recordSuccess(5, closed.permit);
  assert.equal(b.state, 'half_open', 'a permit of an earlier period never closes the breaker');
  assert.equal(b.tryAcquire().allowed, false, 'the probe still holds the only slot');
  assert.equal(b.stats().successes, 1);
  b.release(closed.permit); // stale: frees nothing
  assert.equal(b.tryAcquire().allowed, false);
  b.recordSuccess(5, probe.permit);
  assert.equal(b.state, 'closed');
  // A released probe frees its slot; without a permit the record calls work as before (the oldest probe).
  b.forceOpen();
  t += 1000;
  const unused = b.tryAcquire();
  assert.equal(unused.state, 'half_open');
  b.release(unused.permit);
  assert.equal(b.tryAcquire().allowed, true);
  b.recordSuccess(5);
  assert.equal(b.state, 'closed');
  for (const bad of [-1, 1.5, Number.NaN, '3', {}]) {
    assert.throws(() => b.recordFailure(bad), (e) => e.name === 'GuardError' && e.code === 'CONFIG' && /permit/.test(e.message), String(bad));
  }
  assert.equal(b.stats().failures, 1, 'a bad permit records nothing');
});

test('CircuitBreaker.execute: a refusal is a GuardError built without a stack trace unless asked', async () => {
  let t = 1_000;
  const b = new g.CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 1000, now: () => t });
  b.forceOpen();
  t += 250;
  const refused = await b.execute(async () => 1).catch((e) => e);
  assert.ok(refused instanceof g.GuardError && refused instanceof Error);
  assert.equal(refused.name, 'GuardError');
  assert.equal(refused.code, 'CIRCUIT_OPEN');
  assert.equal(refused.retryAfterMs, 750);
  assert.equal(refused.message, 'circuit open; retry in 750 ms');
  assert.deepEqual(Object.keys(refused).sort(), ['code', 'retryAfterMs']);
  assert.equal(refused.stack, 'GuardError: circuit open; retry in 750 ms', 'no frames captured by default');
  const limit = Error.stackTraceLimit;
  const asked = await b.execute(async () => 1, { captureStack: true }).catch((e) => e);
  assert.equal(Error.stackTraceLimit, limit, 'the global limit is restored');
  assert.equal(asked.code, 'CIRCUIT_OPEN');
  assert.match(asked.stack, /\n\s+at /, 'captureStack: true keeps the frames');
  assert.equal(b.stats().rejections, 2);
});

test('CircuitBreaker.execute: settles like fn, records sync throws, latency from the clock, probes while half-open', async () => {
  let t = 5_000;
  const b = new g.CircuitBreaker({ failureThreshold: 2, resetTimeoutMs: 100, slowCallMs: 50, now: () => t });
  await assert.rejects(b.execute(42), TypeError);
  assert.equal(b.stats().calls, 0, 'a non-function is refused before admission');
  const thrown = new Error('sync');
  await assert.rejects(b.execute(() => { throw thrown; }), (e) => e === thrown);
  await assert.rejects(b.execute(() => Promise.reject(thrown)), (e) => e === thrown);
  assert.equal(b.stats().failures, 2);
  assert.equal(b.state, 'open');
  t += 100;
  let finish;
  const probe = b.execute(() => new Promise((resolve) => { finish = resolve; }));
  await assert.rejects(b.execute(async () => 'second'), (e) => e.code === 'CIRCUIT_OPEN' && e.retryAfterMs >= 1);
  t += 80; // a slow probe counts as a failure: the breaker reopens
  finish('late');
  assert.equal(await probe, 'late');
  assert.equal(b.state, 'open');
  assert.equal(b.stats().slowCalls, 1);
  t += 1_000;
  assert.equal(await b.execute(() => 'plain value'), 'plain value');
  assert.equal(b.state, 'closed');
});

test('CircuitBreaker.execute: each call keeps its own start instant, across breakers and wasm memory growth', async () => {
  let t = 1_000;
  const a = new g.CircuitBreaker({ failureThreshold: 1, slowCallMs: 50, now: () => t });
  const b = new g.CircuitBreaker({ failureThreshold: 1, slowCallMs: 50, now: () => t });
  let finishA;
  const slowA = a.execute(() => new Promise((resolve) => { finishA = resolve; }));
  t += 40;
  let finishB;
  const fastB = b.execute(() => new Promise((resolve) => { finishB = resolve; }));
  // Grows the wasm memory (a detached view of the start slot is made again).
  const before = g.wasmMemoryBytes();
  g.aggregateResults(JSON.stringify({ test_results: Array.from({ length: 20_000 }, (_, i) => ({ input_text: `case ${i}`, passed: true, outcome: {} })) }));
  assert.ok(g.wasmMemoryBytes() > before, 'the memory grew');
  t += 20;
  finishA('a');
  finishB('b');
  assert.deepEqual([await slowA, await fastB], ['a', 'b']);
  assert.equal(a.stats().slowCalls, 1, 'a took 60 ms');
  assert.equal(a.state, 'open');
  assert.equal(b.stats().slowCalls, 0, 'b took 20 ms');
  assert.equal(b.state, 'closed');
  // Admitted after the growth: its start instant is read through a new view.
  let finishLate;
  const late = b.execute(() => new Promise((resolve) => { finishLate = resolve; }));
  t += 60;
  finishLate('late');
  assert.equal(await late, 'late');
  assert.equal(b.stats().slowCalls, 1, 'the late call took 60 ms');
  assert.equal(await a.execute(() => 'sync value').catch((e) => e.code), 'CIRCUIT_OPEN');
});

test('CircuitBreaker.execute ends in the state the manual API reaches (random runs, successes left pending)', async () => {
  const configs = {
    quiet: { failureThreshold: 3, resetTimeoutMs: 100, halfOpenMaxCalls: 2, successThreshold: 2 },
    'slow-call rule': { failureThreshold: 2, resetTimeoutMs: 50, slowCallMs: 30 },
    'failure-rate rule': { failureThreshold: 100, failureRateThreshold: 0.5, slidingWindowSize: 4, resetTimeoutMs: 80 },
  };
  for (const [name, options] of Object.entries(configs)) {
    let t = 1_000;
    let seed = 17;
    const random = (n) => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    // `a` runs through execute (admissions and successes left to the wasm while quiet), `b` the same
    // calls through tryAcquire / recordSuccess / recordFailure with their permits.
    const a = new g.CircuitBreaker({ ...options, now: () => t });
    const b = new g.CircuitBreaker({ ...options, now: () => t });
    const inFlight = [];
    for (let step = 0; step < 4_000; step += 1) {
      const op = random(10);
      if (op < 4) {
        let finish;
        let fail;
        let ran = false;
        const promise = a.execute(() => {
          ran = true;
          return new Promise((resolve, reject) => { finish = resolve; fail = reject; });
        });
        const admission = b.tryAcquire();
        assert.equal(ran, admission.allowed, `${name}, step ${step}: admitted alike`);
        if (ran) inFlight.push({ finish, fail, promise: promise.catch(() => {}), permit: admission.permit, at: t });
        else await assert.rejects(promise, (e) => e.code === 'CIRCUIT_OPEN');
      } else if (op < 8 && inFlight.length > 0) {
        const [call] = inFlight.splice(random(inFlight.length), 1);
        if (op < 6) {
          call.finish('ok');
          b.recordSuccess(t - call.at, call.permit);
        } else {
          call.fail(new Error('down'));
          b.recordFailure(call.permit);
        }
        await call.promise;
      } else if (op === 8) {
        t += random(45);
      }
      if (random(40) === 0) {
        assert.deepEqual(a.stats(), b.stats(), `${name}, step ${step}: stats`);
        assert.equal(a.state, b.state);
        assert.deepEqual(a.snapshot(), b.snapshot(), `${name}, step ${step}: snapshot`);
        assert.deepEqual(a.history(), b.history());
      }
    }
    assert.deepEqual(a.stats(), b.stats(), `${name}: stats at the end`);
    assert.ok(a.stats().calls > 300 && a.stats().opens > 0, `${name}: ${JSON.stringify(a.stats())}`);
  }
  // More successes than the pending slots hold, from calls admitted without a crossing.
  const quiet = new g.CircuitBreaker({ failureThreshold: 2 });
  const finishes = [];
  const calls = Array.from({ length: 200 }, () => quiet.execute(() => new Promise((resolve) => finishes.push(resolve))));
  for (const finish of finishes) finish('ok');
  assert.equal((await Promise.all(calls)).length, 200);
  await assert.rejects(quiet.execute(() => Promise.reject(new Error('down'))));
  assert.deepEqual([quiet.stats().calls, quiet.stats().successes, quiet.stats().consecutiveFailures], [201, 200, 1]);
  assert.equal(quiet.tryAcquire().permit, 201, 'permits 0..200 were granted');
});

test('CircuitBreaker.execute: a call admitted while closed and settled while half-open is no probe', async () => {
  let t = 10_000;
  const b = new g.CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, halfOpenMaxCalls: 1, now: () => t });
  let finishSlow;
  const slow = b.execute(() => new Promise((resolve) => { finishSlow = resolve; }));
  await assert.rejects(b.execute(() => Promise.reject(new Error('down'))));
  assert.equal(b.state, 'open');
  t += 100;
  let finishProbe;
  const probe = b.execute(() => new Promise((resolve) => { finishProbe = resolve; }));
  finishSlow('stale');
  assert.equal(await slow, 'stale');
  assert.equal(b.state, 'half_open', 'the stale success does not close the breaker');
  await assert.rejects(b.execute(async () => 'second probe'), (e) => e.code === 'CIRCUIT_OPEN');
  finishProbe('fresh');
  assert.equal(await probe, 'fresh');
  assert.equal(b.state, 'closed');
});

test('seed example end to end on seed-v1 with OAuth: configure, invoke, sync', async () => {
  await withSim({}, async (sim) => {
    const audit = [];
    const m = seedManager(sim, { onAudit: (r) => { audit.push(r); throw new Error('sink failure is ignored'); } });
    const configured = await m.configureTimeout({
      endpoint_id: 'ext_svc_weather_01', max_wait_time_ms: 15000, fallback_template: SEED_TEMPLATE, sla_threshold_ms: 10000,
    });
    assert.equal(configured.remote.status, 'configured');
    assert.equal(configured.warnings[0].code, 'BUDGET_EXCEEDED');
    const put = sim.requests({ method: 'PUT' });
    assert.equal(put.length, 1);
    assert.equal(put[0].authScheme, 'Bearer');
    const r = await m.invokeExternalService('ext_svc_weather_01', SEED_TEMPLATE);
    assert.equal(r.source, 'live');
    assert.equal(r.data.endpointId, 'ext_svc_weather_01');
    sim.setFaults('POST /api/v1/externalServices/ext_svc_weather_01/invoke', [{ status: 503 }], { repeat: true });
    const cached = await m.invokeExternalService('ext_svc_weather_01');
    assert.equal(cached.source, 'cache');
    assert.deepEqual(cached.data, r.data);
    const s = await m.syncMetrics();
    assert.equal(s.ok, true);
    assert.ok(s.delivered > 0);
    assert.equal(s.pending, 0);
    const d = sim.deliveries('/metrics/timeout-sync');
    assert.equal(d.count, 1);
    assert.equal(d.deliveries[0].headers.authorization, undefined, 'the Cognigy token never goes to the dashboard');
    assert.ok(audit.some((a) => a.eventType === 'timeout_configured'));
    assert.deepEqual(g.verifyAuditLog(m.auditLog()), { ok: true });
    assert.equal(m.flushNotifications().length, 1);
  });
});

test('verifyAuditLog fails closed and detects a removed or forged tail with the head; warnings name unknown options', async () => {
  const m = new g.TimeoutManager({ baseUrl: 'https://api.example.com', cacheTTLMs: 5, breaker: { failureTreshold: 2 } });
  assert.deepEqual(m.warnings.map((w) => [w.path, w.code]), [['cacheTTLMs', 'UNKNOWN_OPTION'], ['breaker.failureTreshold', 'UNKNOWN_OPTION']]);
  assert.match(m.warnings[1].message, /did you mean `failureThreshold`/);
  assert.deepEqual(new g.CircuitBreaker({ resetTimeout: 1 }).warnings.map((w) => w.path), ['resetTimeout']);
  await m.configureTimeout({ endpointId: 'a', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: {} });
  await m.configureTimeout({ endpointId: 'b', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: {} });
  const records = m.auditLog();
  const head = m.auditHead();
  assert.equal(head.seq, records.length);
  for (const notALog of ['garbage', null, 42, {}, { records }, undefined]) {
    assert.deepEqual(g.verifyAuditLog(notALog), { ok: false, reason: 'NOT_A_LOG' });
  }
  assert.deepEqual(g.verifyAuditLog(records, { head }), { ok: true });
  assert.deepEqual(g.verifyAuditLog(records, { head: m.snapshot().audit }), { ok: true });
  assert.deepEqual(g.verifyAuditLog(records.slice(0, 1)), { ok: true }, 'a cut tail is invisible without the head');
  assert.equal(g.verifyAuditLog(records.slice(0, 1), { head }).ok, false);
});

test('seed-v1 OAuth without the required scopes fails up front with AUTH', () => {
  assert.throws(
    () => new g.TimeoutManager({ api: 'seed-v1', baseUrl: 'http://127.0.0.1:1', auth: oauth({ scopes: ['bot:read'] }) }),
    (e) => e.name === 'GuardError' && e.code === 'AUTH' && /metrics:write|externalService:write/.test(e.message),
  );
});

test('cognigy-v2 with an API key: configure and call /ext/weather', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, auth: { apiKey: API_KEY } });
    const c = await m.configureTimeout({ endpointId: 'weather', maxWaitTimeMs: 2000, slaThresholdMs: 1000, fallbackTemplate: { text: 'later' } });
    assert.equal(c.remote, null);
    const r = await m.call('weather', { url: '/ext/weather?city=Berlin' });
    assert.equal(r.source, 'live');
    assert.equal(r.status, 200);
    assert.equal(r.data.city, 'Berlin');
    assert.equal(r.attempts, 1);
    assert.equal(sim.requests({ path: '/ext/weather' })[0].authScheme, 'ApiKey');
    await assert.rejects(m.call('nope', { url: '/ext/weather?city=x' }), (e) => e.name === 'GuardError' && e.code === 'CONFIG');
    await assert.rejects(m.call('weather', { url: '/ext/weather', body: { a: 1 } }), (e) => e.code === 'CONFIG');
  });
});

test('call (run by the driver, js/driver.mjs): what fetch gets, timeouts abort the signal, failures and retries', async () => {
  const seen = [];
  let mode = 'ok';
  const fetch = (url, init) => {
    seen.push({ url, init });
    if (mode === 'throw') throw new TypeError('sync boom');
    if (mode === 'hang') {
      return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new Error('aborted'))));
    }
    if (mode === '503') return Promise.resolve(new Response('{"detail":"busy"}', { status: 503, headers: { 'retry-after': '0' } }));
    return Promise.resolve(new Response('{"b":1,"a":[2]}', { status: 200 }));
  };
  const m = new g.TimeoutManager({ baseUrl: 'https://api.example.com', auth: { apiKey: API_KEY }, breaker: { failureThreshold: 10 }, fetch });
  await m.configureTimeout({ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 1, backoffMs: 100, fallbackTemplate: { text: 'later' } });
  const pending = m.call('e', { url: '/x', method: 'POST', headers: { 'X-Trace': 't1' }, body: { q: 1 }, cacheKey: 'x' });
  assert.equal(seen.length, 0, 'the call starts in a microtask, not inside call()');
  const live = await pending;
  assert.deepEqual(live.data, { a: [2], b: 1 });
  assert.deepEqual(Object.keys(live.data), ['b', 'a'], 'a live body is read as JSON.parse reads it');
  assert.deepEqual(Object.keys(live), ['attempts', 'circuit', 'data', 'degraded', 'latencyMs', 'slaBreached', 'source', 'status']);
  const first = seen[0];
  assert.equal(first.url, 'https://api.example.com/x');
  assert.equal(first.init.method, 'POST');
  assert.equal(first.init.body, '{"q":1}');
  assert.equal(first.init.headers['X-Trace'], 't1');
  assert.ok(Object.values(first.init.headers).some((v) => v.includes(API_KEY)), 'credentials for baseUrl');
  assert.ok(first.init.signal instanceof AbortSignal && !first.init.signal.aborted);

  seen.length = 0;
  await m.call('e', { url: 'https://other.example.com/y' });
  assert.ok(!Object.values(seen[0].init.headers).some((v) => v.includes(API_KEY)), 'no credentials elsewhere');
  assert.equal('body' in seen[0].init, false);

  seen.length = 0;
  mode = 'hang';
  const timedOut = await m.call('e', { url: '/x', timeoutMs: 30, cacheKey: 'x' });
  assert.equal(timedOut.source, 'cache');
  assert.equal(timedOut.error.code, 'TIMEOUT');
  assert.equal(seen.length, 2, 'retried once');
  assert.ok(seen.every((s) => s.init.signal.aborted), 'each attempt is aborted at its timeout');
  const cached = await m.call('e', { url: 'https://other.example.com/y', timeoutMs: 30 });
  assert.deepEqual([cached.source, cached.data], ['cache', { a: [2], b: 1 }], 'the same GET gets its cached answer');

  mode = 'throw';
  const thrown = await m.call('e', { url: '/z', fallbackTemplate: { text: 'z' } });
  assert.equal(thrown.degraded, true);
  assert.equal(thrown.error.code, 'NETWORK');
  assert.match(thrown.error.message, /sync boom/);

  seen.length = 0;
  mode = '503';
  const busy = await m.call('e', { url: '/w', fallbackTemplate: { text: 'w' } });
  assert.equal(busy.error.code, 'HTTP');
  assert.equal(busy.attempts, 2);
  assert.equal(seen.length, 2);

  await assert.rejects(m.invokeExternalService('e'), (e) => e.code === 'CONFIG' && /seed-v1/.test(e.message));
  m.close();
  await assert.rejects(m.call('e', { url: '/x' }), (e) => e.code === 'CANCELLED');
});

test('hanging upstream gets the fallback within deadlineMs', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, deadlineMs: 1500 });
    await m.configureTimeout({ endpointId: 'slow', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: { text: 'later' } });
    sim.setFaults('/ext/quote', [{ hang: true }], { repeat: true });
    const start = Date.now();
    const r = await m.call('slow', { url: '/ext/quote' });
    const elapsed = Date.now() - start;
    assert.equal(r.source, 'fallback');
    assert.equal(r.degraded, true);
    assert.equal(r.data.metadata.degraded, true);
    assert.ok(elapsed < 1500 + 250, `took ${elapsed} ms`);
    assert.equal(m.metrics().endpoints.slow.timeouts >= 1, true);
  });
});

test('3 failures open the breaker, no network while open, one probe closes it', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, breaker: { failureThreshold: 3, resetTimeoutMs: 300 } });
    await m.configureTimeout({ endpointId: 'q', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { text: 'fb' } });
    const live = await m.call('q', { url: '/ext/quote' });
    assert.equal(live.source, 'live');
    sim.setFaults('/ext/quote', [{ status: 500 }], { repeat: true });
    for (let i = 0; i < 3; i++) assert.equal((await m.call('q', { url: '/ext/quote' })).source, 'cache');
    const before = sim.requests({ path: '/ext/quote' }).length;
    const open = await m.call('q', { url: '/ext/quote' });
    assert.equal(open.circuit, 'open');
    assert.equal(open.source, 'cache');
    assert.equal(open.attempts, 0);
    assert.equal(sim.requests({ path: '/ext/quote' }).length, before, 'no request while open');
    sim.setFaults('/ext/quote', [{ pass: true }], { repeat: true });
    await sleep(320);
    const probe = await m.call('q', { url: '/ext/quote' });
    assert.equal(probe.source, 'live');
    assert.equal(probe.circuit, 'closed');
    assert.equal(sim.requests({ path: '/ext/quote' }).length, before + 1);
    const ep = m.metrics().endpoints.q;
    assert.ok(ep.recoveryLatency.last >= 300, JSON.stringify(ep.recoveryLatency));
    const closing = m.auditLog().filter((a) => a.eventType === 'circuit_state_change').at(-1);
    assert.equal(closing.details.to, 'closed');
    assert.ok(closing.details.recoveryLatencyMs >= 300);
    assert.match(m.prometheus(), /cognigy_guard_rejections_total\{endpoint="q"\} 1/);
  });
});

test('429 with Retry-After in seconds and as an HTTP date is honoured', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, breaker: { failureThreshold: 10 } });
    await m.configureTimeout({ endpointId: 'w', maxWaitTimeMs: 2000, slaThresholdMs: 2000, backoffMs: 0, fallbackTemplate: {} });
    sim.setFaults('/ext/weather', [{ status: 429, retryAfter: 1 }]);
    let start = Date.now();
    let r = await m.call('w', { url: '/ext/weather?city=Oslo' });
    assert.equal(r.source, 'live');
    assert.equal(r.attempts, 2);
    assert.ok(Date.now() - start >= 950, `waited ${Date.now() - start}`);
    sim.setFaults('/ext/weather', [{ status: 429, retryAfterDate: 1200 }]);
    start = Date.now();
    r = await m.call('w', { url: '/ext/weather?city=Oslo' });
    assert.equal(r.attempts, 2);
    assert.ok(Date.now() - start >= 150, `waited ${Date.now() - start}`);
    // seed-v1 configuration upload: 429 retried per Retry-After.
    const s = seedManager(sim);
    sim.setFaults('PUT /api/v1/externalServices/x1/configuration', [{ status: 429, retryAfter: 1 }]);
    start = Date.now();
    const c = await s.configureTimeout({ endpointId: 'x1', maxWaitTimeMs: 2000, slaThresholdMs: 1000, fallbackTemplate: {} });
    assert.equal(c.remote.status, 'configured');
    assert.ok(Date.now() - start >= 950);
    assert.equal(sim.requests({ method: 'PUT' }).length, 2);
  });
});

test('a failing dashboard receives every event exactly once per idempotency key', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, webhookUrl: sim.url, webhookHeaders: { Authorization: 'Bearer dashboard-token-x' } });
    await m.configureTimeout({ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: {} });
    sim.setFaults('/ext/quote', [{ status: 500 }], { repeat: true });
    await m.call('e', { url: '/ext/quote' });
    sim.setFaults('/metrics/timeout-sync', [{ status: 503 }, { status: 500 }]);
    const first = await m.syncMetrics();
    assert.equal(first.ok, false);
    assert.equal(first.delivered, 0);
    const pending = first.pending;
    assert.ok(pending > 0);
    assert.equal((await m.syncMetrics()).pending, pending);
    const third = await m.syncMetrics();
    assert.deepEqual([third.ok, third.delivered, third.pending], [true, pending, 0]);
    const d = sim.deliveries('/metrics/timeout-sync');
    assert.equal(d.count, 1);
    assert.equal(d.duplicates, 0);
    assert.equal(d.withoutIdempotencyKey, 0);
    assert.equal(d.deliveries[0].body.events.length, pending);
    const keys = sim.requests({ path: '/metrics/timeout-sync' }).map((r) => r.headers['idempotency-key']);
    assert.equal(new Set(keys).size, 1, 'the same key on every retry');
    assert.equal((await m.syncMetrics()).delivered, 0);
  });
});

test('an expired token is refreshed once, not per call; 401 gets one retry with a fresh token', async () => {
  await withSim({}, async (sim) => {
    const m = seedManager(sim);
    await m.configureTimeout({ endpointId: 'svc_a', maxWaitTimeMs: 2000, slaThresholdMs: 1000, fallbackTemplate: {} });
    await m.invokeExternalService('svc_a');
    assert.equal(tokenRequests(sim), 1);
    await fetch(`${sim.url}/__sim/tokens/expire`, { method: 'POST' });
    for (let i = 0; i < 3; i++) assert.equal((await m.invokeExternalService('svc_a')).source, 'live');
    assert.equal(tokenRequests(sim), 2);
    const invokes = sim.requests({ path: '/api/v1/externalServices/svc_a/invoke' });
    assert.equal(invokes.length, 5, 'one call retried once after the 401');
  });
});

test('http:// to a remote host is refused unless allowInsecureHttp', async () => {
  assert.throws(() => new g.TimeoutManager({ baseUrl: 'http://api.example.com' }), (e) => e.code === 'CONFIG');
  const m = new g.TimeoutManager({ baseUrl: 'https://api.example.com' });
  await m.configureTimeout({ endpointId: 'e', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: {} });
  await assert.rejects(m.call('e', { url: 'http://weather.example.com/now' }), (e) => e.code === 'CONFIG');
});

test('snapshot -> new TimeoutManager({ state }) keeps an open breaker', async () => {
  await withSim({}, async (sim) => {
    const m = new g.TimeoutManager({ baseUrl: sim.url, breaker: { failureThreshold: 1, resetTimeoutMs: 60000 } });
    await m.configureTimeout({ endpointId: 'o', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { t: 1 } });
    sim.setFaults('/ext/quote', [{ status: 500 }]);
    await m.call('o', { url: '/ext/quote' });
    const state = JSON.parse(JSON.stringify(m.snapshot()));
    const n = new g.TimeoutManager({ baseUrl: sim.url, breaker: { failureThreshold: 1, resetTimeoutMs: 60000 }, state });
    const before = sim.requests({ path: '/ext/quote' }).length;
    const r = await n.call('o', { url: '/ext/quote' });
    assert.equal(r.circuit, 'open');
    assert.equal(r.source, 'fallback');
    assert.equal(sim.requests({ path: '/ext/quote' }).length, before);
    assert.equal(n.metrics().endpoints.o.state, 'open');
  });
});

test('no output ever contains a secret', async () => {
  await withSim({}, async (sim) => {
    const outputs = [];
    const tokens = new Set();
    const spy = (url, init) => {
      const auth = init?.headers?.Authorization;
      if (auth) tokens.add(auth.replace('Bearer ', ''));
      return fetch(url, init);
    };
    const m = seedManager(sim, { onAudit: (r) => outputs.push(r), fetch: spy });
    await m.configureTimeout({ endpointId: 'svc_s', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: { note: CLIENT.secret } });
    await m.invokeExternalService('svc_s');
    sim.setFaults('POST /api/v1/externalServices/svc_s/invoke', [{ status: 401 }], { repeat: true });
    outputs.push(await m.invokeExternalService('svc_s'));
    const bad = new g.TimeoutManager({ api: 'seed-v1', baseUrl: sim.url, auth: oauth({ clientSecret: 'wrong-secret-abcdef' }) });
    await bad.configureTimeout({ endpointId: 'svc_s', maxWaitTimeMs: 1000, slaThresholdMs: 500, fallbackTemplate: {} }).catch((e) => outputs.push({ ...e, message: e.message }));
    const k = new g.TimeoutManager({ baseUrl: sim.url, auth: { apiKey: API_KEY } });
    await k.call('x', { url: '/ext/echo' }).catch((e) => outputs.push({ ...e, message: e.message }));
    outputs.push(m.auditLog(), m.metrics(), m.prometheus(), m.snapshot(), m.flushNotifications(), await m.syncMetrics(), bad.auditLog());
    assert.ok(tokens.size >= 1);
    const text = JSON.stringify(outputs);
    for (const secret of [CLIENT.secret, API_KEY, 'wrong-secret-abcdef', ...tokens]) assert.ok(!text.includes(secret), `leaked ${secret}`);
    assert.ok(outputs.some((o) => o && o.code === 'AUTH'));
  });
});
