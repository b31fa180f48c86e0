'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const bot = require('../../sim/bot');
const { PLAYBOOKS, FLOWS, MAX_CONCURRENT_RUNS, POLLS_BEFORE_RUN_ID } = require('../../sim/cognigy-v2');
const { withSim, token, json, sleep, rawRequest, pollUntil } = require('./helpers');

const KEY = { 'X-API-Key': 'demo-api-key' };
const PROBLEM_FIELDS = ['code', 'detail', 'details', 'instance', 'status', 'title', 'traceId', 'type'];
const TASK_FIELDS = ['_id', 'createdAt', 'createdBy', 'currentStep', 'data', 'failReason', 'lastChanged', 'lastChangedBy', 'lastFinishedAt', 'lastRunAt', 'name', 'status', 'totalStep'];
/** Cognigy's numeric problem codes (what the official client classes errors by). */
const CODE_BY_STATUS = { 400: 400, 401: 401, 403: 403, 404: 1002, 405: 1013, 409: 1004, 429: 429 };

function assertProblem(answer, status) {
  assert.equal(answer.status, status);
  assert.match(answer.headers.get('content-type'), /^application\/problem\+json/);
  assert.deepEqual(Object.keys(answer.body).sort(), PROBLEM_FIELDS);
  assert.equal(answer.body.status, status);
  assert.equal(answer.body.code, CODE_BY_STATUS[status]);
  assert.equal(answer.body.type, 'about:blank');
  assert.ok(answer.body.details && typeof answer.body.details === 'object' && !Array.isArray(answer.body.details));
  assert.equal(typeof answer.body.title, 'string');
  assert.match(answer.body.traceId, /^[0-9a-f]{32}$/);
}

function assertTask(task, status) {
  assert.deepEqual(Object.keys(task).sort(), TASK_FIELDS);
  assert.equal(task.status, status);
  assert.equal(task.name, 'runPlaybook');
  assert.ok(Number.isInteger(task.createdAt) && Math.abs(task.createdAt - Date.now() / 1000) < 60, `createdAt ${task.createdAt} is unix seconds`);
  assert.ok(Number.isInteger(task.lastChanged) && task.lastChanged >= task.createdAt);
  assert.ok(Number.isInteger(task.currentStep) && task.currentStep <= task.totalStep);
}

function schedule(sim, playbook, overrides = {}, headers = KEY) {
  return json(`${sim.url}/new/v2.0/playbooks/${playbook._id}/schedule`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify({ entrypoint: playbook.entrypoint, flowId: playbook.flowId, localeId: playbook.localeId, ...overrides }),
  });
}

const getTask = (sim, id) => json(`${sim.url}/new/v2.0/tasks/${id}`, { headers: KEY });
const getRun = (sim, playbookId, runId) => json(`${sim.url}/new/v2.0/playbooks/${playbookId}/runs/${runId}`, { headers: KEY });

test('auth: X-API-Key, Bearer from /auth/oauth2/token, RFC 7807 401s', async () => {
  await withSim({ apiKeys: ['k-one', 'k-two'], tokenTtlSeconds: 1 }, async (sim) => {
    const url = `${sim.url}/new/v2.0/flows`;
    assertProblem(await json(url), 401);
    const wrong = await json(url, { headers: { 'X-API-Key': 'nope' } });
    assertProblem(wrong, 401);
    assert.equal(wrong.body.instance, '/new/v2.0/flows');
    assert.equal((await json(url, { headers: { 'X-API-Key': 'k-two' } })).status, 200);

    const tok = await token(sim, { path: '/auth/oauth2/token' });
    assert.equal(tok.token_type, 'Bearer');
    const withBearer = { Authorization: `Bearer ${tok.access_token}` };
    assert.equal((await json(url, { headers: withBearer })).status, 200);
    const badClient = await json(`${sim.url}/auth/oauth2/token`, {
      method: 'POST',
      body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'x', client_secret: 'y' }),
    });
    assert.equal(badClient.status, 401);
    assert.equal(badClient.body.error, 'invalid_client');
    await sleep(1100);
    assertProblem(await json(url, { headers: withBearer }), 401);
  });
});

test('a GET with a body gets 403 (content-length or chunked), and the log says so', async () => {
  await withSim({}, async (sim) => {
    const withLength = await rawRequest(
      sim,
      `GET /new/v2.0/flows HTTP/1.1\r\nHost: x\r\nX-API-Key: demo-api-key\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}`,
    );
    assert.equal(withLength.status, 403);
    assert.match(withLength.headers['content-type'], /^application\/problem\+json/);
    assert.equal(JSON.parse(withLength.body).status, 403);

    const chunked = await rawRequest(
      sim,
      `GET /new/v2.0/playbooks HTTP/1.1\r\nHost: x\r\nX-API-Key: demo-api-key\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n0\r\n\r\n`,
    );
    assert.equal(chunked.status, 403);

    const seed = await rawRequest(sim, `GET /api/v1/executions/x/status HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\nabc`);
    assert.equal(seed.status, 403);
    assert.equal(JSON.parse(seed.body).error, 'get_with_body');

    const plain = await rawRequest(sim, `GET /new/v2.0/flows HTTP/1.1\r\nHost: x\r\nX-API-Key: demo-api-key\r\nConnection: close\r\n\r\n`);
    assert.equal(plain.status, 200);

    const log = sim.requests({ path: '/new/v2.0/flows' });
    assert.deepEqual(log.map((e) => e.getWithBody), [true, false]);
    assert.equal(log[0].bodyLength, 2);
  });
});

test('playbooks and flows list the samples; intents paginate with limit <= 100, skip and cursors', async () => {
  await withSim({}, async (sim) => {
    const playbooks = await json(`${sim.url}/new/v2.0/playbooks`, { headers: KEY });
    assert.equal(playbooks.body.total, 3);
    assert.deepEqual(playbooks.body.items.map((p) => p._id), PLAYBOOKS.map((p) => p._id));
    assert.ok(playbooks.body.items.every((p) => p.flowId && p.localeId && p.entrypoint && p.stepCount > 0 && Number.isInteger(p.createdAt)));
    assert.equal(playbooks.body.nextCursor, null);
    assert.equal(playbooks.body.previousCursor, null);

    const flows = await json(`${sim.url}/new/v2.0/flows?limit=1`, { headers: KEY });
    assert.deepEqual(flows.body.items.map(({ _id, name }) => ({ _id, name })), [{ _id: FLOWS[0]._id, name: FLOWS[0].name }]);
    assert.equal(flows.body.total, 2);
    const flows2 = await json(`${sim.url}/new/v2.0/flows?limit=1&next=${flows.body.nextCursor}`, { headers: KEY });
    assert.deepEqual(flows2.body.items.map((f) => f._id), [FLOWS[1]._id]);

    const intents = (query, id = FLOWS[1]._id) => json(`${sim.url}/new/v2.0/flows/${id}/intents${query}`, { headers: KEY });
    const page1 = await intents('?limit=100');
    assert.equal(page1.body.items.length, 100);
    assert.equal(page1.body.total, 120);
    assert.deepEqual(Object.keys(page1.body.items[0]).sort(), ['_id', 'isDisabled', 'isRejectIntent', 'name', 'referenceId', 'tags']);
    assert.equal(page1.body.previousCursor, null);
    assert.ok(page1.body.nextCursor);
    const page2 = await intents(`?limit=100&next=${page1.body.nextCursor}`);
    assert.deepEqual(page2.body, (await intents('?limit=100&skip=100')).body);
    assert.equal(page2.body.items.length, 20);
    assert.equal(page2.body.items[0].name, 'faqTopic101');
    assert.equal(page2.body.nextCursor, null);
    assert.ok(page2.body.previousCursor);
    const back = await intents(`?limit=100&previous=${page2.body.previousCursor}`);
    assert.deepEqual(back.body.items, page1.body.items);
    assert.equal((await intents('')).body.items.length, 25);
    assert.deepEqual((await intents('', FLOWS[0]._id)).body.items.map((i) => i.name).slice(0, 2), ['greeting', 'orderPizza']);

    const tooMany = await intents('?limit=101');
    assertProblem(tooMany, 400);
    assert.deepEqual(Object.keys(tooMany.body.details), ['limit']);
    assert.deepEqual(Object.keys((await intents('?limit=x&skip=-1')).body.details), ['limit', 'skip']);
    assertProblem(await intents('?next=garbage'), 400);
    assertProblem(await intents('?previous=garbage'), 400);
    assertProblem(await intents('', 'nope'), 404);
  });
});

test('schedule -> task queued/active/done -> run with stepResults from the bot', async () => {
  await withSim({ timeScale: 100 }, async (sim) => {
    for (const playbook of PLAYBOOKS) {
      const scheduled = await schedule(sim, playbook);
      assert.equal(scheduled.status, 200);
      assertTask(scheduled.body, 'queued');
      assert.deepEqual(scheduled.body.data, {});
      assert.deepEqual([scheduled.body.currentStep, scheduled.body.totalStep, scheduled.body.lastRunAt, scheduled.body.lastFinishedAt], [0, playbook.steps.length, null, null]);
      const seen = await pollUntil(async () => (await getTask(sim, scheduled.body._id)).body, (t) => t.status === 'done');
      assert.ok(seen.every((t) => ['queued', 'active', 'done'].includes(t.status)));
      for (const t of seen) assertTask(t, t.status);
      const done = seen.at(-1);
      assert.equal(done.currentStep, playbook.steps.length);
      assert.equal(done.failReason, '');
      assert.ok(!Number.isNaN(Date.parse(done.lastRunAt)) && Date.parse(done.lastFinishedAt) >= Date.parse(done.lastRunAt));
      const run = await getRun(sim, playbook._id, done.data.playbookRunId);
      assert.equal(run.status, 200);
      assert.equal(run.body._id, done.data.playbookRunId);
      assert.equal(run.body.playbookId, playbook._id);
      assert.deepEqual([run.body.flowId, run.body.localeId, run.body.entrypoint], [playbook.flowId, playbook.localeId, playbook.entrypoint]);
      assert.ok(Number.isInteger(run.body.createdAt));
      const expected = playbook.steps.map((step) => {
        const result = bot.evaluateStep(step);
        return { _id: step._id, ...result, asserts: result.asserts.map((a, i) => ({ _id: step.asserts[i]._id, ...a })) };
      });
      assert.deepEqual(run.body.stepResults, expected);
      const ids = run.body.stepResults.flatMap((r) => [r._id, ...r.asserts.map((a) => a._id)]);
      assert.ok(ids.every((id) => /^[0-9a-f]{24}$/.test(id)));
      assert.equal(new Set(ids).size, ids.length);
    }
    const runs = [];
    for (const task of sim.state.v2.tasks.values()) runs.push((await getRun(sim, task.playbookId, task.runId)).body);
    // Sample 1 passes, sample 2 has failures, sample 3 passes but one step asserts nothing.
    assert.deepEqual(runs.map((r) => r.status), ['successful', 'failed', 'successful']);
    assert.deepEqual(runs[1].stepResults.map((s) => s.status), ['successful', 'failed', 'failed', 'successful']);
    assert.deepEqual(runs[2].stepResults.map((s) => s.asserts.length), [1, 0]);
    assertProblem(await getRun(sim, PLAYBOOKS[0]._id, 'nope'), 404);
  });
});

test(`data.playbookRunId appears only after ${POLLS_BEFORE_RUN_ID} polls while active`, async () => {
  await withSim({ timeScale: 4 }, async (sim) => {
    const { body } = await schedule(sim, PLAYBOOKS[0]);
    const seen = await pollUntil(async () => (await getTask(sim, body._id)).body, (t) => t.data.playbookRunId !== undefined);
    const active = seen.filter((t) => t.status === 'active');
    assert.equal(active.length, POLLS_BEFORE_RUN_ID + 1);
    assert.ok(active.slice(0, POLLS_BEFORE_RUN_ID).every((t) => !('playbookRunId' in t.data)));
    assert.ok(seen.filter((t) => t.status === 'queued').every((t) => !('playbookRunId' in t.data)));
    const run = await getRun(sim, PLAYBOOKS[0]._id, seen.at(-1).data.playbookRunId);
    assert.equal(run.body.status, 'running');
  });
});

test('a done task carries playbookRunId even if never polled while active', async () => {
  await withSim({ timeScale: 1000 }, async (sim) => {
    const { body } = await schedule(sim, PLAYBOOKS[2]);
    await sleep(30);
    const task = await getTask(sim, body._id);
    assert.equal(task.body.status, 'done');
    assert.ok(task.body.data.playbookRunId);
  });
});

test('cancel: cancelling then cancelled; 409 once finished; 404 unknown', async () => {
  await withSim({ timeScale: 2 }, async (sim) => {
    const { body } = await schedule(sim, PLAYBOOKS[1]);
    const cancel = (id) => json(`${sim.url}/new/v2.0/tasks/${id}/cancel`, { method: 'POST', headers: KEY });
    const first = await cancel(body._id);
    assert.equal(first.status, 200);
    assertTask(first.body, 'cancelling');
    assert.equal(first.body._id, body._id);
    assert.equal((await getTask(sim, body._id)).body.status, 'cancelling');
    assert.equal((await cancel(body._id)).status, 200);
    const seen = await pollUntil(async () => (await getTask(sim, body._id)).body, (t) => t.status === 'cancelled');
    assert.ok(seen.every((t) => ['cancelling', 'cancelled'].includes(t.status)));
    assertProblem(await cancel(body._id), 409);
    assertProblem(await cancel('nope'), 404);
    assertProblem(await getTask(sim, 'nope'), 404);
  });
});

test('a task whose flow does not exist ends in error with failReason', async () => {
  await withSim({ timeScale: 100 }, async (sim) => {
    const { body } = await schedule(sim, PLAYBOOKS[0], { flowId: 'missing-flow' });
    const seen = await pollUntil(async () => (await getTask(sim, body._id)).body, (t) => t.status !== 'queued');
    assertTask(seen.at(-1), 'error');
    assert.match(seen.at(-1).failReason, /missing-flow/);
    assert.ok(seen.at(-1).lastFinishedAt);
  });
});

test('schedule validation: unknown playbook 404, missing fields 400, bad JSON 400', async () => {
  await withSim({}, async (sim) => {
    assertProblem(await schedule(sim, { _id: 'nope' }), 404);
    const missing = await schedule(sim, PLAYBOOKS[0], { flowId: '', localeId: undefined });
    assertProblem(missing, 400);
    assert.deepEqual(Object.keys(missing.body.details), ['flowId', 'localeId']);
    const bad = await json(`${sim.url}/new/v2.0/playbooks/${PLAYBOOKS[0]._id}/schedule`, {
      method: 'POST',
      headers: { ...KEY, 'Content-Type': 'application/json' },
      body: '{',
    });
    assertProblem(bad, 400);
    assertProblem(await json(`${sim.url}/new/v2.0/playbooks`, { method: 'DELETE', headers: KEY }), 405);
    assertProblem(await json(`${sim.url}/new/v2.0/nothing`, { headers: KEY }), 404);
  });
});

test(`at most ${MAX_CONCURRENT_RUNS} concurrent runs: the next schedule gets 429 with Retry-After`, async () => {
  await withSim({ timeScale: 2 }, async (sim) => {
    const tasks = [];
    for (let i = 0; i < MAX_CONCURRENT_RUNS; i += 1) {
      const answer = await schedule(sim, PLAYBOOKS[i % PLAYBOOKS.length]);
      assert.equal(answer.status, 200);
      tasks.push(answer.body._id);
    }
    const refused = await schedule(sim, PLAYBOOKS[0]);
    assertProblem(refused, 429);
    assert.match(refused.headers.get('retry-after'), /^[1-9]\d*$/);
    await json(`${sim.url}/new/v2.0/tasks/${tasks[0]}/cancel`, { method: 'POST', headers: KEY });
    await pollUntil(async () => (await getTask(sim, tasks[0])).body, (t) => t.status === 'cancelled');
    assert.equal((await schedule(sim, PLAYBOOKS[0])).status, 200);
  });
});

test('GET /new/v2.0/tasks lists every task newest first; GET /new/v2.0/playbooks/:id reads one playbook', async () => {
  await withSim({ timeScale: 100 }, async (sim) => {
    const first = (await schedule(sim, PLAYBOOKS[0])).body;
    const second = (await schedule(sim, PLAYBOOKS[1])).body;
    const list = await json(`${sim.url}/new/v2.0/tasks?limit=1`, { headers: KEY });
    assert.equal(list.status, 200);
    assert.equal(list.body.total, 2);
    assert.deepEqual(list.body.items.map((t) => t._id), [second._id]);
    assertTask(list.body.items[0], list.body.items[0].status);
    const next = await json(`${sim.url}/new/v2.0/tasks?limit=1&next=${list.body.nextCursor}`, { headers: KEY });
    assert.deepEqual(next.body.items.map((t) => t._id), [first._id]);
    assert.equal(next.body.nextCursor, null);

    const playbook = await json(`${sim.url}/new/v2.0/playbooks/${PLAYBOOKS[1]._id}`, { headers: KEY });
    assert.equal(playbook.status, 200);
    assert.equal(playbook.body.name, PLAYBOOKS[1].name);
    assert.deepEqual(playbook.body.steps.map((s) => s._id), PLAYBOOKS[1].steps.map((s) => s._id));
    assert.ok(playbook.body.steps.every((s) => s.asserts.every((a) => /^[0-9a-f]{24}$/.test(a._id))));
    assertProblem(await json(`${sim.url}/new/v2.0/playbooks/nope`, { headers: KEY }), 404);
  });
});
