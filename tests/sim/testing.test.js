'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const { FLOWS, LOCALE_ID } = require('../../sim/cognigy-v2');
const { PROJECT_ID } = require('../../sim/endpoint');
const { SCENARIOS, playRun } = require('../../sim/testing');
const { withSim, json, token, pollUntil } = require('./helpers');

const KEY = { 'X-API-Key': 'demo-api-key' };
const Q = `projectId=${PROJECT_ID}`;
const RUN_CONFIG = { flowReferenceId: FLOWS[0]._id, localeReferenceId: LOCALE_ID, entrypoint: 'ep' };

const get = (sim, path, headers = KEY) => json(`${sim.url}/testing${path}`, { headers });
function schedule(sim, scenario, body = { runConfig: RUN_CONFIG }) {
  return json(`${sim.url}/testing/simulations/${scenario.referenceId}/schedule?${Q}`, {
    method: 'POST',
    headers: { ...KEY, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

function assertPagination(pagination, { total, skip = 0, limit = 20 }) {
  assert.deepEqual(Object.keys(pagination).sort(), ['hasNext', 'hasPrevious', 'limit', 'next', 'previous', 'skip', 'total']);
  assert.deepEqual([pagination.total, pagination.skip, pagination.limit], [total, skip, limit]);
  assert.equal(pagination.hasNext, pagination.next !== null);
  assert.equal(pagination.hasPrevious, pagination.previous !== null);
}

test('scenarios: listed per project with { data, pagination }, paged by next/previous; one by reference', async () => {
  await withSim({}, async (sim) => {
    const all = await get(sim, `/simulations?${Q}`);
    assert.equal(all.status, 200);
    assertPagination(all.body.pagination, { total: SCENARIOS.length });
    assert.deepEqual(all.body.data.map((s) => s.referenceId), SCENARIOS.map((s) => s.referenceId));
    for (const s of all.body.data) {
      assert.ok(s.persona && s.personaName && s.mission && s.maxTurns && s.timeout && Array.isArray(s.successCriteria));
      assert.equal(s.projectReference, PROJECT_ID);
      assert.equal(s.variants, undefined);
    }
    const first = await get(sim, `/simulations?${Q}&limit=2`);
    assert.equal(first.body.data.length, 2);
    const second = await get(sim, `/simulations?${Q}&limit=2&next=${first.body.pagination.next}`);
    assert.deepEqual(second.body.data.map((s) => s.referenceId), [SCENARIOS[2].referenceId]);
    assertPagination(second.body.pagination, { total: 3, skip: 2, limit: 2 });
    const back = await get(sim, `/simulations?${Q}&limit=2&previous=${second.body.pagination.previous}`);
    assert.deepEqual(back.body.data, first.body.data);
    const one = await get(sim, `/simulations/${SCENARIOS[1].referenceId}?${Q}`);
    assert.equal(one.body.name, SCENARIOS[1].name);
  });
});

test('auth, projectId and errors: RFC 7807 problems with Cognigy codes', async () => {
  await withSim({}, async (sim) => {
    const unauthorized = await get(sim, `/simulations?${Q}`, {});
    assert.equal(unauthorized.status, 401);
    assert.match(unauthorized.headers.get('content-type'), /^application\/problem\+json/);
    assert.match(unauthorized.body.traceId, /^[0-9a-f]{32}$/);
    const tok = await token(sim, { path: '/auth/oauth2/token' });
    assert.equal((await get(sim, `/simulations?${Q}`, { Authorization: `Bearer ${tok.access_token}` })).status, 200);
    const noProject = await get(sim, '/simulations');
    assert.deepEqual([noProject.status, Object.keys(noProject.body.details)], [400, ['projectId']]);
    assert.deepEqual([(await get(sim, '/simulations?projectId=other')).body.code], [1002]);
    assert.equal((await get(sim, `/simulations/nope?${Q}`)).body.code, 1002);
    assert.equal((await get(sim, `/simulations?${Q}&limit=101`)).status, 400);
    assert.equal((await get(sim, `/simulations/${SCENARIOS[0].referenceId}/batches?${Q}&status=DONE`)).status, 400);
    const missing = await schedule(sim, SCENARIOS[0], { runConfig: {}, numberOfRuns: 0 });
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys(missing.body.details), ['runConfig.flowReferenceId', 'runConfig.localeReferenceId', 'numberOfRuns']);
    assert.equal((await schedule(sim, SCENARIOS[0], {})).status, 400);
  });
});

test('schedule a batch: IN_PROGRESS, then COMPLETED; runs read one by one with turns and metrics', async () => {
  await withSim({ timeScale: 50 }, async (sim) => {
    const scenario = SCENARIOS[1];
    const scheduled = await schedule(sim, scenario, { runConfig: RUN_CONFIG, numberOfRuns: 3, runName: 'nightly' });
    assert.equal(scheduled.status, 200);
    const batch = scheduled.body;
    assert.deepEqual([batch.status, batch.runs, batch.completedRuns, batch.failedRuns, batch.runName], ['IN_PROGRESS', 3, 0, 0, 'nightly']);
    assert.equal(batch.simulationReference, scenario.referenceId);

    const batches = `/simulations/${scenario.referenceId}/batches?${Q}`;
    const seen = await pollUntil(async () => (await get(sim, batches)).body.data[0], (b) => b.status !== 'IN_PROGRESS');
    assert.ok(seen.every((b, i) => i === 0 || b.completedRuns >= seen[i - 1].completedRuns));
    const done = seen.at(-1);
    // Runs 1 and 3 send the first variant (a city: success), run 2 the second (no city: failure).
    assert.deepEqual([done.status, done.completedRuns, done.failedRuns], ['COMPLETED', 3, 1]);
    assert.ok(done.completedAt >= done.startedAt && done.startedAt >= done.createdAt);
    assert.equal((await get(sim, `${batches.replace('?', '?status=COMPLETED&')}`)).body.data.length, 1);
    assert.equal((await get(sim, `${batches}&status=FAILED`)).body.data.length, 0);

    const runs = await get(sim, `/simulations/${scenario.referenceId}/batches/${batch.referenceId}/runs?${Q}`);
    assertPagination(runs.body.pagination, { total: 3 });
    const expected = [0, 1, 2].map((i) => playRun(scenario, i, true));
    assert.deepEqual(runs.body.data.map((r) => r.metrics.success), expected.map((e) => e.success));
    assert.deepEqual(runs.body.data.map((r) => r.sequence), [1, 2, 3]);
    const [ok, failed] = runs.body.data;
    assert.deepEqual(ok.turns.map((t) => [t.data.source, t.text]), expected[0].turns.map((t) => [t.source, t.text]));
    assert.deepEqual(ok.metrics.successRate, { percentage: 100, numerator: 1, denominator: 1 });
    assert.deepEqual(failed.metrics.successRate, { percentage: 0, numerator: 0, denominator: 1 });
    assert.equal(failed.metrics.results[0].success, false);
    assert.equal(failed.metrics.errorInfo, null);
    assert.deepEqual([ok.simulationRunBatchReference, ok.simulationReference, ok.totalTurns], [batch.referenceId, scenario.referenceId, ok.turns.length]);
    assert.ok(ok.duration > 0);

    const one = await get(sim, `/simulations/${scenario.referenceId}/batches/${batch.referenceId}/runs/${failed.id}?${Q}`);
    assert.deepEqual(one.body, failed);
    assert.equal((await get(sim, `/simulations/${scenario.referenceId}/batches/${batch.referenceId}/runs/nope?${Q}`)).status, 404);
    assert.equal((await get(sim, `/simulations/${SCENARIOS[0].referenceId}/batches/${batch.referenceId}/runs?${Q}`)).status, 404);
  });
});

test('a batch whose flow does not exist ends FAILED with errorInfo in every run; runs are listed as they finish', async () => {
  await withSim({ timeScale: 20 }, async (sim) => {
    const scenario = SCENARIOS[0];
    const { body: batch } = await schedule(sim, scenario, { runConfig: { ...RUN_CONFIG, flowReferenceId: 'missing' }, numberOfRuns: 2 });
    const runsPath = `/simulations/${scenario.referenceId}/batches/${batch.referenceId}/runs?${Q}`;
    assert.equal((await get(sim, runsPath)).body.data.length, 0);
    const seen = await pollUntil(async () => (await get(sim, `/simulations/${scenario.referenceId}/batches?${Q}`)).body.data[0], (b) => b.status !== 'IN_PROGRESS');
    assert.deepEqual([seen.at(-1).status, seen.at(-1).failedRuns], ['FAILED', 2]);
    const runs = (await get(sim, runsPath)).body.data;
    assert.ok(runs.every((r) => r.metrics.success === false && /missing/.test(r.metrics.errorInfo.message) && r.turns.length === 0));
  });
});

test('faults apply to /testing routes like the others', async () => {
  await withSim({}, async (sim) => {
    sim.setFaults('GET /testing/simulations', [{ status: 429, retryAfter: 3 }, { status: 502 }]);
    const limited = await get(sim, `/simulations?${Q}`);
    assert.deepEqual([limited.status, limited.headers.get('retry-after'), limited.body.code], [429, '3', 429]);
    assert.equal((await get(sim, `/simulations?${Q}`)).status, 502);
    assert.equal((await get(sim, `/simulations?${Q}`)).status, 200);
  });
});
