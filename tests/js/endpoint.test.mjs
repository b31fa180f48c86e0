// TestSuiteRunner.runEndpoint and compareReports of the built package against the simulator's REST
// Endpoint and NLU scores (real HTTP on loopback). Expected counts, rates, per-intent metrics and the
// confusion matrix are recomputed from the simulator's own session log and its bot (sim/bot.js).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);
const { startSimulator, bot, samples } = require('../../sim');

const TOKEN = 'rb-Secret-Endpoint-Token-7f3a9c';
const API_KEY = { apiKey: 'demo-api-key' };
const FLOW = samples.FLOWS[0];
const NLU = { projectId: samples.PROJECT_ID, flowReferenceId: FLOW._id, localeReferenceId: samples.LOCALE_ID };
const ENDPOINT_ROUTE = 'POST /endpoint/*';

let sim;
before(async () => {
  sim = await startSimulator({ timeScale: 50, endpointTokens: [TOKEN] });
});
after(() => sim.close());

function reset() {
  sim.clearFaults(ENDPOINT_ROUTE);
  sim.state.requestLog.clear();
  sim.state.endpoint.log.length = 0;
  Object.assign(sim.state.endpoint, { sessions: new Map(), requests: 0, maxInFlight: sim.state.endpoint.inFlight });
}

const runner = (extra = {}) => new g.TestSuiteRunner({ baseUrl: sim.url, auth: API_KEY, ...extra });

/** A suite of `n` cases with expected intents (some wrong on purpose), entities and response fragments. */
function suite(tag, n = 10) {
  const base = [
    { input_text: `I want to order a large pizza ${tag}`, outcome: { expected_intent: 'orderPizza', expected_entities: ['size'], expected_response_contains: 'pizza', allowed_latency_ms: 5000 } },
    { input_text: `hello ${tag}`, outcome: { expected_intent: 'greeting', allowed_latency_ms: 5000 } },
    { input_text: `Can I get a refund ${tag}`, outcome: { expected_intent: 'orderPizza', allowed_latency_ms: 5000 } },
    { input_text: `What is the weather in Berlin ${tag}`, outcome: { expected_intent: 'weather', expected_entities: ['city', 'date'], allowed_latency_ms: 5000 } },
    { input_text: `Tell me a joke ${tag}`, outcome: { expected_intent: 'greeting', allowed_latency_ms: 5000 } },
    { input_text: `What are your opening hours ${tag}`, outcome: { expected_response_contains: 'open from', allowed_latency_ms: 5000 } },
    { input_text: `I need to reset my password ${tag}`, outcome: { expected_intent: 'passwordReset', expected_entities: ['user_id'], allowed_latency_ms: 5000 } },
    { input_text: `just checking ${tag}`, outcome: { allowed_latency_ms: 5000 } },
  ];
  const cases = Array.from({ length: n }, (_, i) => {
    const c = base[i % base.length];
    return { ...c, input_text: i < base.length ? c.input_text : `${c.input_text} #${i}`, context_variables: { caseNo: i } };
  });
  return { suite_id: `endpoint_${tag}`, execution_timeout_seconds: 120, test_cases: cases };
}

/** The predicted intent of `text` from the simulator's own NLU rules (`null`: below `minScore`). */
function predicted(text, minScore = 0) {
  const top = bot.nluScores(text, FLOW.intents.map((i) => i.name))[0];
  return top && top.score >= minScore ? top.name : null;
}

/** What the report must say, from the session log of the simulator (one entry per message). */
function expectedFrom(log, payload, minScore = 0) {
  const byText = new Map(log.map((entry) => [entry.text, entry]));
  const statuses = payload.test_cases.map((c) => {
    const entry = byText.get(c.input_text);
    const out = c.outcome;
    const fails = [];
    if (out.expected_intent && predicted(c.input_text, minScore) !== out.expected_intent) fails.push('intent');
    for (const name of out.expected_entities || []) if (!(name in entry.slots)) fails.push('entity');
    if (out.expected_response_contains && !entry.outputs.join(' ').toLowerCase().includes(out.expected_response_contains.toLowerCase())) fails.push('text');
    if (fails.length) return 'failed';
    const verifies = out.expected_intent || out.expected_response_contains || (out.expected_entities || []).length;
    return verifies ? 'passed' : 'unverified';
  });
  const pairs = payload.test_cases
    .filter((c) => c.outcome.expected_intent)
    .map((c) => [c.outcome.expected_intent, predicted(c.input_text, minScore) ?? 'none']);
  const labels = [...new Set(pairs.flat())].sort();
  const matrix = labels.map((row) => labels.map((col) => pairs.filter(([e, p]) => e === row && p === col).length));
  const perIntent = labels.map((label, i) => {
    const hits = matrix[i][i];
    const support = matrix[i].reduce((a, b) => a + b, 0);
    const predictedCount = matrix.reduce((a, row) => a + row[i], 0);
    const precision = predictedCount ? hits / predictedCount : 0;
    const recall = support ? hits / support : 0;
    const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
    return { intent: label, precision, recall, f1, support };
  });
  const count = (s) => statuses.filter((x) => x === s).length;
  return {
    statuses,
    total: statuses.length,
    passed: count('passed'),
    failed: count('failed'),
    unverified: count('unverified'),
    passRate: count('passed') / statuses.length,
    nlu: {
      total: pairs.length,
      accuracy: pairs.filter(([e, p]) => e === p).length / pairs.length,
      macroF1: perIntent.reduce((a, m) => a + m.f1, 0) / perIntent.length,
      perIntent,
      confusion: { labels, matrix },
    },
  };
}

const close = (a, b) => Math.abs(a - b) < 1e-9;

test('runEndpoint: counts, pass rate, per-intent metrics and confusion matrix match the simulator', async () => {
  reset();
  const payload = suite('acc', 16);
  const events = [];
  const report = await runner().runEndpoint(payload, {
    endpointUrl: sim.endpointUrl(),
    nlu: NLU,
    concurrency: 3,
    passThreshold: 0.5,
    onProgress: (e) => events.push(e),
  });
  const { log } = sim.endpoint();
  assert.equal(log.length, payload.test_cases.length, 'one message per case');
  const want = expectedFrom(log, payload);
  assert.deepEqual(
    report.cases.map((c) => c.status),
    want.statuses,
  );
  for (const key of ['total', 'passed', 'failed', 'unverified']) assert.equal(report[key], want[key], key);
  assert.ok(want.failed > 0 && want.passed > 0, 'the suite has both outcomes');
  assert.ok(close(report.passRate, want.passRate));
  assert.equal(report.gate, report.passRate >= 0.5 ? 'passed' : 'failed');
  assert.equal(report.status, 'completed');
  assert.deepEqual(report.nlu.confusion, want.nlu.confusion);
  assert.equal(report.nlu.total, want.nlu.total);
  assert.ok(close(report.nlu.accuracy, want.nlu.accuracy));
  assert.ok(close(report.nlu.macroF1, want.nlu.macroF1));
  assert.equal(report.nlu.perIntent.length, want.nlu.perIntent.length);
  report.nlu.perIntent.forEach((m, i) => {
    const w = want.nlu.perIntent[i];
    assert.equal(m.intent, w.intent);
    assert.equal(m.support, w.support);
    for (const k of ['precision', 'recall', 'f1']) assert.ok(close(m[k], w[k]), `${m.intent}.${k}`);
  });
  // data = contextVariables, a fresh session per case.
  for (const entry of log) {
    assert.equal(entry.newSession, true);
    assert.equal(entry.turn, 1);
    const index = payload.test_cases.findIndex((c) => c.input_text === entry.text);
    assert.deepEqual(entry.data, { caseNo: index });
  }
  assert.equal(new Set(log.map((e) => e.sessionId)).size, log.length, 'no two cases share a session');
  assert.equal(events.length, payload.test_cases.length);
  assert.deepEqual(events.map((e) => e.completed), events.map((_, i) => i + 1));
  assert.ok(events.every((e) => e.phase === 'case' && e.total === payload.test_cases.length && e.attempt === 1));
  assert.deepEqual(report.flaky, []);
  // The latency is the measured round trip: the sim's scaled latency at least.
  for (const c of report.cases) assert.ok(c.latencyMs >= 0 && c.latencyMs < 5000);
});

test('runEndpoint: concurrency never exceeds the option (counted at the server)', async () => {
  for (const concurrency of [1, 2, 4]) {
    reset();
    sim.setFaults(ENDPOINT_ROUTE, [{ delayMs: 40, times: 12 }]);
    const report = await runner().runEndpoint(suite(`conc${concurrency}`, 12), { endpointUrl: sim.endpointUrl(), nlu: NLU, concurrency });
    assert.equal(report.total, 12);
    const { maxInFlight, requests } = sim.endpoint();
    assert.equal(requests, 12);
    assert.equal(maxInFlight, concurrency, `in flight at once with concurrency ${concurrency}`);
  }
});

test('runEndpoint: 429 with Retry-After is honoured, 5xx retried', async () => {
  reset();
  sim.setFaults(ENDPOINT_ROUTE, [{ status: 429, retryAfter: 1 }, { status: 503 }]);
  const payload = suite('rl', 1);
  const report = await runner().runEndpoint(payload, { endpointUrl: sim.endpointUrl(), nlu: NLU, concurrency: 1 });
  assert.equal(report.cases[0].status, 'passed', JSON.stringify(report.cases[0]));
  const hits = sim.requests({ method: 'POST' }).filter((r) => r.path.startsWith('/endpoint/'));
  assert.equal(hits.length, 3);
  const gap = Date.parse(hits[1].at) - Date.parse(hits[0].at);
  assert.ok(gap >= 950, `waited ${gap} ms after the 429`);
  assert.equal(sim.endpoint().log.length, 1);
});

test('runEndpoint: a case whose requests keep failing is errored with the reason, never thrown', async () => {
  reset();
  sim.setFaults(ENDPOINT_ROUTE, [{ status: 500, times: 4 }]);
  const report = await runner().runEndpoint(suite('err', 1), { endpointUrl: sim.endpointUrl(), nlu: NLU, concurrency: 1 });
  assert.equal(report.errored, 1);
  assert.match(report.cases[0].reasons[0], /endpoint: .*500.*after 4 attempts/);
  assert.equal(report.gate, 'failed');
  assert.match(g.toJUnitXml(report), /<error /);
});

test('runEndpoint: an expected intent without nlu is CONFIG before anything is sent', async () => {
  reset();
  await assert.rejects(runner().runEndpoint(suite('cfg', 3), { endpointUrl: sim.endpointUrl() }), (err) => {
    assert.equal(err.name, 'GuardError');
    assert.equal(err.code, 'CONFIG');
    assert.match(err.message, /testCases\[0\]\.outcome\.expectedIntent/);
    return true;
  });
  for (const bad of [{}, { endpointUrl: 7 }, { endpointUrl: sim.endpointUrl(), concurrency: 0 }, { endpointUrl: sim.endpointUrl(), retryFailed: 6 },
    { endpointUrl: sim.endpointUrl(), nlu: { projectId: 'p' } }, { endpointUrl: sim.endpointUrl(), nlu: { ...NLU, minScore: 2 } },
    { endpointUrl: sim.endpointUrl(), nlu: NLU, failOnRegression: true }, { endpointUrl: sim.endpointUrl(), nlu: NLU, baseline: { cases: 1 } }]) {
    await assert.rejects(runner().runEndpoint(suite('cfg', 3), bad), { name: 'GuardError', code: 'CONFIG' }, JSON.stringify(bad));
  }
  await assert.rejects(runner().runEndpoint({ suite_id: '' }, { endpointUrl: sim.endpointUrl() }), { code: 'VALIDATION' });
  assert.equal(sim.endpoint().requests, 0);
});

test('runEndpoint: abort stops every request and rejects CANCELLED', async () => {
  reset();
  sim.setFaults(ENDPOINT_ROUTE, [{ delayMs: 400, times: 100 }]);
  const controller = new AbortController();
  const run = runner().runEndpoint(suite('abort', 40), { endpointUrl: sim.endpointUrl(), nlu: NLU, concurrency: 4, signal: controller.signal });
  await new Promise((resolve) => setTimeout(resolve, 100));
  assert.equal(sim.endpoint().inFlight, 4);
  controller.abort();
  await assert.rejects(run, { name: 'GuardError', code: 'CANCELLED' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const after = sim.endpoint();
  assert.equal(after.inFlight, 0, 'every request was stopped');
  assert.equal(after.requests, 4, 'nothing was sent after the abort');
  await new Promise((resolve) => setTimeout(resolve, 300));
  assert.equal(sim.endpoint().requests, 4);
});

test('runEndpoint: retryFailed reruns failed cases; one that then passes is flaky (JUnit <flakyFailure>)', async () => {
  reset();
  const payload = suite('flaky', 2);
  payload.test_cases[0].outcome.allowed_latency_ms = 300;
  // The first message is slow (over its budget), the rerun is not.
  sim.setFaults(ENDPOINT_ROUTE, [{ delayMs: 600 }]);
  const events = [];
  const report = await runner().runEndpoint(payload, { endpointUrl: sim.endpointUrl(), nlu: NLU, concurrency: 1, retryFailed: 2, onProgress: (e) => events.push(e) });
  assert.equal(report.cases[0].status, 'passed');
  assert.equal(report.flaky.length, 1);
  assert.equal(report.flaky[0].index, 0);
  assert.equal(report.flaky[0].attempts, 2);
  assert.match(report.flaky[0].reasons[0], /^latency: /);
  assert.deepEqual(events.map((e) => [e.index, e.attempt]), [[0, 1], [1, 1], [0, 2]]);
  const sessions = sim.endpoint().log.map((e) => e.sessionId);
  assert.equal(new Set(sessions).size, 3, 'the rerun has its own session');
  const xml = g.toJUnitXml(report);
  assert.equal(xml.match(/<flakyFailure /g).length, 1);
  // A case that keeps failing is rerun retryFailed times and stays failed.
  reset();
  const failing = suite('stays', 3);
  const again = await runner().runEndpoint(failing, { endpointUrl: sim.endpointUrl(), nlu: NLU, retryFailed: 2 });
  assert.equal(again.cases[2].status, 'failed');
  assert.equal(sim.endpoint().log.filter((e) => e.text === failing.test_cases[2].input_text).length, 3);
  assert.deepEqual(again.flaky, []);
});

test('compareReports and the baseline / failOnRegression options', async () => {
  reset();
  const payload = suite('base', 8);
  const options = { endpointUrl: sim.endpointUrl(), nlu: NLU, passThreshold: 0 };
  const baseline = await runner().runEndpoint(payload, options);
  // The suite changes: case 0 now expects an intent the bot does not predict, case 2 the one it does.
  const changed = structuredClone(payload);
  changed.test_cases[0].outcome.expected_intent = 'weather';
  changed.test_cases[2].outcome.expected_intent = 'refund';
  const current = await runner().runEndpoint(changed, { ...options, baseline });
  const cmp = current.comparison;
  assert.deepEqual(cmp.regressions.map((c) => c.index), [0]);
  assert.deepEqual(cmp.fixed.map((c) => c.index), [2]);
  assert.equal(current.gate, 'passed');
  assert.ok(close(cmp.passRateDelta, current.passRate - baseline.passRate));
  assert.ok(close(cmp.macroF1Delta, current.nlu.macroF1 - baseline.nlu.macroF1));
  assert.deepEqual(g.compareReports(current, JSON.stringify(baseline)), { ...cmp });
  const strict = await runner().runEndpoint(changed, { ...options, baseline: JSON.stringify(baseline), failOnRegression: true });
  assert.equal(strict.gate, 'failed');
  assert.equal(strict.audit.governanceStatus, 'non_compliant');
  assert.throws(() => g.compareReports({}, baseline), { name: 'GuardError', code: 'CONFIG' });
  assert.throws(() => g.compareReports(current, '{'), { name: 'GuardError' });
});

test('runEndpoint: the endpoint token is found in no output', async () => {
  reset();
  const audits = [];
  const messages = [];
  const r = runner({ onAudit: (a) => audits.push(a) });
  sim.setFaults(ENDPOINT_ROUTE, [{ status: 500, times: 8 }, { status: 404, times: 2 }]);
  const events = [];
  const report = await r.runEndpoint(suite('secret', 4), {
    endpointUrl: sim.endpointUrl(),
    nlu: NLU,
    concurrency: 2,
    retryFailed: 1,
    onProgress: (e) => events.push(e),
  });
  // A fetch that throws the URL it was given: its message is redacted too.
  const leaky = runner({ fetch: async (url) => { throw new Error(`cannot reach ${url}`); } });
  const leaked = await leaky.runEndpoint(suite('leak', 1), { endpointUrl: sim.endpointUrl(), nlu: NLU });
  for (const bad of [`${sim.url}/endpoint/${TOKEN} x`, `ftp://host/endpoint/${TOKEN}`, `http://example.com/${TOKEN}`]) {
    await r.runEndpoint(suite('bad', 1), { endpointUrl: bad, nlu: NLU }).catch((e) => messages.push(`${e.message} ${JSON.stringify(e)}`));
  }
  assert.equal(messages.length, 3);
  const outputs = [JSON.stringify(report), g.toJUnitXml(report), JSON.stringify(audits), JSON.stringify(events), JSON.stringify(leaked), ...messages];
  assert.ok(leaked.cases[0].reasons[0].includes('cannot reach'), leaked.cases[0].reasons[0]);
  for (const text of outputs) {
    assert.ok(!text.includes(TOKEN), text.slice(0, 300));
    assert.ok(!text.includes(encodeURIComponent(TOKEN).slice(0, 12)));
  }
  assert.ok(report.errored + report.failed > 0, 'errors were reported');
});

test('aggregateEndpointChunks: a suite run in chunks gets the report of the whole run from the core', async () => {
  reset();
  const payload = suite('chunks', 11);
  const options = { endpointUrl: sim.endpointUrl(), nlu: NLU, passThreshold: 0.5 };
  const whole = await runner().runEndpoint(payload, options);
  const slices = [[0, 4], [4, 8], [8, 11]].map(([from, to]) => ({ ...payload, test_cases: payload.test_cases.slice(from, to) }));
  const chunks = [];
  for (const slice of slices) chunks.push(await runner().runEndpoint(slice, options));
  const merged = g.aggregateEndpointChunks(chunks, { passThreshold: 0.5 });
  const want = expectedFrom(sim.endpoint().log.slice(-payload.test_cases.length), payload);
  assert.deepEqual(merged.cases.map((c) => c.index), payload.test_cases.map((_, i) => i));
  assert.deepEqual(merged.cases.map((c) => c.status), want.statuses);
  for (const key of ['total', 'passed', 'failed', 'unverified', 'passRate', 'gate', 'coverage', 'failures']) {
    assert.deepEqual(merged[key], whole[key], key);
  }
  assert.equal(merged.status, 'completed');
  assert.deepEqual(merged.nlu, whole.nlu);
  assert.deepEqual(merged.nlu.confusion, want.nlu.confusion);
  assert.deepEqual(merged.flaky, []);
  // The same from JSON text, without cases, and at a stricter gate.
  const strict = g.aggregateEndpointChunks(JSON.stringify(chunks), { passThreshold: 0.99, cases: false });
  assert.deepEqual(strict.cases, []);
  assert.equal(strict.gate, 'failed');
  // A chunk that ran out of time fails the gate whatever the pass rate.
  const late = chunks.map((c, i) => (i === 1 ? { ...c, status: 'timeout' } : c));
  const timed = g.aggregateEndpointChunks(late, { passThreshold: 0 });
  assert.equal(timed.status, 'timeout');
  assert.equal(timed.gate, 'failed');
  // A compact copy (what the example Extension keeps in the context between executions) merges the same.
  const compact = chunks.map((c) => ({ status: c.status, nlu: true, flaky: c.flaky, cases: c.cases.map(({ index, status, inputText, reasons, matchedIntent, expectedIntent, intentVerified, latencyMs }) => ({ index, status, inputText, reasons, matchedIntent, expectedIntent, intentVerified, latencyMs })) }));
  const small = g.aggregateEndpointChunks(compact, { passThreshold: 0.5 });
  assert.deepEqual(small.nlu, whole.nlu);
  for (const key of ['total', 'passed', 'failed', 'passRate', 'gate']) assert.deepEqual(small[key], whole[key], key);
  assert.throws(() => g.aggregateEndpointChunks([]), { name: 'GuardError', code: 'CONFIG' });
  assert.throws(() => g.aggregateEndpointChunks([{ ...chunks[0], cases: [] }]), { name: 'GuardError', code: 'CONFIG', message: /chunks\[0\]\.cases/ });
  assert.throws(() => g.aggregateEndpointChunks([7]), { name: 'GuardError', code: 'CONFIG', message: /chunks\[0\]/ });
  assert.throws(() => g.aggregateEndpointChunks({}), { name: 'GuardError', code: 'CONFIG' });
});

test('a runner without auth runs an endpoint suite without nlu; every platform request is a CONFIG error before sending', async () => {
  reset();
  const sent = [];
  const counting = (url, init) => {
    sent.push(String(url));
    return fetch(url, init);
  };
  const bare = new g.TestSuiteRunner({ baseUrl: sim.url, fetch: counting });
  const plain = suite('noauth', 3);
  for (const c of plain.test_cases) delete c.outcome.expected_intent;
  const report = await bare.runEndpoint(plain, { endpointUrl: sim.endpointUrl(), passThreshold: 0 });
  assert.equal(report.total, 3);
  assert.equal(sent.length, 3, 'one message per case');
  assert.ok(sent.every((url) => new URL(url).pathname.startsWith('/endpoint/')));
  sent.length = 0;
  const attempts = {
    'runEndpoint with nlu': () => bare.runEndpoint(suite('noauth-nlu', 2), { endpointUrl: sim.endpointUrl(), nlu: NLU }),
    runPlaybook: () => bare.runPlaybook({ playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' }),
    runSimulation: () => bare.runSimulation({ simulationReferenceId: 'sim-1' }),
  };
  for (const [method, attempt] of Object.entries(attempts)) {
    await assert.rejects(attempt(), (e) => e.name === 'GuardError' && e.code === 'CONFIG' && e.message.includes(method) && /auth/.test(e.message), method);
  }
  const seed = new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: sim.url, fetch: counting });
  for (const [method, attempt] of Object.entries({
    run: () => seed.run(suite('noauth-seed', 2)),
    submit: () => seed.submit(suite('noauth-seed', 2)),
    waitForCompletion: () => seed.waitForCompletion('x'),
    fetchResults: () => seed.fetchResults('x'),
  })) {
    await assert.rejects(attempt(), (e) => e.code === 'CONFIG' && e.message.includes(method), method);
  }
  assert.deepEqual(sent, [], 'nothing was sent');
  bare.free();
  seed.free();
});
