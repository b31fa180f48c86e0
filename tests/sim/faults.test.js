'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { compileRoute } = require('../../sim/faults');
const { withSim, json, sleep } = require('./helpers');

const KEY = { 'X-API-Key': 'demo-api-key' };

function setFaults(sim, body) {
  return json(`${sim.url}/__sim/faults`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

test('route selectors: exact, method-less, prefix and glob', () => {
  const exact = compileRoute('GET /ext/weather');
  assert.ok(exact.matches('GET', '/ext/weather'));
  assert.ok(!exact.matches('POST', '/ext/weather'));
  assert.ok(!exact.matches('GET', '/ext/weather/x'));
  assert.ok(compileRoute('/ext/').matches('POST', '/ext/echo'));
  assert.ok(compileRoute('ANY /new/v2.0/*').matches('GET', '/new/v2.0/tasks/1'));
  const glob = compileRoute('GET /api/v1/executions/*/status');
  assert.ok(glob.matches('GET', '/api/v1/executions/abc/status'));
  assert.ok(!glob.matches('GET', '/api/v1/executions/abc/results'));
  assert.throws(() => compileRoute('ext/weather'), /start with \//);
  assert.throws(() => compileRoute(''), /non-empty/);
});

test('status faults answer in the error shape of the route, then fall through to normal', async () => {
  await withSim({}, async (sim) => {
    const steps = [{ status: 500 }, { status: 502 }, { status: 503 }, { status: 504 }, { status: 401 }, { status: 403 }];
    assert.equal((await setFaults(sim, { route: 'GET /new/v2.0/flows', faults: steps })).status, 201);
    for (const { status } of steps) {
      const answer = await json(`${sim.url}/new/v2.0/flows`, { headers: KEY });
      assert.equal(answer.status, status);
      assert.match(answer.headers.get('content-type'), /^application\/problem\+json/);
      assert.equal(answer.body.status, status);
    }
    assert.equal((await json(`${sim.url}/new/v2.0/flows`, { headers: KEY })).status, 200);

    sim.setFaults('/api/v1/', [{ status: 503 }]);
    const seed = await json(`${sim.url}/api/v1/executions/x/status`);
    assert.equal(seed.status, 503);
    assert.deepEqual(Object.keys(seed.body).sort(), ['error', 'message']);

    sim.state.faults.set('POST /auth/oauth2/token', [{ status: 500 }]);
    const tokenFault = await json(`${sim.url}/auth/oauth2/token`, { method: 'POST', body: '' });
    assert.equal(tokenFault.status, 500);
    assert.equal(tokenFault.body.error, 'server_error');
  });
});

test('429 with Retry-After in seconds or as an HTTP date', async () => {
  await withSim({}, async (sim) => {
    await setFaults(sim, {
      route: 'GET /ext/quote',
      faults: [{ status: 429, retryAfter: 2 }, { status: 429, retryAfterDate: true }, { status: 429, retryAfterDate: 5000 }, { status: 429 }],
    });
    const url = `${sim.url}/ext/quote`;
    const seconds = await fetch(url);
    assert.equal(seconds.status, 429);
    assert.equal(seconds.headers.get('retry-after'), '2');
    const dateTrue = await fetch(url);
    const inOne = Date.parse(dateTrue.headers.get('retry-after')) - Date.now();
    assert.ok(inOne > -1000 && inOne <= 1000, `date in ${inOne} ms`);
    const dateMs = await fetch(url);
    assert.match(dateMs.headers.get('retry-after'), /GMT$/);
    const inFive = Date.parse(dateMs.headers.get('retry-after')) - Date.now();
    assert.ok(inFive > 3000 && inFive <= 5000, `date in ${inFive} ms`);
    assert.equal((await fetch(url)).headers.get('retry-after'), '1');
    assert.equal((await fetch(url)).status, 200);
  });
});

test('delayMs adds latency and then answers normally', async () => {
  await withSim({}, async (sim) => {
    sim.setFaults('GET /ext/weather', [{ delayMs: 150 }]);
    const started = Date.now();
    const res = await json(`${sim.url}/ext/weather?city=Berlin`);
    assert.ok(Date.now() - started >= 140);
    assert.equal(res.status, 200);
    assert.equal(res.body.city, 'Berlin');
  });
});

test('hang never answers: the client timeout fires; close() still ends promptly', async () => {
  const sim = await require('../../sim').startSimulator();
  sim.setFaults('GET /ext/weather', [{ hang: true }], { repeat: true });
  await assert.rejects(fetch(`${sim.url}/ext/weather?city=Rome`, { signal: AbortSignal.timeout(200) }), (err) => ['TimeoutError', 'AbortError'].includes(err.name));
  const pending = fetch(`${sim.url}/ext/weather?city=Rome`).then(
    () => 'answered',
    () => 'failed',
  );
  await sleep(50);
  const started = Date.now();
  await sim.close();
  assert.ok(Date.now() - started < 1000);
  assert.equal(await pending, 'failed');
});

test('reset destroys the socket: fetch rejects', async () => {
  await withSim({}, async (sim) => {
    sim.setFaults('POST /ext/echo', [{ reset: true }]);
    await assert.rejects(fetch(`${sim.url}/ext/echo`, { method: 'POST', body: '{}' }), TypeError);
    assert.equal((await fetch(`${sim.url}/ext/echo`, { method: 'POST', body: '{}' })).status, 200);
  });
});

test('malformed answers 200 with invalid JSON', async () => {
  await withSim({}, async (sim) => {
    sim.setFaults('GET /new/v2.0/playbooks', [{ malformed: true }]);
    const res = await fetch(`${sim.url}/new/v2.0/playbooks`, { headers: KEY });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type'), /application\/json/);
    await assert.rejects(res.json(), SyntaxError);
  });
});

test('truncated: content-length larger than the body, then the connection ends', async () => {
  await withSim({}, async (sim) => {
    sim.setFaults('GET /ext/quote', [{ truncated: true }]);
    const res = await fetch(`${sim.url}/ext/quote`);
    assert.equal(res.status, 200);
    await assert.rejects(async () => JSON.parse(await res.text()));
    assert.equal((await json(`${sim.url}/ext/quote`)).status, 200);
  });
});

test('times, pass and repeat; control routes list and delete scripts', async () => {
  await withSim({}, async (sim) => {
    const statuses = async (n) => {
      const out = [];
      for (let i = 0; i < n; i += 1) out.push((await fetch(`${sim.url}/ext/quote`)).status);
      return out;
    };
    await setFaults(sim, { route: 'GET /ext/quote', faults: [{ status: 503, times: 2 }, { pass: true }, { status: 500 }] });
    assert.deepEqual(await statuses(6), [503, 503, 200, 500, 200, 200]);

    await setFaults(sim, { route: 'GET /ext/quote', faults: [{ status: 502 }, { pass: true }], repeat: true });
    assert.deepEqual(await statuses(5), [502, 200, 502, 200, 502]);

    const listed = await json(`${sim.url}/__sim/faults`);
    assert.equal(listed.body.scripts.length, 1);
    assert.equal(listed.body.scripts[0].route, 'GET /ext/quote');
    assert.equal(listed.body.scripts[0].hits, 5);
    assert.equal(listed.body.scripts[0].exhausted, false);

    const removed = await json(`${sim.url}/__sim/faults?route=${encodeURIComponent('GET /ext/quote')}`, { method: 'DELETE' });
    assert.equal(removed.body.removed, 1);
    assert.deepEqual(await statuses(2), [200, 200]);

    await setFaults(sim, { route: '/ext/', faults: [{ status: 500, times: 10 }] });
    assert.equal((await json(`${sim.url}/__sim/faults`, { method: 'DELETE' })).body.removed, 1);
    assert.deepEqual(await statuses(1), [200]);
  });
});

test('invalid fault scripts are refused with 400', async () => {
  await withSim({}, async (sim) => {
    const bad = async (body) => {
      const res = await setFaults(sim, body);
      assert.equal(res.status, 400);
      return res.body.message;
    };
    assert.match(await bad({ route: 'GET /x', faults: [] }), /non-empty array/);
    assert.match(await bad({ route: 'GET /x', faults: [{ status: 200 }] }), /400\.\.599/);
    assert.match(await bad({ route: 'GET /x', faults: [{ explode: true }] }), /unknown keys: explode/);
    assert.match(await bad({ route: 'GET /x', faults: [{ status: 429, times: 0 }] }), /times/);
    assert.match(await bad({ route: 'x', faults: [{ status: 500 }] }), /start with/);
    assert.throws(() => sim.setFaults('GET /x', [{ delayMs: -1 }]), /delayMs/);
    const notJson = await json(`${sim.url}/__sim/faults`, { method: 'POST', body: 'nope' });
    assert.equal(notJson.status, 400);
  });
});

test('rate limiter: limit per window, 429 with Retry-After, recovers after the window', async () => {
  await withSim({}, async (sim) => {
    const set = await json(`${sim.url}/__sim/rate-limit`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ route: 'GET /ext/quote', limit: 2, windowMs: 300 }),
    });
    assert.equal(set.status, 201);
    const codes = [];
    for (let i = 0; i < 3; i += 1) codes.push(await fetch(`${sim.url}/ext/quote`));
    assert.deepEqual(codes.map((r) => r.status), [200, 200, 429]);
    assert.equal(codes[2].headers.get('retry-after'), '1');
    assert.equal((await codes[2].json()).error, 'rate_limited');
    assert.equal((await fetch(`${sim.url}/ext/weather?city=Oslo`)).status, 200, 'other routes are not limited');
    await sleep(350);
    assert.equal((await fetch(`${sim.url}/ext/quote`)).status, 200);

    const listed = await json(`${sim.url}/__sim/rate-limit`);
    assert.equal(listed.body.limiters[0].rejected, 1);
    const badLimit = await json(`${sim.url}/__sim/rate-limit`, { method: 'POST', body: JSON.stringify({ route: '/x', limit: -1, windowMs: 10 }) });
    assert.equal(badLimit.status, 400);
    assert.equal((await json(`${sim.url}/__sim/rate-limit`, { method: 'DELETE' })).body.removed, 1);
    for (let i = 0; i < 3; i += 1) assert.equal((await fetch(`${sim.url}/ext/quote`)).status, 200);
  });
});

test('a problem-profile route under a rate limit answers problem+json 429', async () => {
  await withSim({}, async (sim) => {
    sim.setRateLimit('GET /new/v2.0/*', 0, 60000);
    const res = await json(`${sim.url}/new/v2.0/flows`, { headers: KEY });
    assert.equal(res.status, 429);
    assert.match(res.headers.get('content-type'), /problem\+json/);
    assert.equal(res.headers.get('retry-after'), '60');
  });
});
