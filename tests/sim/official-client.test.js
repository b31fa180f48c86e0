'use strict';
// Fidelity: Cognigy's official @cognigy/rest-api-client (pinned in package.json) driven against the simulator.
const test = require('node:test');
const assert = require('node:assert/strict');
const { RestAPIClient } = require('@cognigy/rest-api-client');
const { PLAYBOOKS, FLOWS } = require('../../sim/cognigy-v2');
const { withSim, pollUntil } = require('./helpers');

const VERSIONS = { administration: '2.0', external: '2.0', metrics: '2.0', resources: '2.0', sessions: '2.0' };

function apiKeyClient(sim) {
  const client = new RestAPIClient({ baseUrl: sim.url, versions: VERSIONS, maxRetries: 0, timeout: 5000 });
  client.setCredentials({ type: 'ApiKey', apiKey: 'demo-api-key' });
  return client;
}

/** Every item of a list, read page by page with the client's `next` cursor; also the pages seen. */
async function readAll(index, args) {
  const items = [];
  const pages = [];
  let page = await index(args);
  for (;;) {
    pages.push(page);
    items.push(...page.items);
    if (!page.nextCursor) return { items, pages };
    assert.ok(pages.length <= 20, 'paging does not end');
    page = await index({ ...args, next: page.nextCursor });
  }
}

test('official client: schedulePlaybook, readTask until done, readPlaybookRun', async () => {
  await withSim({ timeScale: 100 }, async (sim) => {
    const client = apiKeyClient(sim);
    const playbook = PLAYBOOKS[1];
    const scheduled = await client.schedulePlaybook({
      playbookId: playbook._id,
      entrypoint: playbook.entrypoint,
      flowId: playbook.flowId,
      localeId: playbook.localeId,
    });
    assert.match(scheduled._id, /^[0-9a-f]{24}$/);
    const seen = await pollUntil(() => client.readTask({ taskId: scheduled._id }), (t) => t.status === 'done');
    const done = seen.at(-1);
    assert.equal(done.name, 'runPlaybook');
    assert.deepEqual([done.currentStep, done.totalStep], [playbook.steps.length, playbook.steps.length]);
    assert.ok(Number.isInteger(done.createdAt));
    const run = await client.readPlaybookRun({ playbookId: playbook._id, playbookRunId: done.data.playbookRunId });
    assert.equal(run.status, 'failed');
    assert.deepEqual([run.flowId, run.localeId, run.entrypoint], [playbook.flowId, playbook.localeId, playbook.entrypoint]);
    assert.deepEqual(run.stepResults.map((s) => s._id), playbook.steps.map((s) => s._id));
    assert.ok(run.stepResults.every((s) => s.asserts.every((a) => typeof a._id === 'string')));

    const tasks = await client.indexTasks({ limit: 10 });
    assert.deepEqual(tasks.items.map((t) => t._id), [scheduled._id]);
    const read = await client.readPlaybook({ playbookId: playbook._id });
    assert.equal(read.steps.length, playbook.steps.length);
  });
});

test('official client: cancelTask, then a second cancel is a ConflictError (code 1004)', async () => {
  await withSim({ timeScale: 2 }, async (sim) => {
    const client = apiKeyClient(sim);
    const playbook = PLAYBOOKS[0];
    const { _id } = await client.schedulePlaybook({ playbookId: playbook._id, entrypoint: playbook.entrypoint, flowId: playbook.flowId, localeId: playbook.localeId });
    await client.cancelTask({ taskId: _id });
    await pollUntil(() => client.readTask({ taskId: _id }), (t) => t.status === 'cancelled');
    await assert.rejects(client.cancelTask({ taskId: _id }), (e) => e.constructor.name === 'ConflictError' && e.code === 1004);
  });
});

test('official client: errors are classed by Cognigy codes (not found 1002, method not allowed 1013)', async () => {
  await withSim({}, async (sim) => {
    const client = apiKeyClient(sim);
    await assert.rejects(client.readTask({ taskId: '650000000000000000000000' }), (e) => {
      assert.equal(e.constructor.name, 'ResourceNotFoundError');
      assert.equal(e.code, 1002);
      assert.equal(e.httpStatusCode, 404);
      assert.equal(typeof e.details, 'object');
      return true;
    });
    await assert.rejects(client.deletePlaybook({ playbookId: PLAYBOOKS[0]._id }), (e) => e.constructor.name === 'MethodNotAllowedError' && e.code === 1013);
  });
});

test('official client: indexIntents / indexPlaybooks / indexFlows page with next and previous cursors', async () => {
  await withSim({}, async (sim) => {
    const client = apiKeyClient(sim);
    const faq = FLOWS[1];
    const intents = await readAll((args) => client.indexIntents(args), { flowId: faq._id, limit: 50 });
    assert.equal(intents.pages.length, 3);
    assert.deepEqual(intents.items.map((i) => i.name), faq.intents.map((i) => i.name));
    const last = intents.pages.at(-1);
    const back = await client.indexIntents({ flowId: faq._id, limit: 50, previous: last.previousCursor });
    assert.deepEqual(back.items, intents.pages[1].items);

    const playbooks = await readAll((args) => client.indexPlaybooks(args), { limit: 2 });
    assert.deepEqual(playbooks.items.map((p) => p._id), PLAYBOOKS.map((p) => p._id));
    assert.equal(playbooks.pages.length, 2);
    const flows = await readAll((args) => client.indexFlows(args), { limit: 1 });
    assert.deepEqual(flows.items.map((f) => f._id), FLOWS.map((f) => f._id));
  });
});

test('official client: OAuth2 client-credentials login, then Bearer calls', async () => {
  await withSim({}, async (sim) => {
    const client = new RestAPIClient({ baseUrl: sim.url, versions: VERSIONS, maxRetries: 0, timeout: 5000 });
    client.setCredentials({ type: 'OAuth2', clientId: 'demo-client', clientSecret: 'demo-secret' });
    await client.login({ type: 'clientCredentials', scope: 'test:read' });
    assert.match(await client.getAccessToken(), /^simtok_/);
    const flows = await client.indexFlows({ limit: 100 });
    assert.equal(flows.total, FLOWS.length);
    const bearer = sim.requests({ path: '/new/v2.0/flows' }).at(-1);
    assert.equal(bearer.authScheme, 'Bearer');

    const wrong = new RestAPIClient({ baseUrl: sim.url, versions: VERSIONS, maxRetries: 0, timeout: 5000 });
    wrong.setCredentials({ type: 'OAuth2', clientId: 'demo-client', clientSecret: 'wrong' });
    await assert.rejects(wrong.login({ type: 'clientCredentials', scope: '' }));
  });
});

test('official client: indexPlaybookRuns sends {} as a GET body, which the simulator refuses with 403 like the trial tenant', async () => {
  await withSim({}, async (sim) => {
    const client = apiKeyClient(sim);
    await assert.rejects(client.indexPlaybookRuns({ playbookId: PLAYBOOKS[0]._id }), (e) => e.constructor.name === 'ForbiddenError' && e.code === 403);
    const sent = sim.requests({ path: `/new/v2.0/playbooks/${PLAYBOOKS[0]._id}/runs` }).at(-1);
    assert.equal(sent.method, 'GET');
    assert.equal(sent.getWithBody, true);
  });
});
