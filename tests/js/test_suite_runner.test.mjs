// TestSuiteRunner of the built package against the simulator (real HTTP on loopback). Expected
// counts are computed independently with the simulator's bot (sim/bot.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir, seedSuite } from './helpers.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);
const { startSimulator, bot, samples } = require('../../sim');

const FAST = { pollIntervalMs: 20, maxPollIntervalMs: 100 };
const OAUTH = { clientId: 'demo-client', clientSecret: 'demo-secret' };
const API_KEY = { apiKey: 'demo-api-key' };

let sim;
before(async () => {
  sim = await startSimulator({ timeScale: 50 });
});
after(() => sim.close());

const payload = (tag, extra = 0, timeout = 120) => seedSuite(tag, { extra, timeout });

/** What the report must say, computed from the simulated bot. */
function expected(suite) {
  const results = suite.test_cases.map((c, i) => bot.evaluateCase(c, i));
  const statuses = results.map(bot.caseStatus);
  const count = (s) => statuses.filter((x) => x === s).length;
  const intents = new Set(suite.test_cases.map((c) => c.outcome.expected_intent).filter(Boolean));
  const verified = new Set(results.flatMap((r) => r.assertions.filter((a) => a.type === 'intent' && a.passed).map((a) => a.expected)));
  return {
    total: results.length,
    passed: count('passed'),
    failed: count('failed'),
    unverified: count('unverified'),
    passRate: count('passed') / results.length,
    intentCoverage: verified.size / intents.size,
  };
}

function requests(filter) {
  const log = sim.requests(filter);
  return Array.isArray(log) ? log : log.requests;
}

function tagCount(xml, tag) {
  return (xml.match(new RegExp(`<${tag}[\\s>/]`, 'g')) || []).length;
}

function seedRunner(extra = {}) {
  return new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: sim.url, auth: OAUTH, ...FAST, ...extra });
}

test('seed-v1: a suite runs end to end; counts, coverage, webhook, audit, progress, JUnit', async () => {
  const suite = payload('e2e');
  const audits = [];
  const progress = [];
  const runner = seedRunner({ onAudit: (r) => audits.push(r) });
  const report = await runner.run(suite, {
    webhookUrl: `${sim.url}/ci/webhook?run=e2e`,
    baselineIntentCoverage: 0.5,
    onProgress: (e) => progress.push(e),
  });
  const want = expected(suite);
  assert.equal(report.status, 'completed');
  for (const key of ['total', 'passed', 'failed', 'unverified']) assert.equal(report[key], want[key], key);
  assert.ok(want.unverified >= 1 && want.failed >= 1 && want.passed >= 1);
  assert.equal(report.passRate, want.passRate);
  assert.equal(report.coverage.intentCoverage, want.intentCoverage);
  assert.equal(report.gate, 'failed');
  assert.ok(report.polls >= 1);
  assert.ok(report.durationMs >= 0 && report.startedAt && report.finishedAt);
  assert.deepEqual(report.webhook, { delivered: true, attempts: 1, idempotencyKey: `cg-ci-${report.executionId}` });
  // the audit record: configurable baseline, honest rates
  assert.equal(audits.length, 1);
  assert.deepEqual(audits[0], report.audit);
  assert.equal(report.audit.mlopsMetrics.baselineIntentCoverage, 0.5);
  assert.equal(report.audit.mlopsMetrics.coverageDelta, want.intentCoverage - 0.5);
  assert.equal(report.audit.governanceStatus, 'non_compliant');
  // progress
  assert.equal(progress[0].phase, 'submitted');
  assert.ok(progress.some((e) => e.phase === 'polling' && e.status === 'running' && e.total === want.total));
  assert.equal(progress.at(-1).phase, 'done');
  // the webhook body
  const delivered = sim.deliveries('/ci/webhook').deliveries.filter((d) => d.body.execution_id === report.executionId);
  assert.equal(delivered.length, 1);
  assert.equal(delivered[0].body.status, 'failed');
  assert.equal(delivered[0].body.pass_rate, want.passRate);
  // no GET carries a body; secrets never appear in the report
  assert.ok(requests({ method: 'GET' }).every((r) => !r.getWithBody && !r.bodyLength));
  assert.ok(!JSON.stringify(report).includes('demo-secret'));
  // JUnit XML counts
  const xml = g.toJUnitXml(report);
  assert.match(xml, /^<\?xml/);
  assert.equal(tagCount(xml, 'testcase'), want.total);
  assert.equal(tagCount(xml, 'failure'), want.failed);
  assert.equal(tagCount(xml, 'skipped'), want.unverified);
  assert.match(xml, new RegExp(`tests="${want.total}"`));
});

test('seed-v1: an invalid payload is never submitted', async () => {
  const before = requests({ method: 'POST' }).length;
  const runner = seedRunner();
  await assert.rejects(runner.run({ suite_id: 'x', execution_timeout_seconds: 5, test_cases: [] }), (e) => {
    assert.equal(e.name, 'GuardError');
    assert.equal(e.code, 'VALIDATION');
    assert.ok(e.errors.length >= 2);
    return true;
  });
  await assert.rejects(runner.submit({}), { code: 'VALIDATION' });
  assert.equal(requests({ method: 'POST' }).length, before);
});

test('seed-v1: 429 on submit is retried after Retry-After with the same Idempotency-Key', async () => {
  sim.setFaults('POST /api/v1/test-suites/suite_rl/executions', [{ status: 429, retryAfter: 1 }]);
  const suite = payload('rl');
  const report = await seedRunner().run(suite);
  assert.equal(report.total, expected(suite).total);
  const submits = requests({ path: '/api/v1/test-suites/suite_rl/executions' });
  assert.equal(submits.length, 2);
  const keys = submits.map((r) => r.headers['idempotency-key']);
  assert.ok(keys[0] && keys[0] === keys[1]);
});

test('seed-v1: 5xx and malformed JSON while polling, and a token that expires mid-poll', async () => {
  const suite = payload('flaky', 6);
  let expired = false;
  const tokenRequestsBefore = requests({ path: '/auth/oauth/token' }).length;
  const runner = seedRunner();
  // a fresh runner has no token yet: first token request, then the one after expiry
  sim.setFaults('GET /api/v1/executions/*/status', [{ pass: true }, { status: 503 }, { malformed: true }, { status: 500 }, { pass: true }]);
  const report = await runner.run(suite, {
    onProgress: async (e) => {
      if (e.phase === 'polling' && !expired) {
        expired = true;
        await fetch(`${sim.url}/__sim/tokens/expire`, { method: 'POST' });
      }
    },
  });
  const want = expected(suite);
  assert.equal(report.status, 'completed');
  assert.equal(report.total, want.total);
  assert.equal(report.passed, want.passed);
  assert.ok(expired);
  const statusPolls = requests({ path: `/api/v1/executions/${report.executionId}/status` });
  assert.ok(statusPolls.filter((r) => r.status === 401).length <= 1);
  assert.equal(requests({ path: '/auth/oauth/token' }).length - tokenRequestsBefore, 2);
});

test('seed-v1: an execution that times out is reported as such with a failed gate', async () => {
  const suite = payload('slow', 30, 30); // 36 cases at 1 simulated second each > 30 s
  const report = await seedRunner().run(suite);
  assert.equal(report.status, 'timeout');
  assert.equal(report.gate, 'failed');
  // Every submitted case is reported; the ones that never ran are errored, never dropped.
  assert.equal(report.total, suite.test_cases.length);
  assert.equal(report.cases.length, report.total);
  assert.ok(report.errored > 0);
  assert.equal(report.passed + report.failed + report.unverified + report.errored, report.total);
});

test('seed-v1: the deadline ends a run that takes too long', async () => {
  const started = Date.now();
  await assert.rejects(seedRunner({ deadlineMs: 300 }).run(payload('dl', 100, 1800)), { name: 'GuardError', code: 'DEADLINE' });
  assert.ok(Date.now() - started < 2000);
});

test('seed-v1: a webhook that fails twice is delivered on the third attempt with the same key', async () => {
  sim.setFaults('POST /ci/webhook', [{ status: 500 }, { status: 503 }]);
  const report = await seedRunner().run(payload('hook'), { webhookUrl: `${sim.url}/ci/webhook?run=retry` });
  assert.equal(report.webhook.delivered, true);
  assert.equal(report.webhook.attempts, 3);
  const attempts = requests({ path: '/ci/webhook' }).filter((r) => /run=retry/.test(r.query || ''));
  assert.equal(attempts.length, 3);
  assert.ok(attempts.every((r) => r.headers['idempotency-key'] === report.webhook.idempotencyKey));
  const summary = sim.deliveries('/ci/webhook');
  assert.equal(summary.deliveries.filter((d) => d.idempotencyKey === report.webhook.idempotencyKey).length, 1);
  assert.equal(summary.duplicates, 0);
});

test('seed-v1: a webhook that never answers well is reported, the report is kept', async () => {
  sim.setFaults('POST /ci/webhook', [{ status: 500 }], { repeat: true });
  const suite = payload('down');
  const report = await seedRunner().run(suite, { webhookUrl: `${sim.url}/ci/webhook?run=down` });
  await fetch(`${sim.url}/__sim/faults?route=${encodeURIComponent('POST /ci/webhook')}`, { method: 'DELETE' });
  assert.equal(report.total, expected(suite).total);
  assert.deepEqual([report.webhook.delivered, report.webhook.attempts], [false, 3]);
});

test('seed-v1: submit, waitForCompletion and fetchResults one by one', async () => {
  const runner = seedRunner();
  const suite = payload('steps');
  const { executionId } = await runner.submit(suite);
  const done = await runner.waitForCompletion(executionId);
  assert.equal(done.status, 'completed');
  assert.deepEqual(done.progress, { completed: suite.test_cases.length, total: suite.test_cases.length });
  const raw = await runner.fetchResults(executionId);
  assert.equal(raw.test_results.length, suite.test_cases.length);
  const report = g.aggregateResults(raw);
  assert.equal(report.passed, expected(suite).passed);
  // The same results as JSON text (what a script reading a file or a response holds).
  assert.deepEqual(g.aggregateResults(JSON.stringify(raw)), report);
  // As UTF-8 bytes (a response body read with arrayBuffer(), a file read without an encoding).
  assert.deepEqual(g.aggregateResults(new TextEncoder().encode(JSON.stringify(raw))), report);
  // Compact: the per-case details only when asked for.
  const compact = g.aggregateResults(Buffer.from(JSON.stringify(raw)), { cases: false });
  assert.deepEqual(compact, { ...report, cases: [] });
  assert.deepEqual(g.aggregateResults(raw, { cases: true }), report);
  assert.throws(() => g.aggregateResults(raw, { cases: 'no' }), (e) => e.code === 'CONFIG' && /cases/.test(e.message));
  assert.throws(() => g.aggregateResults('{"test_results": '), (e) => e.code === 'VALIDATION' && e.errors[0].code === 'INVALID_JSON');
  assert.throws(() => g.aggregateResults('"text"'), (e) => e.code === 'BAD_RESPONSE');
});

test('two overlapping runs both complete correctly', async () => {
  const runner = seedRunner({ maxConcurrentRuns: 1 });
  const [a, b] = [payload('ov_a'), payload('ov_b', 3)];
  const [ra, rb] = await Promise.all([runner.run(a), runner.run(b)]);
  assert.notEqual(ra.executionId, rb.executionId);
  assert.equal(ra.total, expected(a).total);
  assert.equal(rb.total, expected(b).total);
  assert.equal(rb.passed, expected(b).passed);
});

function v2Runner(extra = {}) {
  return new g.TestSuiteRunner({ baseUrl: sim.url, auth: API_KEY, ...FAST, ...extra });
}

const spec = (playbook, flowId = playbook.flowId) => ({ playbookId: playbook._id, entrypoint: playbook.entrypoint, flowId, localeId: playbook.localeId });

test('cognigy-v2: a playbook runs end to end; coverage against the flow intents', async () => {
  const playbook = samples.PLAYBOOKS[1];
  const report = await v2Runner().runPlaybook(spec(playbook));
  const steps = playbook.steps.map(bot.evaluateStep);
  const failed = steps.filter((s) => s.status === 'failed').length;
  assert.equal(report.status, 'done');
  assert.equal(report.total, steps.length);
  assert.equal(report.failed, failed);
  assert.equal(report.passed, steps.length - failed);
  assert.equal(report.gate, 'failed');
  const flowIntents = samples.FLOWS[0].intents.map((i) => i.name);
  const verified = new Set(steps.flatMap((s) => s.asserts.filter((a) => a.type === 'assertIntent' && !a.negate && a.status === 'successful').map((a) => a.params.intent)));
  assert.equal(report.coverage.intentCoverage, verified.size / flowIntents.length);
  assert.ok(requests({ path: `/new/v2.0/flows/${playbook.flowId}/intents` }).some((r) => /limit=100/.test(r.query || '')));
  assert.ok(requests({ method: 'GET' }).every((r) => !r.getWithBody));
});

test('cognigy-v2: a step without asserts is unverified; intents are read page by page', async () => {
  const playbook = samples.PLAYBOOKS[2];
  const faq = samples.FLOWS[1];
  const report = await v2Runner().runPlaybook(spec(playbook, faq._id));
  assert.equal(report.unverified, 1);
  assert.equal(report.passed, 1);
  assert.equal(requests({ path: `/new/v2.0/flows/${faq._id}/intents` }).length, 2);
  assert.equal(report.coverage.intentCoverage, 0);
});

test('cognigy-v2: a task that ends in error is reported with its reason', async () => {
  const playbook = samples.PLAYBOOKS[0];
  const report = await v2Runner().runPlaybook(spec(playbook, 'not-a-flow'), { knownIntents: ['greeting'] });
  assert.equal(report.status, 'error');
  assert.equal(report.gate, 'failed');
  assert.equal(report.failReason, 'Flow not-a-flow not found');
  // No step ran: each of the task's totalStep steps is errored, none dropped.
  assert.deepEqual([report.total, report.errored, report.passed], [playbook.steps.length, playbook.steps.length, 0]);
  assert.equal(tagCount(g.toJUnitXml(report), 'error'), playbook.steps.length);
});

test('the report names the suite the same on every run: seed-v1 suite_id, playbook name or id', async () => {
  const suite = payload('named');
  const seed = await seedRunner().run(suite);
  assert.equal(seed.suiteId, suite.suite_id);
  const playbook = samples.PLAYBOOKS[0];
  const byId = await v2Runner().runPlaybook(spec(playbook));
  assert.equal(byId.suiteId, playbook._id);
  const byName = await v2Runner().runPlaybook({ ...spec(playbook), name: playbook.name });
  assert.equal(byName.suiteId, playbook.name);
  const xml = g.toJUnitXml(byName);
  assert.match(xml, new RegExp(`<testsuite name="${playbook.name}"`));
  assert.equal((xml.match(/classname="([^"]*)"/g) || []).length, byName.total);
  assert.ok(xml.match(/classname="([^"]*)"/g).every((c) => c === `classname="${playbook.name}"`), xml);
  await assert.rejects(v2Runner().runPlaybook({ ...spec(playbook), name: 42 }), (e) => e.code === 'CONFIG');
});

test('cognigy-v2: aborting cancels the platform task and rejects CANCELLED', async () => {
  const playbook = samples.PLAYBOOKS[0];
  const controller = new AbortController();
  const run = v2Runner().runPlaybook(spec(playbook), {
    signal: controller.signal,
    onProgress: (e) => { if (e.phase === 'polling') controller.abort(); },
  });
  await assert.rejects(run, { name: 'GuardError', code: 'CANCELLED' });
  const cancels = requests({ method: 'POST' }).filter((r) => /\/new\/v2\.0\/tasks\/[^/]+\/cancel$/.test(r.path));
  assert.equal(cancels.length, 1);
});

test('profiles and options are checked', () => {
  // auth is optional at construction (an endpoint run without nlu needs none); a platform run refuses without it.
  const bare = new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: sim.url });
  assert.throws(() => new g.TestSuiteRunner({ baseUrl: sim.url, auth: { apiKey: '' } }), { code: 'CONFIG' });
  assert.throws(() => new g.TestSuiteRunner({ baseUrl: 'http://example.com', auth: API_KEY }), { code: 'CONFIG' });
  assert.throws(() => new g.TestSuiteRunner({ baseUrl: sim.url, auth: API_KEY, pollIntervalMs: -1 }), { code: 'CONFIG' });
  return Promise.all([
    assert.rejects(v2Runner().run(payload('wrong')), { code: 'CONFIG' }),
    assert.rejects(bare.run(payload('bare')), { code: 'CONFIG', message: /run makes platform requests and needs the runner's auth/ }),
  ]);
});
