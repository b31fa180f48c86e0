'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { startSimulator } = require('../../sim');
const { isLoopback } = require('../../sim/http');
const { parseArgs } = require('../../sim/cli');
const { withSim, token, json, rawRequest } = require('./helpers');

test('receivers record deliveries with dedupe information and redacted headers', async () => {
  await withSim({}, async (sim) => {
    const post = (path, body, headers = {}) =>
      json(sim.url + path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const events = { events: [{ eventType: 'timeout_triggered' }] };
    const first = await post('/metrics/timeout-sync', events, { 'Idempotency-Key': 'a', Authorization: 'Bearer very-secret' });
    assert.deepEqual(first.body, { received: true, duplicate: false });
    assert.equal((await post('/metrics/timeout-sync', events, { 'Idempotency-Key': 'a' })).body.duplicate, true);
    await post('/metrics/timeout-sync', events, { 'Idempotency-Key': 'b' });
    await post('/metrics/timeout-sync', events);
    const ci = { execution_id: 'e1', status: 'passed', pass_rate: 1, coverage: {}, timestamp: '2026-01-01T00:00:00Z' };
    await post('/ci/webhook', ci, { 'Idempotency-Key': 'a' });

    const metrics = await json(`${sim.url}/__sim/deliveries?path=/metrics/timeout-sync`);
    assert.equal(metrics.body.count, 4);
    assert.equal(metrics.body.distinctIdempotencyKeys, 2);
    assert.equal(metrics.body.duplicates, 1);
    assert.equal(metrics.body.withoutIdempotencyKey, 1);
    const d = metrics.body.deliveries[0];
    assert.deepEqual(Object.keys(d).sort(), ['at', 'body', 'headers', 'idempotencyKey', 'method', 'path']);
    assert.deepEqual(d.body, events);
    assert.equal(d.headers.authorization, '[REDACTED]');
    assert.ok(!JSON.stringify(metrics.body).includes('very-secret'));

    const all = await json(`${sim.url}/__sim/deliveries`);
    assert.equal(all.body.count, 5);
    assert.equal(all.body.distinctIdempotencyKeys, 3, 'keys are distinct per path');
    assert.deepEqual(sim.deliveries('/ci/webhook').deliveries[0].body, ci);
    await json(`${sim.url}/__sim/deliveries`, { method: 'DELETE' });
    assert.equal((await json(`${sim.url}/__sim/deliveries`)).body.count, 0);
  });
});

test('demo external services: weather, quote, echo', async () => {
  await withSim({}, async (sim) => {
    const weather = await json(`${sim.url}/ext/weather?city=Berlin`);
    assert.equal(weather.status, 200);
    assert.equal(weather.body.city, 'Berlin');
    assert.ok(Number.isInteger(weather.body.temperatureC));
    assert.deepEqual((await json(`${sim.url}/ext/weather?city=Berlin`)).body, weather.body);
    const noCity = await json(`${sim.url}/ext/weather`);
    assert.equal(noCity.status, 400);
    assert.equal(noCity.body.error, 'missing_city');

    const q1 = await json(`${sim.url}/ext/quote`);
    const q2 = await json(`${sim.url}/ext/quote`);
    assert.deepEqual([q1.body.seq, q2.body.seq], [1, 2]);
    assert.ok(q1.body.text && q1.body.author);

    const echo = await json(`${sim.url}/ext/echo?x=1`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-API-Key': 'k' },
      body: JSON.stringify({ hello: 'world' }),
    });
    assert.deepEqual(echo.body.body, { hello: 'world' });
    assert.deepEqual(echo.body.query, { x: '1' });
    assert.equal(echo.body.headers['x-api-key'], '[REDACTED]');
  });
});

test('the request log records every request and never a secret', async () => {
  await withSim({ apiKeys: ['key-SECRET-1'], clients: [{ id: 'c', secret: 'client-SECRET-2' }] }, async (sim) => {
    const tok = await token(sim, { id: 'c', secret: 'client-SECRET-2' });
    await fetch(`${sim.url}/auth/oauth/token`, {
      method: 'POST',
      headers: { Authorization: `Basic ${Buffer.from('c:client-SECRET-2').toString('base64')}` },
      body: 'grant_type=client_credentials',
    });
    await fetch(`${sim.url}/api/v1/executions/x/status`, { headers: { Authorization: `Bearer ${tok.access_token}` } });
    await fetch(`${sim.url}/new/v2.0/flows?api_key=key-SECRET-1`, { headers: { 'X-API-Key': 'key-SECRET-1' } });
    await fetch(`${sim.url}/__sim/health`);

    const log = await json(`${sim.url}/__sim/requests`);
    const text = JSON.stringify(log.body);
    for (const secret of ['key-SECRET-1', 'client-SECRET-2', tok.access_token, 'c:client-SECRET-2', Buffer.from('c:client-SECRET-2').toString('base64')]) {
      assert.ok(!text.includes(secret), `log leaks ${secret}`);
    }
    const entries = log.body.requests;
    assert.deepEqual(entries.map((e) => `${e.method} ${e.path}`), [
      'POST /auth/oauth/token',
      'POST /auth/oauth/token',
      'GET /api/v1/executions/x/status',
      'GET /new/v2.0/flows',
    ]);
    assert.ok(entries[0].bodyLength > 0);
    assert.equal(entries[1].headers.authorization, '[REDACTED]');
    assert.equal(entries[1].authScheme, 'Basic');
    assert.equal(entries[2].authScheme, 'Bearer');
    assert.equal(entries[3].headers['x-api-key'], '[REDACTED]');
    assert.equal(entries[3].authScheme, 'ApiKey');
    assert.equal(entries[3].query, '?api_key=%5BREDACTED%5D');
    assert.ok(entries.every((e) => e.getWithBody === false && typeof e.seq === 'number' && e.at));

    await json(`${sim.url}/__sim/requests`, { method: 'DELETE' });
    assert.equal((await json(`${sim.url}/__sim/requests`)).body.count, 0);
  });
});

test('CORS: preflight answered, every answer allows any origin and exposes Retry-After', async () => {
  await withSim({}, async (sim) => {
    const pre = await fetch(`${sim.url}/new/v2.0/playbooks/x/schedule`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'x-api-key, content-type' },
    });
    assert.equal(pre.status, 204);
    assert.equal(pre.headers.get('access-control-allow-origin'), '*');
    assert.match(pre.headers.get('access-control-allow-methods'), /POST/);
    const allowed = pre.headers.get('access-control-allow-headers');
    for (const h of ['Authorization', 'X-API-Key', 'Content-Type', 'Idempotency-Key', 'Accept']) assert.ok(allowed.includes(h), h);

    const normal = await fetch(`${sim.url}/new/v2.0/flows`);
    assert.equal(normal.status, 401);
    assert.equal(normal.headers.get('access-control-allow-origin'), '*');
    assert.equal(normal.headers.get('access-control-expose-headers'), 'Retry-After');
  });
});

function tempSite() {
  const base = fs.mkdtempSync(path.join(os.tmpdir(), 'cognigy-sim-'));
  const www = path.join(base, 'www');
  const pkg = path.join(base, 'pkg');
  fs.mkdirSync(www);
  fs.mkdirSync(pkg);
  fs.writeFileSync(path.join(base, 'secret.txt'), 'TOP-SECRET');
  fs.writeFileSync(path.join(www, 'index.html'), '<h1>admin</h1>');
  fs.writeFileSync(path.join(www, 'app.js'), 'console.log(1)');
  fs.writeFileSync(path.join(pkg, 'cognigy_guard_bg.wasm'), Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  fs.writeFileSync(path.join(pkg, 'package.json'), '{}');
  return { base, www, pkg };
}

test('static files: roots, content types incl. wasm, HEAD, no path traversal', async () => {
  const site = tempSite();
  try {
    await withSim({ staticRoots: { '/': site.www, '/pkg/': site.pkg } }, async (sim) => {
      const index = await fetch(`${sim.url}/`);
      assert.equal(index.status, 200);
      assert.match(index.headers.get('content-type'), /^text\/html/);
      assert.equal(await index.text(), '<h1>admin</h1>');
      assert.match((await fetch(`${sim.url}/app.js`)).headers.get('content-type'), /^text\/javascript/);
      const wasm = await fetch(`${sim.url}/pkg/cognigy_guard_bg.wasm`);
      assert.equal(wasm.headers.get('content-type'), 'application/wasm');
      assert.equal((await wasm.arrayBuffer()).byteLength, 8);
      assert.match((await fetch(`${sim.url}/pkg/package.json`)).headers.get('content-type'), /^application\/json/);
      const head = await fetch(`${sim.url}/app.js`, { method: 'HEAD' });
      assert.equal(head.headers.get('content-length'), '14');
      assert.equal((await fetch(`${sim.url}/missing.js`)).status, 404);

      for (const target of ['/../secret.txt', '/%2e%2e/secret.txt', '/pkg/..%2f..%2fsecret.txt', '/pkg/%2e%2e/%2e%2e/secret.txt', '/..%5csecret.txt', '/a/%00']) {
        const res = await rawRequest(sim, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
        assert.ok(res.status === 403 || res.status === 404, `${target}: ${res.status}`);
        assert.ok(!res.body.includes('TOP-SECRET'), target);
      }
      // fetch normalises %2e%2e segments itself; an encoded slash reaches the server as is.
      assert.equal((await fetch(`${sim.url}/..%2fsecret.txt`)).status, 403);
    });
    // Roots that do not exist are skipped.
    await withSim({ staticRoots: { '/': path.join(site.base, 'nope') } }, async (sim) => {
      assert.equal((await fetch(`${sim.url}/`)).status, 404);
    });
  } finally {
    fs.rmSync(site.base, { recursive: true, force: true });
  }
});

test('control routes: health, token expiry, reset, 404/405; loopback check', async () => {
  await withSim({ timeScale: 1 }, async (sim) => {
    assert.deepEqual((await json(`${sim.url}/__sim/health`)).body, { ok: true });
    const tok = await token(sim);
    const auth = { Authorization: `Bearer ${tok.access_token}` };
    assert.equal((await fetch(`${sim.url}/api/v1/executions/x/status`, { headers: auth })).status, 404);
    assert.equal((await json(`${sim.url}/__sim/tokens/expire`, { method: 'POST' })).status, 200);
    assert.equal((await fetch(`${sim.url}/api/v1/executions/x/status`, { headers: auth })).status, 401);

    sim.setFaults('/ext/', [{ status: 500 }]);
    await fetch(`${sim.url}/ext/quote`);
    assert.deepEqual((await json(`${sim.url}/__sim/reset`, { method: 'POST' })).body, { reset: true });
    assert.equal(sim.state.faults.list().length, 0);
    assert.equal(sim.requests().length, 0);
    assert.equal((await json(`${sim.url}/ext/quote`)).body.seq, 1);

    assert.equal((await fetch(`${sim.url}/__sim/nothing`)).status, 404);
    const wrong = await fetch(`${sim.url}/__sim/health`, { method: 'POST' });
    assert.equal(wrong.status, 405);
    assert.equal(wrong.headers.get('allow'), 'GET');
  });
  assert.ok(isLoopback('127.0.0.1') && isLoopback('::1') && isLoopback('::ffff:127.0.0.1') && isLoopback('127.4.5.6'));
  assert.ok(!isLoopback('10.0.0.2') && !isLoopback('::ffff:192.168.1.1') && !isLoopback(undefined));
});

test('control routes refuse non-loopback peers', async (t) => {
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((i) => i && i.family === 'IPv4' && !i.internal);
  if (!external) return t.skip('no non-loopback IPv4 interface');
  await withSim({ host: '0.0.0.0' }, async (sim) => {
    const res = await json(`http://${external.address}:${sim.port}/__sim/requests`);
    assert.equal(res.status, 403);
    assert.equal((await fetch(`http://${external.address}:${sim.port}/ext/quote`)).status, 200);
  });
});

test('several simulators in one process keep separate state; unknown routes 404', async () => {
  await withSim({}, async (a) => {
    await withSim({ apiKeys: ['only-b'] }, async (b) => {
      assert.notEqual(a.port, b.port);
      a.setFaults('GET /ext/quote', [{ status: 500 }]);
      assert.equal((await fetch(`${b.url}/ext/quote`)).status, 200);
      assert.equal((await fetch(`${a.url}/ext/quote`)).status, 500);
      assert.equal((await fetch(`${a.url}/new/v2.0/flows`, { headers: { 'X-API-Key': 'only-b' } })).status, 401);
      assert.equal((await fetch(`${b.url}/new/v2.0/flows`, { headers: { 'X-API-Key': 'only-b' } })).status, 200);
      assert.equal(b.requests().length, 2);
      assert.equal((await json(`${a.url}/nothing/here`)).body.error, 'not_found');
    });
  });
});

test('options are validated; the URL is loopback by default', async () => {
  await assert.rejects(startSimulator({ timeScale: 0 }), /timeScale/);
  await assert.rejects(startSimulator({ port: -1, tokenTtlSeconds: 'x' }), /port.*tokenTtlSeconds/);
  await withSim({}, async (sim) => {
    assert.match(sim.url, /^http:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(sim.host, '127.0.0.1');
  });
});

test('cli parses its flags', () => {
  const options = parseArgs(['--port', '9999', '--host=::1', '--time-scale', '5', '--token-ttl', '2', '--www', '/tmp/w']);
  assert.equal(options.port, 9999);
  assert.equal(options.host, '::1');
  assert.equal(options.timeScale, 5);
  assert.equal(options.tokenTtlSeconds, 2);
  assert.equal(options.staticRoots['/'], '/tmp/w');
  assert.match(options.staticRoots['/pkg/'], /pkg$/);
  assert.equal(parseArgs([]).port, 8787);
  assert.throws(() => parseArgs(['--bogus']), /unknown argument/);
  assert.throws(() => parseArgs(['--port']), /needs a value/);
  assert.throws(() => parseArgs(['--port', 'abc']), /needs a number/);
});
