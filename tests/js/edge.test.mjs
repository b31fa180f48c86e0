// The I/O edge as an attacker meets it: odd values from an injected fetch for every operation,
// redirects that would carry credentials elsewhere, huge bodies, hanging token endpoints and
// aborts. Real HTTP on loopback servers of the test's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';
import { pkgDir } from './helpers.mjs';
import { API_KEY, ODD_FETCHES, POLICY, SECRET, UNREADABLE_HEADERS } from './odd-fetch-worker.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);

/** A loopback server answering with `handler(req, res)`; resolves `{ url, requests, close }`. */
async function serve(handler) {
  const requests = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url, method: req.method, headers: req.headers });
    handler(req, res);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${server.address().port}`;
  return {
    url,
    requests,
    close: () => new Promise((resolve) => {
      server.closeAllConnections();
      server.close(resolve);
    }),
  };
}

test('an injected fetch returning odd values never breaks the instance (every operation, 10 000 rounds each)', async () => {
  const server = await serve((req, res) => res.end('{"live":true}'));
  try {
    const families = [...Object.keys(ODD_FETCHES), 'unreadable headers'];
    // Two worker threads, one core each, every other family.
    const halves = [families.filter((_, i) => i % 2 === 0), families.filter((_, i) => i % 2 === 1)];
    const results = await Promise.all(halves.map((half) => new Promise((resolve, reject) => {
      const worker = new Worker(new URL('./odd-fetch-worker.mjs', import.meta.url), { workerData: { families: half, liveUrl: server.url } });
      worker.once('message', resolve);
      worker.once('error', reject);
    })));
    for (const { failure, problems, hits } of results) {
      assert.equal(failure, undefined);
      assert.deepEqual(problems, [], '0 unhandled rejections and uncaught exceptions');
      assert.ok(Object.keys(hits).length > 0);
    }
    // The odd families ran in the workers' instances; this one is untouched by them.
    const manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com', fetch: UNREADABLE_HEADERS });
    await manager.configureTimeout(POLICY);
    assert.deepEqual((await manager.call('svc', { url: '/x' })).data, { h: 1 });
  } finally {
    await server.close();
  }
});

test('failing syncs keep the outbox at its 10 000 events and wasm memory flat', async () => {
  const manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com', webhookUrl: 'https://dash.example.com', breaker: { failureThreshold: 2 ** 32 - 1 }, fetch: async () => { throw new Error('down'); } });
  await manager.configureTimeout(POLICY);
  for (let i = 0; i < 12_000; i += 1) await manager.call('svc', { url: '/x', timeoutMs: 50 });
  const sync = async (n) => {
    let last;
    for (let i = 0; i < n; i += 1) last = await manager.syncMetrics();
    return last;
  };
  const first = await sync(100);
  const memory = g.wasmMemoryBytes();
  const last = await sync(100);
  assert.equal(first.ok, false);
  assert.equal(last.pending, 10_000, 'the oldest events beyond the capacity are dropped');
  assert.ok(last.dropped > 0);
  assert.equal(g.wasmMemoryBytes(), memory, 'no growth over the last 100 failing syncs');
});

test('wrong argument types reject or throw GuardError, never TypeError', async () => {
  const manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com' });
  for (const [run, what] of [
    [() => manager.call(123, { url: '/x' }), 'call(123)'],
    [() => manager.call('svc', 42), 'call(id, 42)'],
    [() => new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: 'https://a.example.com', auth: { clientId: 'c', clientSecret: SECRET } }).fetchResults({}), 'fetchResults({})'],
  ]) {
    await assert.rejects(run(), (e) => e instanceof g.GuardError && e.code === 'CONFIG', what);
  }
  assert.throws(() => manager.history(42), (e) => e instanceof g.GuardError);
  // One way of reading options: strict types in both classes, functions checked.
  for (const make of [
    () => new g.TestSuiteRunner({ baseUrl: 'https://a.example.com', auth: { apiKey: API_KEY }, allowInsecureHttp: 'yes' }),
    () => new g.TimeoutManager({ baseUrl: 'https://a.example.com', allowInsecureHttp: 1 }),
    () => new g.TimeoutManager({ baseUrl: 'https://a.example.com', fetch: 42 }),
    () => new g.TestSuiteRunner({ baseUrl: 'https://a.example.com', auth: { apiKey: API_KEY }, now: 'soon' }),
    () => new g.CircuitBreaker({ now: {} }),
  ]) {
    assert.throws(make, (e) => e instanceof g.GuardError && e.code === 'CONFIG');
  }
  const warned = new g.TestSuiteRunner({ baseUrl: 'https://a.example.com', auth: { apiKey: API_KEY }, pollIntervallMs: 5 });
  assert.deepEqual(warned.warnings.map((w) => [w.path, w.code]), [['pollIntervallMs', 'UNKNOWN_OPTION']]);
  const freed = new g.TimeoutManager({ baseUrl: 'https://api.example.com' });
  freed.free();
  await assert.rejects(freed.call('svc', { url: '/x' }), (e) => e instanceof g.GuardError && e.code === 'CONFIG');
  const runner = new g.TestSuiteRunner({ baseUrl: 'https://a.example.com', auth: { apiKey: API_KEY } });
  await assert.rejects(runner.runPlaybook({ playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' }, { signal: 'no' }), (e) => e.code === 'CONFIG');
});

test('a redirect to another origin never carries credentials; one under the base is followed', async () => {
  const other = await serve((req, res) => res.end('{"other":true}'));
  const api = await serve((req, res) => {
    if (req.url === '/away') {
      res.writeHead(307, { location: `${other.url}/stolen` });
      res.end();
    } else if (req.url === '/moved') {
      res.writeHead(302, { location: '/base/../final' });
      res.end();
    } else {
      res.end('{"here":true}');
    }
  });
  try {
    const manager = new g.TimeoutManager({ baseUrl: api.url, auth: { apiKey: API_KEY } });
    await manager.configureTimeout(POLICY);
    const away = await manager.call('svc', { url: '/away' });
    assert.equal(away.degraded, true);
    assert.equal(away.error.code, 'HTTP');
    assert.equal(away.error.status, 307);
    assert.equal(other.requests.length, 0, 'the other origin got nothing');
    const moved = await manager.call('svc', { url: '/moved' });
    assert.equal(moved.source, 'live');
    assert.deepEqual(moved.data, { here: true });
    assert.equal(api.requests.at(-1).url, '/final');
    assert.equal(api.requests.at(-1).headers['x-api-key'], API_KEY);

    // The token request follows no redirect: the client secret is never re-posted.
    const token = await serve((req, res) => {
      res.writeHead(307, { location: `${other.url}/token` });
      res.end();
    });
    try {
      const seed = new g.TimeoutManager({ api: 'seed-v1', baseUrl: token.url, auth: { clientId: 'c', clientSecret: SECRET } });
      await assert.rejects(seed.configureTimeout(POLICY), (e) => e instanceof g.GuardError && !e.message.includes(SECRET));
      assert.equal(other.requests.length, 0);
    } finally {
      await token.close();
    }
  } finally {
    await api.close();
    await other.close();
  }
});

test('a 300 MB body ends as a degraded answer and wasm memory stays bounded', async () => {
  const chunk = Buffer.alloc(1024 * 1024, 'a');
  const huge = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    let sent = 0;
    const pump = () => {
      while (sent < 300) {
        sent += 1;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    res.on('close', () => { sent = 300; });
    pump();
  });
  try {
    const before = g.wasmMemoryBytes();
    const manager = new g.TimeoutManager({ baseUrl: huge.url, deadlineMs: 20000 });
    await manager.configureTimeout({ ...POLICY, maxWaitTimeMs: 10000 });
    const answer = await manager.call('svc', { url: '/big' });
    assert.equal(answer.degraded, true);
    assert.equal(answer.error.code, 'BAD_RESPONSE');
    assert.match(answer.error.message, /longer than 8388608 bytes/);
    assert.ok(g.wasmMemoryBytes() - before < 64 * 1024 * 1024, `${g.wasmMemoryBytes() - before} bytes`);
  } finally {
    await huge.close();
  }
});

test('a hanging token endpoint ends a 3 s deadline call by 3.5 s; an abort during it rejects at once', async () => {
  const hang = await serve(() => {});
  try {
    const manager = new g.TimeoutManager({ api: 'seed-v1', baseUrl: hang.url, auth: { clientId: 'c', clientSecret: SECRET }, deadlineMs: 3000 });
    const state = new g.TimeoutManager({ baseUrl: hang.url }).snapshot();
    assert.ok(state);
    const local = new g.TimeoutManager({ baseUrl: hang.url, auth: { clientId: 'c', clientSecret: SECRET }, deadlineMs: 3000 });
    await local.configureTimeout({ ...POLICY, maxWaitTimeMs: 4000 });
    const started = Date.now();
    const answer = await local.call('svc', { url: '/x' });
    const took = Date.now() - started;
    assert.equal(answer.degraded, true);
    assert.ok(took < 3500, `took ${took} ms`);
    assert.ok(manager);

    const runner = new g.TestSuiteRunner({ baseUrl: hang.url, auth: { clientId: 'c', clientSecret: SECRET } });
    const controller = new AbortController();
    const run = runner.runPlaybook({ playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' }, { signal: controller.signal });
    await new Promise((r) => setTimeout(r, 200));
    const aborted = Date.now();
    controller.abort();
    await assert.rejects(run, (e) => e instanceof g.GuardError && e.code === 'CANCELLED');
    assert.ok(Date.now() - aborted < 100, `${Date.now() - aborted} ms`);
  } finally {
    await hang.close();
  }
});

test('an abort while queued behind maxConcurrentRuns rejects at once', async () => {
  const hang = await serve(() => {});
  try {
    const runner = new g.TestSuiteRunner({ baseUrl: hang.url, auth: { apiKey: API_KEY }, maxConcurrentRuns: 1 });
    const first = new AbortController();
    const second = new AbortController();
    const spec = { playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' };
    const running = runner.runPlaybook(spec, { signal: first.signal });
    const queued = runner.runPlaybook(spec, { signal: second.signal });
    await new Promise((r) => setTimeout(r, 100));
    const t = Date.now();
    second.abort();
    await assert.rejects(queued, (e) => e.code === 'CANCELLED');
    assert.ok(Date.now() - t < 100);
    first.abort();
    await assert.rejects(running, (e) => e.code === 'CANCELLED');
  } finally {
    await hang.close();
  }
});

test('lone surrogates are accepted (replaced by U+FFFD), never INVALID_JSON', () => {
  const lone = g.validateTimeoutConfig({ ...POLICY, fallbackTemplate: { m: 'x\udc00' } });
  assert.equal(lone.ok, true, JSON.stringify(lone.errors));
  assert.equal(lone.value.fallbackTemplate.m, 'x\ufffd');
  const text = g.validateTimeoutConfigJson(JSON.stringify({ ...POLICY, fallbackTemplate: { m: '\ud800' } }));
  assert.equal(text.ok, true);
  const report = g.aggregateResults({ test_results: [{ input_text: 'hi \ud800', passed: true, outcome: {} }] });
  assert.equal(report.total, 1);
  const pair = g.validateTimeoutConfig({ ...POLICY, fallbackTemplate: { m: '\ud83d\ude00' } });
  assert.equal(pair.value.fallbackTemplate.m, '\ud83d\ude00', 'a pair is kept');
});

test('an oversize input is refused before it is copied into wasm memory', () => {
  const text = 'x'.repeat(9 * 1024 * 1024);
  const before = g.wasmMemoryBytes();
  const answer = g.validateTimeoutConfigJson(text);
  assert.equal(answer.errors[0].code, 'TOO_LARGE');
  assert.throws(() => g.buildTimeoutPayload({ ...POLICY, fallbackTemplate: { big: text } }), (e) => e.code === 'VALIDATION');
  assert.equal(g.wasmMemoryBytes(), before, 'no growth');
});

test('callbacks that re-enter or throw (now, onAudit, onProgress) never reach a Rust panic', async () => {
  let breaker;
  let depth = 0;
  const now = () => {
    depth += 1;
    // Re-enters the breaker from inside its own clock reading.
    if (depth < 3 && breaker) breaker.state;
    depth -= 1;
    return Date.now();
  };
  breaker = new g.CircuitBreaker({ now, slowCallMs: 1000 });
  for (let i = 0; i < 50; i += 1) assert.equal(await breaker.execute(async () => i), i);
  assert.equal(breaker.state, 'closed');
  const throwingClock = new g.CircuitBreaker({ now: () => { throw new Error('clock'); } });
  assert.equal(await throwingClock.execute(async () => 1), 1);

  let manager;
  const onAudit = () => {
    manager.metrics();
    manager.prometheus();
    throw new Error('sink down');
  };
  manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com', fetch: async () => { throw new Error('down'); }, onAudit, now: () => { manager?.auditLog(); return Date.now(); } });
  await manager.configureTimeout(POLICY);
  for (let i = 0; i < 20; i += 1) assert.equal((await manager.call('svc', { url: '/x' })).degraded, true);
  assert.ok(manager.auditLog().length > 0);

  const runner = new g.TestSuiteRunner({ baseUrl: 'https://api.example.com', auth: { apiKey: API_KEY }, fetch: async () => { throw new Error('down'); }, pollIntervalMs: 1, deadlineMs: 500 });
  await assert.rejects(
    runner.runPlaybook({ playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' }, { onProgress: () => { runner.warnings; throw new Error('progress'); } }),
    (e) => e instanceof g.GuardError,
  );
  assert.equal(g.validateTimeoutConfig(POLICY).ok, true, 'the instance still works');
});

test('a compressed body is capped by its decoded size, whatever its content-length says', async () => {
  const { gzipSync } = await import('node:zlib');
  const bomb = gzipSync(Buffer.alloc(20 * 1024 * 1024, 'a'));
  const server = await serve((req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip', 'content-length': String(bomb.length) });
    res.end(bomb);
  });
  try {
    const manager = new g.TimeoutManager({ baseUrl: server.url, maxResponseBytes: 1024 * 1024 });
    await manager.configureTimeout(POLICY);
    const answer = await manager.call('svc', { url: '/bomb' });
    assert.equal(answer.degraded, true);
    assert.equal(answer.error.code, 'BAD_RESPONSE');
    assert.match(answer.error.message, /longer than 1048576 bytes/);
  } finally {
    await server.close();
  }
});
