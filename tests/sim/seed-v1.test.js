'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const bot = require('../../sim/bot');
const { executionProgress, QUEUE_MS, CASE_MS } = require('../../sim/seed-v1');
const { withSim, token, json, sleep, pollUntil } = require('./helpers');

const TEMPLATE = JSON.stringify({ message: 'Service temporarily unavailable.', metadata: {} });

function timeoutPayload(overrides = {}) {
  return {
    endpointId: 'ext_svc_weather_01',
    timeoutConfiguration: { maxWaitTimeMs: 15000, retryAttempts: 2, backoffMs: 500 },
    fallbackConfiguration: { template: TEMPLATE, routeTo: 'notification_queue' },
    slaConfiguration: { thresholdMs: 10000, alertEnabled: true },
    ...overrides,
  };
}

const SEED_CASES = [
  {
    input_text: 'I need to reset my password',
    context_variables: { user_role: 'customer' },
    outcome: {
      expected_intent: 'intent_password_reset',
      expected_entities: ['user_id'],
      expected_response_contains: 'password reset link',
      allowed_latency_ms: 800,
    },
  },
  {
    input_text: 'What are your business hours?',
    context_variables: {},
    outcome: { expected_intent: 'intent_business_hours', expected_response_contains: 'open from', allowed_latency_ms: 500 },
  },
  { input_text: 'hello', context_variables: {}, outcome: { allowed_latency_ms: 800 } },
];

function execution(suiteId, cases = SEED_CASES, timeout = 900) {
  return { suite_id: suiteId, execution_timeout_seconds: timeout, test_cases: cases };
}

function bearer(tok, extra = {}) {
  return { Authorization: `Bearer ${tok.access_token}`, ...extra };
}

async function submit(sim, tok, body, suiteId = body.suite_id) {
  return json(`${sim.url}/api/v1/test-suites/${encodeURIComponent(suiteId)}/executions`, {
    method: 'POST',
    headers: bearer(tok, { 'Content-Type': 'application/json' }),
    body: JSON.stringify(body),
  });
}

const status = (sim, tok, id) => json(`${sim.url}/api/v1/executions/${id}/status`, { headers: bearer(tok) });
const results = (sim, tok, id) => json(`${sim.url}/api/v1/executions/${id}/results`, { headers: bearer(tok) });

test('token endpoint: both seed spellings, scopes, client errors', async () => {
  const clients = [
    { id: 'demo-client', secret: 'demo-secret' },
    { id: 'reader', secret: 'reader-secret', scopes: ['test:read'] },
  ];
  await withSim({ clients }, async (sim) => {
    for (const path of ['/auth/oauth/token', '/api/v1/oauth/token']) {
      const tok = await token(sim, { path, scope: 'test:execute test:read' });
      assert.equal(tok.token_type, 'Bearer');
      assert.equal(tok.expires_in, 3600);
      assert.equal(tok.scope, 'test:execute test:read');
      assert.match(tok.access_token, /^simtok_[0-9a-f]{48}$/);
    }
    const post = (form, headers = {}) => json(`${sim.url}/auth/oauth/token`, { method: 'POST', headers, body: new URLSearchParams(form) });
    const base = { grant_type: 'client_credentials', client_id: 'reader', client_secret: 'reader-secret' };

    const unknown = await post({ ...base, client_id: 'nobody' });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_client');
    assert.equal(typeof unknown.body.error_description, 'string');
    assert.equal((await post({ ...base, client_secret: 'wrong' })).status, 401);

    const scope = await post({ ...base, scope: 'test:read test:execute' });
    assert.equal(scope.status, 400);
    assert.equal(scope.body.error, 'invalid_scope');
    assert.match(scope.body.error_description, /test:execute/);

    const grant = await post({ ...base, grant_type: 'password' });
    assert.equal(grant.status, 400);
    assert.equal(grant.body.error, 'unsupported_grant_type');

    // No scope asked: every scope of the client; client_secret_basic works too.
    const basic = await post(
      { grant_type: 'client_credentials' },
      { Authorization: `Basic ${Buffer.from('reader:reader-secret').toString('base64')}` },
    );
    assert.equal(basic.status, 200);
    assert.equal(basic.body.scope, 'test:read');
    assert.equal(basic.headers.get('cache-control'), 'no-store');
  });
});

test('bearer checks: 401 missing/unknown/expired, 403 scope, plain error shape', async () => {
  await withSim({ tokenTtlSeconds: 1 }, async (sim) => {
    const url = `${sim.url}/api/v1/executions/none/status`;
    const missing = await json(url);
    assert.equal(missing.status, 401);
    assert.deepEqual(Object.keys(missing.body).sort(), ['error', 'message']);
    assert.match(missing.headers.get('www-authenticate'), /^Bearer/);
    const unknown = await json(url, { headers: { Authorization: 'Bearer nope' } });
    assert.equal(unknown.status, 401);
    assert.equal(unknown.body.error, 'invalid_token');

    const reader = await token(sim, { scope: 'test:read' });
    const refused = await submit(sim, reader, execution('suite_a'));
    assert.equal(refused.status, 403);
    assert.equal(refused.body.error, 'insufficient_scope');
    assert.match(refused.body.message, /test:execute/);
    assert.equal((await status(sim, reader, 'none')).status, 404);

    await sleep(1100);
    const expired = await status(sim, reader, 'none');
    assert.equal(expired.status, 401);
    assert.equal(expired.body.error, 'token_expired');
  });
});

test('PUT configuration validates the seed payload and needs externalService:write', async () => {
  await withSim({}, async (sim) => {
    const writer = await token(sim, { scope: 'externalService:write' });
    const reader = await token(sim, { scope: 'bot:read' });
    const put = (tok, body, id = 'ext_svc_weather_01') =>
      json(`${sim.url}/api/v1/externalServices/${id}/configuration`, {
        method: 'PUT',
        headers: bearer(tok, { 'Content-Type': 'application/json' }),
        body: typeof body === 'string' ? body : JSON.stringify(body),
      });

    const ok = await put(writer, timeoutPayload());
    assert.equal(ok.status, 200);
    assert.equal(ok.body.endpointId, 'ext_svc_weather_01');
    assert.equal(ok.body.status, 'configured');
    assert.deepEqual(ok.body.configuration, timeoutPayload());
    assert.ok(!Number.isNaN(Date.parse(ok.body.updatedAt)));

    assert.equal((await put(reader, timeoutPayload())).status, 403);

    const tooLong = await put(writer, timeoutPayload({ timeoutConfiguration: { maxWaitTimeMs: 40000, retryAttempts: 2, backoffMs: 500 } }));
    assert.equal(tooLong.status, 400);
    assert.equal(tooLong.body.error, 'validation_error');
    assert.match(tooLong.body.message, /timeoutConfiguration\.maxWaitTimeMs/);
    assert.deepEqual(tooLong.body.details.map((d) => d.field), ['timeoutConfiguration.maxWaitTimeMs']);

    const several = await put(writer, {
      endpointId: 'other',
      timeoutConfiguration: { maxWaitTimeMs: 15000 },
      fallbackConfiguration: { template: '{not json' },
    });
    assert.deepEqual(several.body.details.map((d) => d.field), ['endpointId', 'fallbackConfiguration.template', 'slaConfiguration']);

    const notJson = await put(writer, '{"endpointId":');
    assert.equal(notJson.status, 400);
    assert.equal(notJson.body.error, 'invalid_json');
  });
});

test('POST invoke: 404 until configured, then data and latency', async () => {
  await withSim({}, async (sim) => {
    const tok = await token(sim);
    const invoke = (id) =>
      json(`${sim.url}/api/v1/externalServices/${id}/invoke`, { method: 'POST', headers: bearer(tok, { 'Content-Type': 'application/json' }), body: '{}' });
    const missing = await invoke('ext_svc_weather_01');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');

    await json(`${sim.url}/api/v1/externalServices/ext_svc_weather_01/configuration`, {
      method: 'PUT',
      headers: bearer(tok, { 'Content-Type': 'application/json' }),
      body: JSON.stringify(timeoutPayload()),
    });
    const first = await invoke('ext_svc_weather_01');
    assert.equal(first.status, 200);
    assert.equal(first.body.endpointId, 'ext_svc_weather_01');
    assert.ok(bot.CITIES.includes(first.body.data.city));
    assert.ok(Number.isInteger(first.body.latencyMs));
    const second = await invoke('ext_svc_weather_01');
    assert.equal(second.body.data.invocation, first.body.data.invocation + 1);
  });
});

test('execution submission validates limits and fields', async () => {
  await withSim({}, async (sim) => {
    const tok = await token(sim);
    const oneCase = SEED_CASES[0];
    const fields = async (body, suiteId) => {
      const answer = await submit(sim, tok, body, suiteId);
      assert.equal(answer.status, 400, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'validation_error');
      return answer.body.details.map((d) => d.field);
    };
    assert.deepEqual(await fields(execution('s', Array(501).fill(oneCase))), ['test_cases']);
    assert.deepEqual(await fields(execution('s', [])), ['test_cases']);
    assert.deepEqual(await fields(execution('s', [oneCase], 29)), ['execution_timeout_seconds']);
    assert.deepEqual(await fields(execution('s', [oneCase], 1801)), ['execution_timeout_seconds']);
    assert.deepEqual(await fields({ suite_id: 's', test_cases: [oneCase] }), ['execution_timeout_seconds']);
    assert.deepEqual(await fields(execution('other', [oneCase]), 's'), ['suite_id']);
    assert.deepEqual(
      await fields(execution('s', [{ context_variables: [], outcome: { allowed_latency_ms: 50, expected_entities: 'user_id' } }, { input_text: 'x' }])),
      ['test_cases[0].input_text', 'test_cases[0].context_variables', 'test_cases[0].outcome.allowed_latency_ms', 'test_cases[0].outcome.expected_entities', 'test_cases[1].outcome'],
    );
    // Exactly 500 cases and the limits themselves are fine; null optionals (pydantic's model_dump) too.
    const nulls = { input_text: 'hi', context_variables: {}, outcome: { expected_intent: null, expected_entities: null, expected_response_contains: null, allowed_latency_ms: 100 } };
    assert.equal((await submit(sim, tok, execution('s', Array(500).fill(nulls), 1800))).status, 202);
    assert.equal((await submit(sim, tok, execution('s', [oneCase], 30))).status, 202);
  });
});

test('a body over 1 MiB gets 413', async () => {
  await withSim({}, async (sim) => {
    const tok = await token(sim);
    const huge = execution('s', [{ ...SEED_CASES[0], context_variables: { blob: 'x'.repeat(1024 * 1024) } }]);
    const answer = await submit(sim, tok, huge);
    assert.equal(answer.status, 413);
    assert.equal(answer.body.error, 'payload_too_large');
  });
});

test('execution progresses queued -> running -> completed; results follow the bot', async () => {
  await withSim({ timeScale: 10 }, async (sim) => {
    const tok = await token(sim);
    const submitted = await submit(sim, tok, execution('suite_prod_v2'));
    assert.equal(submitted.status, 202);
    assert.deepEqual(Object.keys(submitted.body).sort(), ['execution_id', 'status']);
    assert.equal(submitted.body.status, 'queued');
    const id = submitted.body.execution_id;

    const early = await results(sim, tok, id);
    assert.equal(early.status, 409);

    const seen = await pollUntil(async () => (await status(sim, tok, id)).body, (s) => s.status === 'completed');
    assert.equal(seen[0].status, 'queued');
    assert.ok(seen.some((s) => s.status === 'running'), 'saw running');
    const order = ['queued', 'running', 'completed'];
    for (let i = 1; i < seen.length; i += 1) {
      assert.ok(order.indexOf(seen[i].status) >= order.indexOf(seen[i - 1].status));
      assert.ok(seen[i].progress.completed >= seen[i - 1].progress.completed);
    }
    assert.deepEqual(seen.at(-1).progress, { completed: 3, total: 3 });
    assert.equal(seen.at(-1).execution_id, id);

    const done = await results(sim, tok, id);
    assert.equal(done.status, 200);
    assert.equal(done.body.status, 'completed');
    assert.deepEqual(done.body.test_results, SEED_CASES.map((c, i) => bot.evaluateCase(c, i)));
    assert.deepEqual(done.body.test_results.map(bot.caseStatus), SEED_CASES.map((c, i) => bot.caseStatus(bot.evaluateCase(c, i))));
    assert.equal(bot.caseStatus(done.body.test_results[2]), 'unverified');
  });
});

test('executionProgress: exact timeline, timeout and failure points', () => {
  const exec = (cases, timeoutSeconds, failAt = null) => ({ results: Array(cases).fill({}), timeoutMs: timeoutSeconds * 1000, failAt });
  const e = exec(3, 900);
  assert.deepEqual(executionProgress(e, 0), { status: 'queued', completed: 0 });
  assert.deepEqual(executionProgress(e, QUEUE_MS), { status: 'running', completed: 0 });
  assert.deepEqual(executionProgress(e, QUEUE_MS + 2 * CASE_MS + 1), { status: 'running', completed: 2 });
  assert.deepEqual(executionProgress(e, QUEUE_MS + 3 * CASE_MS), { status: 'completed', completed: 3 });
  const slow = exec(40, 30);
  assert.deepEqual(executionProgress(slow, 29999), { status: 'running', completed: 28 });
  assert.deepEqual(executionProgress(slow, 30000), { status: 'timeout', completed: 29 });
  const failing = exec(4, 900, 2);
  assert.deepEqual(executionProgress(failing, QUEUE_MS + 2 * CASE_MS), { status: 'failed', completed: 2 });
});

test('execution ends in timeout when the run needs longer than execution_timeout_seconds', async () => {
  await withSim({ timeScale: 400 }, async (sim) => {
    const tok = await token(sim);
    const cases = Array.from({ length: 40 }, (_, i) => ({ input_text: `question ${i}`, outcome: { allowed_latency_ms: 800 } }));
    const { body } = await submit(sim, tok, execution('suite_big', cases, 30));
    const seen = await pollUntil(async () => (await status(sim, tok, body.execution_id)).body, (s) => !['queued', 'running'].includes(s.status));
    assert.equal(seen.at(-1).status, 'timeout');
    assert.deepEqual(seen.at(-1).progress, { completed: 29, total: 40 });
    const res = await results(sim, tok, body.execution_id);
    assert.equal(res.body.status, 'timeout');
    assert.equal(res.body.test_results.length, 29);
  });
});

test('a suite id starting with "fail" ends in failed', async () => {
  await withSim({ timeScale: 100 }, async (sim) => {
    const tok = await token(sim);
    const cases = [...SEED_CASES, SEED_CASES[0]];
    const { body } = await submit(sim, tok, execution('fail_suite', cases));
    const seen = await pollUntil(async () => (await status(sim, tok, body.execution_id)).body, (s) => s.status === 'failed');
    assert.deepEqual(seen.at(-1).progress, { completed: 2, total: 4 });
    const res = await results(sim, tok, body.execution_id);
    assert.equal(res.body.status, 'failed');
    assert.equal(res.body.test_results.length, 2);
    assert.equal(res.body.error.code, 'bot_error');
  });
});

test('a token expiring mid-poll gets 401; a fresh token continues', async () => {
  await withSim({ tokenTtlSeconds: 1, timeScale: 1 }, async (sim) => {
    const first = await token(sim);
    assert.equal(first.expires_in, 1);
    const { body } = await submit(sim, first, execution('suite_long'));
    assert.equal((await status(sim, first, body.execution_id)).status, 200);
    await sleep(1100);
    const expired = await status(sim, first, body.execution_id);
    assert.equal(expired.status, 401);
    const second = await token(sim);
    const again = await status(sim, second, body.execution_id);
    assert.equal(again.status, 200);
    assert.equal(again.body.status, 'running');
  });
});

test('Idempotency-Key on submission returns the same execution; unknown ids are 404', async () => {
  await withSim({}, async (sim) => {
    const tok = await token(sim);
    const post = () =>
      json(`${sim.url}/api/v1/test-suites/s/executions`, {
        method: 'POST',
        headers: bearer(tok, { 'Content-Type': 'application/json', 'Idempotency-Key': 'k-1' }),
        body: JSON.stringify(execution('s')),
      });
    const a = await post();
    const b = await post();
    assert.equal(a.body.execution_id, b.body.execution_id);
    assert.equal(sim.state.seed.executions.size, 1);
    const missing = await results(sim, tok, 'exec_missing');
    assert.equal(missing.status, 404);
    assert.equal(missing.body.error, 'not_found');
  });
});

test('a known path with another method gets 405 with Allow', async () => {
  await withSim({}, async (sim) => {
    const res = await json(`${sim.url}/api/v1/executions/x/status`, { method: 'DELETE' });
    assert.equal(res.status, 405);
    assert.equal(res.headers.get('allow'), 'GET');
    assert.equal(res.body.error, 'method_not_allowed');
  });
});
