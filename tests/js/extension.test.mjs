// The example Cognigy Extension (examples/cognigy-extension) as Cognigy runs it: the BUILT bundle
// build/module.js is evaluated afresh for every execution (Cognigy spawns a process per execution) in
// a node:vm context that has only what the Extension sandbox offers (fetch, timers, URL, TextEncoder/
// Decoder, AbortController, console) and no require, fs, process or Buffer. Each node's `function`
// gets a recording fake `cognigy` object; the context is carried from one execution to the next only
// through what the node wrote with api.addToContext, as on the platform. Every execution is checked
// against Cognigy's limits: under 20 s wall time, at most 10 api.* calls, each object under 62 KB.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import vm from 'node:vm';
import { pkgDir, root, seedSuite } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { startSimulator, bot, samples } = require('../../sim');

const exampleDir = join(root, 'examples', 'cognigy-extension');
const bundlePath = join(exampleDir, 'build', 'module.js');
const API_KEY = 'ext-test-api-key-5d1e8c';
const CLIENT = { id: 'ext-test-client', secret: 'ext-test-client-secret-93ab71' };
const ENDPOINT_TOKEN = 'ext-Endpoint-Token-c41d9e7a';
const SECRETS = [API_KEY, CLIENT.secret, ENDPOINT_TOKEN];
const LIMITS = { wallMs: 20_000, apiCalls: 10, objectBytes: 62 * 1000 };
const STATE_KEY = 'cognigyGuardState';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const jsonBytes = (v) => Buffer.byteLength(JSON.stringify(v) ?? '', 'utf8');

let source;
let sim;
/** Every execution's figures, printed at the end (execution time, api calls, largest object). */
const figures = [];

before(async () => {
  assert.ok(existsSync(bundlePath), 'examples/cognigy-extension/build/module.js is missing: scripts/test.sh builds it (npm ci --prefix examples/cognigy-extension && npm run build --prefix examples/cognigy-extension)');
  source = readFileSync(bundlePath, 'utf8');
  sim = await startSimulator({ timeScale: 4, apiKeys: [API_KEY], clients: [CLIENT], endpointTokens: [ENDPOINT_TOKEN] });
});

after(async () => {
  await sim?.close();
  if (figures.length) {
    const max = (k) => Math.max(...figures.map((f) => f[k]));
    console.log(`# extension executions: ${figures.length}; max wall ${max('ms').toFixed(0)} ms, max api calls ${max('apiCalls')}, largest api object ${max('maxObjectBytes')} bytes`);
    for (const f of figures) console.log(`#   ${f.label}: ${f.ms.toFixed(0)} ms, ${f.apiCalls} api calls, largest object ${f.maxObjectBytes} bytes`);
  }
});

/** A fresh sandbox like Cognigy's: no require (it throws), no fs, no process, no Buffer. */
function loadExtension() {
  const sandbox = {
    module: { exports: {} },
    require: (name) => { throw new Error(`require('${name}') is not available in the extension sandbox`); },
    fetch, Headers, Request, Response, AbortController, AbortSignal,
    setTimeout, clearTimeout, setInterval, clearInterval, queueMicrotask,
    URL, URLSearchParams, TextEncoder, TextDecoder,
    console: { log() {}, info() {}, warn() {}, error() {}, debug() {} },
  };
  sandbox.exports = sandbox.module.exports;
  vm.createContext(sandbox);
  vm.runInContext(source, sandbox, { filename: 'build/module.js' });
  return { extension: sandbox.module.exports.default, sandbox };
}

/** Field values as Cognigy hands them: every field's default, overridden by `config`. */
function configOf(node, config) {
  return { ...Object.fromEntries(node.fields.map((f) => [f.key, clone(f.defaultValue)])), ...config };
}

/**
 * One node execution in a fresh sandbox with a recording `cognigy`. `context` is what earlier
 * executions left; the returned `context` is what the next one gets.
 */
async function execute(label, type, config, context = {}) {
  const started = performance.now();
  const { extension } = loadExtension();
  const node = extension.nodes.find((n) => n.type === type);
  assert.ok(node, `node ${type}`);
  const calls = [];
  const ctx = clone(context);
  const record = (name) => (...args) => calls.push({ name, args: clone(args) });
  const api = {
    addToContext: (key, value, mode) => {
      calls.push({ name: 'addToContext', args: clone([key, value, mode]) });
      assert.equal(mode, 'simple');
      ctx[key] = clone(value);
    },
    say: record('say'), output: record('output'), log: record('log'), addToInput: record('addToInput'), setNextNode: record('setNextNode'),
  };
  const cognigy = { api, context: ctx, input: { text: 'what is the weather', sessionId: 'session-1', userId: 'user-1' }, profile: {} };
  // The node's children, as Cognigy hands them to the function: one config per child node.
  const childConfigs = [...(node.dependencies?.children ?? [])].map((t) => ({ id: `child:${t}`, type: t, config: {} }));
  await node.function({ cognigy, config: configOf(node, config), childConfigs, nodeId: 'node-1' });
  const ms = performance.now() - started;

  // Cognigy's limits, per execution.
  assert.ok(ms < LIMITS.wallMs, `${label}: ${ms} ms`);
  assert.ok(calls.length <= LIMITS.apiCalls, `${label}: ${calls.length} api calls`);
  let maxObjectBytes = 0;
  for (const call of calls) {
    for (const arg of call.args) {
      const bytes = jsonBytes(arg);
      maxObjectBytes = Math.max(maxObjectBytes, bytes);
      assert.ok(bytes <= LIMITS.objectBytes, `${label}: api.${call.name} got ${bytes} bytes`);
    }
  }
  // No secret, token or Authorization value is ever written or logged.
  const written = JSON.stringify(calls);
  for (const secret of SECRETS) assert.ok(!written.includes(secret), `${label}: a secret reached api.*`);
  assert.ok(!/Bearer\s+\S|access_token/i.test(written), `${label}: a token reached api.*`);
  figures.push({ label, ms, apiCalls: calls.length, maxObjectBytes });
  // The path taken: exactly one setNextNode, to one of the node's own children, as the last call.
  const next = calls.filter((c) => c.name === 'setNextNode');
  assert.equal(next.length, 1, `${label}: one path taken (${next.length})`);
  assert.equal(calls.at(-1).name, 'setNextNode', `${label}: the path is taken after everything is written`);
  const path = next[0].args[0].replace(/^child:/, '');
  assert.ok(childConfigs.some((c) => c.type === path), `${label}: ${path} is a child of ${type}`);
  return { calls, context: ctx, ms, node, path };
}

const guardConfig = (extra = {}) => ({
  endpointId: 'quote_svc',
  url: `${sim.url}/ext/quote`,
  authType: 'apiKey',
  apiKeyConnection: { apiKey: API_KEY },
  maxWaitTimeMs: 1000,
  slaThresholdMs: 500,
  retryAttempts: 2,
  backoffMs: 100,
  deadlineMs: 8000,
  failureThreshold: 4,
  resetTimeoutMs: 1500,
  fallbackTemplate: { message: 'The quote service is resting.' },
  ...extra,
});

const count = (path) => sim.requests({ path }).length;
const breakerOf = (context, endpointId) => context[STATE_KEY].endpoints.find((e) => e.policy.endpointId === endpointId).breaker;

test('the bundle is one self-contained CommonJS file that loads without require, fs or process', () => {
  assert.ok(!/\brequire\(\s*["'`]/.test(source), 'build/module.js calls require()');
  for (const forbidden of ['__dirname', 'import.meta', 'readFileSync', 'process.env']) assert.ok(!source.includes(forbidden), forbidden);
  const { extension, sandbox } = loadExtension();
  for (const name of ['process', 'Buffer', 'fs']) assert.equal(vm.runInContext(`typeof ${name}`, sandbox), 'undefined', name);
  // Arrays from the sandbox have the sandbox's prototypes: compare copies.
  const parents = extension.nodes.filter((n) => !n.parentType);
  assert.deepEqual([...parents.map((n) => n.type)], ['guardedHttpRequest', 'runTestSuite']);
  assert.deepEqual([...extension.connections.map((c) => c.type)], ['cognigy-guard-api-key', 'cognigy-guard-oauth', 'cognigy-guard-endpoint']);
  const connectionTypes = new Set(extension.connections.map((c) => c.type));
  for (const node of parents) {
    assert.equal(typeof node.function, 'function', node.type);
    for (const f of node.fields.filter((x) => x.type === 'connection')) assert.ok(connectionTypes.has(f.params.connectionType), f.key);
    for (const section of node.sections) for (const key of section.fields) assert.ok(node.fields.some((f) => f.key === key), `${node.type}: section field ${key}`);
  }
  const guardFields = extension.nodes[0].fields.map((f) => f.key);
  for (const key of ['endpointId', 'url', 'method', 'maxWaitTimeMs', 'retryAttempts', 'deadlineMs', 'failureThreshold', 'resetTimeoutMs', 'fallbackTemplate', 'contextKey', 'stateKey', 'apiKeyConnection', 'oauthConnection']) {
    assert.ok(guardFields.includes(key), key);
  }
});

/** WCAG relative luminance of a #rrggbb colour. */
function luminance(hex) {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255)
    .map((c) => (c <= 0.04045 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r + 0.7152 * g + 0.0722 * b;
}
/** WCAG contrast ratio of two #rrggbb colours (1..21). */
function contrast(a, b) {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('contrast helper: WCAG reference values', () => {
  assert.equal(Math.round(contrast('#ffffff', '#000000') * 10) / 10, 21);
  assert.equal(Math.round(contrast('#777777', '#ffffff') * 100) / 100, 4.48);
  assert.equal(contrast('#3d9fff', '#000000') > 4.5, true);
});

test('every node header is readable: textColor on color has a contrast ratio of at least 4.5', () => {
  const { extension } = loadExtension();
  for (const node of extension.nodes) {
    const { color, textColor } = node.appearance;
    assert.match(color, /^#[0-9a-f]{6}$/i, `${node.type}: color ${color}`);
    assert.match(textColor, /^#[0-9a-f]{6}$/i, `${node.type}: textColor ${textColor} (set it; the default is black)`);
    const ratio = contrast(color, textColor);
    assert.ok(ratio >= 4.5, `${node.type}: ${textColor} on ${color} has contrast ${ratio.toFixed(2)} < 4.5`);
  }
});

test('each node has child paths for its results, fixed children of that node', () => {
  const { extension } = loadExtension();
  const byType = new Map(extension.nodes.map((n) => [n.type, n]));
  const expected = {
    guardedHttpRequest: ['guardedHttpRequestOnLive', 'guardedHttpRequestOnDegraded', 'guardedHttpRequestOnError'],
    runTestSuite: ['runTestSuiteOnPassed', 'runTestSuiteOnFailed', 'runTestSuiteOnRunning', 'runTestSuiteOnError'],
  };
  for (const [parent, children] of Object.entries(expected)) {
    assert.deepEqual([...byType.get(parent).dependencies.children], children, parent);
    for (const type of children) {
      const child = byType.get(type);
      assert.ok(child, `${type} is in the extension`);
      assert.equal(child.parentType, parent);
      assert.equal(child.function, null, `${type} does nothing itself`);
      for (const key of ['creatable', 'deletable', 'movable', 'editable']) assert.equal(child.constraints[key], false, `${type}.${key}`);
      assert.equal(typeof child.defaultLabel, 'string');
    }
  }
  const threshold = byType.get('runTestSuite').fields.find((f) => f.key === 'passThreshold');
  assert.equal(threshold.defaultValue, 95, 'the gate is in percent, as on the admin page');
  assert.deepEqual({ ...threshold.params }, { min: 0, max: 100 });
  assert.match(threshold.label, /%/);
});

test('Guarded HTTP request: live, retries, breaker opens across executions via the saved snapshot, cache, fallback, recovery', async () => {
  sim.clearFaults();
  // 1. Live answer; the snapshot is saved in the context.
  let before = count('/ext/quote');
  let run = await execute('guard live', 'guardedHttpRequest', guardConfig());
  let result = run.context.guardedResponse;
  assert.equal(result.source, 'live');
  assert.equal(result.degraded, false);
  assert.equal(result.status, 200);
  assert.equal(result.attempts, 1);
  assert.equal(result.circuit, 'closed');
  assert.equal(typeof result.data.seq, 'number');
  const liveSeq = result.data.seq;
  assert.equal(count('/ext/quote'), before + 1);
  assert.equal(sim.requests({ path: '/ext/quote' }).at(-1).authScheme, 'ApiKey');
  assert.deepEqual(run.calls.map((c) => [c.name, c.args[0]]), [['addToContext', 'guardedResponse'], ['addToContext', STATE_KEY], ['setNextNode', 'child:guardedHttpRequestOnLive']]);
  assert.equal(run.path, 'guardedHttpRequestOnLive');
  assert.equal(breakerOf(run.context, 'quote_svc').state, 'closed');
  assert.ok(jsonBytes(run.context[STATE_KEY]) < 24_000);

  // 2. The service fails: 1 + 2 retries, then the last good answer from the (restored) cache.
  sim.setFaults('/ext/quote', [{ status: 503 }], { repeat: true });
  before = count('/ext/quote');
  run = await execute('guard 503 + retries', 'guardedHttpRequest', guardConfig(), run.context);
  result = run.context.guardedResponse;
  assert.equal(count('/ext/quote'), before + 3, 'one attempt and two retries');
  assert.equal(result.attempts, 3);
  assert.equal(result.source, 'cache');
  assert.equal(result.degraded, true);
  assert.equal(run.path, 'guardedHttpRequestOnDegraded', 'a cached answer takes the degraded path');
  assert.equal(result.data.seq, liveSeq, 'the cached answer came from the previous execution');
  assert.equal(result.error.code, 'HTTP');
  assert.equal(result.error.status, 503);
  assert.equal(result.circuit, 'closed', '3 failures < failureThreshold 4');
  assert.equal(breakerOf(run.context, 'quote_svc').consecutiveFailures, 3);
  assert.ok(run.calls.some((c) => c.name === 'log' && c.args[0] === 'warn' && /served cache/.test(c.args[1])));
  const afterThreeFailures = run.context;

  // 3. The fourth failure in a row opens the breaker; it only counts as the fourth because the
  //    snapshot of the previous execution was restored.
  before = count('/ext/quote');
  run = await execute('guard breaker opens', 'guardedHttpRequest', guardConfig(), afterThreeFailures);
  result = run.context.guardedResponse;
  assert.equal(count('/ext/quote'), before + 1);
  assert.equal(result.circuit, 'open');
  assert.equal(result.source, 'cache');
  assert.equal(breakerOf(run.context, 'quote_svc').state, 'open');

  // 4. The next execution restores the open breaker and sends nothing at all.
  before = count('/ext/quote');
  run = await execute('guard breaker open (restored)', 'guardedHttpRequest', guardConfig(), run.context);
  result = run.context.guardedResponse;
  assert.equal(count('/ext/quote'), before, 'no request while the restored breaker is open');
  assert.equal(result.error.code, 'CIRCUIT_OPEN');
  assert.equal(result.attempts, 0);
  assert.equal(result.source, 'cache');
  assert.equal(result.data.seq, liveSeq);
  const openContext = run.context;

  // Control: without the saved snapshot the same execution would have called the service.
  before = count('/ext/quote');
  const fresh = await execute('guard without snapshot (control)', 'guardedHttpRequest', guardConfig({ retryAttempts: 0 }), {});
  assert.equal(count('/ext/quote'), before + 1);
  assert.equal(fresh.context.guardedResponse.source, 'fallback');

  // 5. Another endpoint that never answered: a hanging service times out per attempt, and with no
  //    cached answer the fallback template is served. Both breakers share the saved state.
  sim.setFaults('/ext/weather', [{ hang: true }], { repeat: true });
  run = await execute('guard timeout + fallback', 'guardedHttpRequest', guardConfig({
    endpointId: 'weather_svc', url: `${sim.url}/ext/weather?city=Berlin`, retryAttempts: 1,
    fallbackTemplate: { message: 'No weather right now.' },
  }), openContext);
  result = run.context.guardedResponse;
  assert.equal(result.source, 'fallback');
  assert.equal(result.degraded, true);
  assert.equal(result.error.code, 'TIMEOUT');
  assert.equal(result.attempts, 2);
  assert.equal(result.data.message, 'No weather right now.');
  assert.equal(result.data.metadata.degraded, true);
  assert.equal(run.path, 'guardedHttpRequestOnDegraded', 'the fallback template takes the degraded path');
  assert.ok(run.ms >= 2000 && run.ms < 8000, `${run.ms} ms for two 1 s attempts`);
  assert.equal(breakerOf(run.context, 'quote_svc').state, 'open', 'the other endpoint\'s breaker is kept');
  assert.ok(breakerOf(run.context, 'weather_svc'));
  sim.clearFaults('/ext/weather');

  // 6. Recovery: once resetTimeoutMs has passed and the service is back, the probe succeeds.
  sim.clearFaults('/ext/quote');
  await sleep(1600);
  before = count('/ext/quote');
  run = await execute('guard recovery', 'guardedHttpRequest', guardConfig(), run.context);
  result = run.context.guardedResponse;
  assert.equal(count('/ext/quote'), before + 1);
  assert.equal(result.source, 'live');
  assert.equal(result.degraded, false);
  assert.equal(result.circuit, 'closed');
  assert.ok(result.data.seq > liveSeq);
  assert.equal(run.path, 'guardedHttpRequestOnLive');
  assert.equal(breakerOf(run.context, 'quote_svc').state, 'closed');
  assert.equal(breakerOf(run.context, 'quote_svc').counters.recoveries, 1);
});

test('Guarded HTTP request: the deadline bounds retries against a hanging service', async () => {
  sim.setFaults('/ext/weather', [{ hang: true }], { repeat: true });
  try {
    const run = await execute('guard deadline', 'guardedHttpRequest', guardConfig({
      endpointId: 'slow_svc', url: `${sim.url}/ext/weather?city=Oslo`,
      maxWaitTimeMs: 3000, slaThresholdMs: 1000, retryAttempts: 5, backoffMs: 1000, deadlineMs: 4000,
    }));
    const result = run.context.guardedResponse;
    assert.equal(result.source, 'fallback');
    assert.equal(result.degraded, true);
    assert.ok(run.ms >= 3000 && run.ms < 6000, `${run.ms} ms (deadline 4000; the policy alone would allow ${6 * 3000 + 5 * 1000} ms)`);
  } finally {
    sim.clearFaults('/ext/weather');
  }
});

test('Guarded HTTP request: an answer over 62 KB is stored without its data; the saved state stays small', async () => {
  const big = { blob: 'x'.repeat(90_000) };
  const run = await execute('guard oversized answer', 'guardedHttpRequest', guardConfig({
    endpointId: 'echo_svc', url: `${sim.url}/ext/echo`, method: 'POST', body: big,
    authType: 'oauth', apiKeyConnection: undefined, oauthConnection: { clientId: CLIENT.id, clientSecret: CLIENT.secret },
  }));
  const result = run.context.guardedResponse;
  assert.equal(result.source, 'live');
  assert.equal(result.data, null);
  assert.ok(result.dataOmittedBytes > 90_000, String(result.dataOmittedBytes));
  const stateBytes = jsonBytes(run.context[STATE_KEY]);
  assert.ok(stateBytes < 24_000, `${stateBytes} bytes of state`);
  assert.equal(sim.requests({ path: '/ext/echo' }).at(-1).authScheme, 'Bearer');
});

test('Guarded HTTP request: an invalid policy is reported, nothing is sent', async () => {
  const before = sim.requests({}).length;
  const run = await execute('guard invalid policy', 'guardedHttpRequest', guardConfig({ endpointId: '../etc', maxWaitTimeMs: 50 }));
  const result = run.context.guardedResponse;
  assert.equal(result.source, 'error');
  assert.equal(result.error.code, 'VALIDATION');
  assert.match(result.error.message, /endpointId/);
  assert.match(result.error.message, /maxWaitTimeMs/);
  assert.equal(run.path, 'guardedHttpRequestOnError', 'no answer at all takes the error path');
  assert.equal(sim.requests({}).length, before);
});


function expectedOf(payload) {
  const statuses = payload.test_cases.map((c, i) => bot.caseStatus(bot.evaluateCase(c, i)));
  const n = (s) => statuses.filter((x) => x === s).length;
  return { total: statuses.length, passed: n('passed'), failed: n('failed'), unverified: n('unverified'), passRate: n('passed') / statuses.length };
}

const seedConfig = (payload, extra = {}) => ({
  api: 'seed-v1', baseUrl: sim.url, authType: 'oauth', oauthConnection: { clientId: CLIENT.id, clientSecret: CLIENT.secret },
  suite: payload, pollIntervalMs: 250, passThreshold: 50, ...extra,
});

test('Run test suite (seed-v1): writes the pass rate, coverage and gate of the simulator run', async () => {
  const payload = seedSuite('ext_a');
  const expected = expectedOf(payload);
  assert.ok(expected.failed > 0 && expected.passed > 0 && expected.unverified > 0, 'the suite mixes outcomes');
  const run = await execute('suite seed-v1', 'runTestSuite', seedConfig(payload));
  const summary = run.context.testSuite;
  assert.equal(summary.state, 'finished', JSON.stringify(summary));
  assert.equal(summary.status, 'completed');
  assert.equal(summary.total, expected.total);
  assert.equal(summary.passed, expected.passed);
  assert.equal(summary.failed, expected.failed);
  assert.equal(summary.unverified, expected.unverified);
  assert.equal(summary.passRate, expected.passRate);
  // passThreshold is a percentage in the node, as on the admin page; a fraction in the summary, as in the report
  assert.equal(summary.passThreshold, 0.5);
  assert.equal(summary.gate, expected.passRate >= 0.5 ? 'passed' : 'failed');
  assert.equal(run.path, summary.gate === 'passed' ? 'runTestSuiteOnPassed' : 'runTestSuiteOnFailed');
  assert.ok(summary.coverage.intentCoverage > 0 && summary.coverage.intentCoverage < 1);
  assert.equal(summary.failures.length, expected.failed);
  assert.equal('cases' in summary, false, 'the per-case report is not stored');
  assert.ok(run.calls.some((c) => c.name === 'log' && c.args[0] === 'info' && /passed/.test(c.args[1])));
});

test('Run test suite (seed-v1): a run longer than the budget is left running and collected by the next execution', async () => {
  const payload = seedSuite('ext_long', { extra: 8 }); // 14 cases: 1 s queued + 14 simulated s = 3.75 s at timeScale 4
  const submits = () => sim.requests({ method: 'POST' }).filter((r) => /^\/api\/v1\/test-suites\/[^/]+\/executions$/.test(r.path)).length;
  const before = submits();
  let run = await execute('suite over budget', 'runTestSuite', seedConfig(payload, { budgetMs: 1000 }));
  let summary = run.context.testSuite;
  assert.equal(summary.state, 'running', JSON.stringify(summary));
  assert.equal(summary.gate, 'pending');
  assert.equal(run.path, 'runTestSuiteOnRunning');
  assert.ok(run.ms < 2500, `${run.ms} ms for a 1000 ms budget`);
  const { executionId } = summary;
  run = await execute('suite collected', 'runTestSuite', seedConfig(payload, { budgetMs: 15000 }), run.context);
  summary = run.context.testSuite;
  assert.equal(summary.state, 'finished');
  assert.equal(summary.executionId, executionId);
  assert.equal(submits(), before + 1, 'submitted once');
  assert.equal(summary.passRate, expectedOf(payload).passRate);
});

test('Run test suite (cognigy-v2): a playbook run with an API key', async () => {
  const playbook = samples.PLAYBOOKS[1];
  const steps = playbook.steps.map(bot.evaluateStep);
  const failed = steps.filter((s) => s.status === 'failed').length;
  const run = await execute('suite playbook', 'runTestSuite', {
    api: 'cognigy-v2', baseUrl: sim.url, authType: 'apiKey', apiKeyConnection: { apiKey: API_KEY },
    playbookId: playbook._id, entrypoint: playbook.entrypoint, flowId: playbook.flowId, localeId: playbook.localeId,
    pollIntervalMs: 250,
  });
  const summary = run.context.testSuite;
  assert.equal(summary.state, 'finished', JSON.stringify(summary));
  assert.equal(summary.status, 'done');
  assert.equal(summary.total, steps.length);
  assert.equal(summary.failed, failed);
  assert.equal(summary.passRate, (steps.length - failed) / steps.length);
  assert.equal(summary.gate, summary.passRate >= 0.95 ? 'passed' : 'failed', 'the default gate is 95 %');
  assert.equal(run.path, summary.gate === 'passed' ? 'runTestSuiteOnPassed' : 'runTestSuiteOnFailed');
  assert.equal(summary.coverage.intents, samples.FLOWS.find((f) => f._id === playbook.flowId).intents.length);
});

/** An endpoint suite of `n` cases against the simulator's bot: intents (some wrong on purpose), entities, response fragments. */
function endpointSuite(tag, n) {
  const base = [
    { input_text: `I want to order a large pizza ${tag}`, outcome: { expected_intent: 'orderPizza', expected_entities: ['size'], expected_response_contains: 'pizza', allowed_latency_ms: 5000 } },
    { input_text: `hello ${tag}`, outcome: { expected_intent: 'greeting', allowed_latency_ms: 5000 } },
    { input_text: `Can I get a refund ${tag}`, outcome: { expected_intent: 'orderPizza', allowed_latency_ms: 5000 } },
    { input_text: `What is the weather in Berlin ${tag}`, outcome: { expected_intent: 'weather', expected_entities: ['city'], allowed_latency_ms: 5000 } },
    { input_text: `What are your opening hours ${tag}`, outcome: { expected_response_contains: 'open from', allowed_latency_ms: 5000 } },
  ];
  const cases = Array.from({ length: n }, (_, i) => ({ ...base[i % base.length], input_text: `${base[i % base.length].input_text} #${i}` }));
  return { suite_id: `ext_endpoint_${tag}`, execution_timeout_seconds: 60, test_cases: cases };
}

const NLU_FIELDS = () => ({
  nluProjectId: samples.PROJECT_ID, nluFlowReferenceId: samples.FLOWS[0]._id, nluLocaleReferenceId: samples.LOCALE_ID,
});

test('Run test suite (endpoint): a suite over several executions, resumed from the context; the last one writes the core\'s aggregate', async () => {
  const payload = endpointSuite('chunked', 7);
  const config = {
    api: 'endpoint', baseUrl: sim.url, authType: 'apiKey', apiKeyConnection: { apiKey: API_KEY },
    endpointConnection: { endpointUrl: sim.endpointUrl(ENDPOINT_TOKEN) }, suite: payload, ...NLU_FIELDS(),
    casesPerExecution: 3, passThreshold: 50,
  };
  const logged = sim.endpoint().log.length;
  let run = await execute('endpoint slice 1', 'runTestSuite', config);
  let summary = run.context.testSuite;
  assert.equal(summary.state, 'running', JSON.stringify(summary));
  assert.equal(run.path, 'runTestSuiteOnRunning');
  assert.deepEqual(summary.progress, { done: 3, total: 7 });
  assert.equal(summary.gate, 'pending');
  run = await execute('endpoint slice 2', 'runTestSuite', config, run.context);
  assert.deepEqual(run.context.testSuite.progress, { done: 6, total: 7 });
  run = await execute('endpoint slice 3 (last)', 'runTestSuite', config, run.context);
  summary = run.context.testSuite;
  assert.equal(summary.state, 'finished', JSON.stringify(summary));
  assert.equal(summary.resume, undefined, 'the marker is gone once the suite is done');

  // Every case was sent once, each in its own session, across the three executions.
  const log = sim.endpoint().log.slice(logged);
  assert.equal(log.length, 7);
  assert.equal(new Set(log.map((e) => e.sessionId)).size, 7);
  assert.deepEqual(log.map((e) => e.text).sort(), payload.test_cases.map((c) => c.input_text).sort());

  // The aggregate equals the library's report of the whole suite in one run.
  const g = createRequire(import.meta.url)(pkgDir);
  const runner = new g.TestSuiteRunner({ baseUrl: sim.url, auth: { apiKey: API_KEY } });
  const whole = await runner.runEndpoint(payload, {
    endpointUrl: sim.endpointUrl(ENDPOINT_TOKEN), passThreshold: 0.5,
    nlu: { projectId: samples.PROJECT_ID, flowReferenceId: samples.FLOWS[0]._id, localeReferenceId: samples.LOCALE_ID },
  });
  runner.free();
  for (const key of ['total', 'passed', 'failed', 'unverified', 'passRate', 'gate']) assert.deepEqual(summary[key], whole[key], key);
  assert.ok(whole.failed > 0 && whole.passed > 0, 'the suite has both outcomes');
  assert.deepEqual(summary.nlu, { accuracy: whole.nlu.accuracy, macroF1: whole.nlu.macroF1, total: whole.nlu.total });
  assert.equal(summary.flaky, 0);
  assert.deepEqual(summary.failures.map((f) => f.index), whole.failures.map((f) => f.index), 'cases are numbered across the executions');
  assert.equal(run.path, summary.gate === 'passed' ? 'runTestSuiteOnPassed' : 'runTestSuiteOnFailed');

  // A stricter gate over the same cases fails: the gate is the core's, from every slice.
  const strict = { ...config, passThreshold: 99 };
  run = {};
  for (let i = 0; i < 3; i++) run = await execute(`endpoint strict ${i + 1}`, 'runTestSuite', strict, run.context ?? {});
  assert.equal(run.context.testSuite.gate, 'failed');
  assert.equal(run.path, 'runTestSuiteOnFailed');
});

test('Run test suite (endpoint): without NLU no credentials are needed; a changed suite starts over; the URL is never written', async () => {
  const payload = endpointSuite('plain', 4);
  for (const c of payload.test_cases) delete c.outcome.expected_intent;
  const config = {
    api: 'endpoint', baseUrl: '', authType: 'none', endpointUrl: sim.endpointUrl(ENDPOINT_TOKEN), suite: payload,
    casesPerExecution: 2, passThreshold: 0,
  };
  let run = await execute('endpoint plain 1', 'runTestSuite', config);
  assert.equal(run.context.testSuite.state, 'running', JSON.stringify(run.context.testSuite));
  // Another suite with the marker of the first in the context: it starts at its first case.
  const other = endpointSuite('other', 3);
  for (const c of other.test_cases) delete c.outcome.expected_intent;
  const restarted = await execute('endpoint other suite', 'runTestSuite', { ...config, suite: other }, run.context);
  assert.deepEqual(restarted.context.testSuite.progress, { done: 2, total: 3 });
  run = await execute('endpoint plain 2', 'runTestSuite', config, run.context);
  const summary = run.context.testSuite;
  assert.equal(summary.state, 'finished', JSON.stringify(summary));
  assert.equal(summary.total, 4);
  assert.equal(summary.nlu, undefined);
  assert.ok(!JSON.stringify(run.calls).includes(sim.endpointUrl(ENDPOINT_TOKEN)));

  // An expected intent without NLU ids is the core's CONFIG error; partial NLU ids are refused.
  const intents = await execute('endpoint intent without nlu', 'runTestSuite', { ...config, suite: endpointSuite('intent', 2) });
  assert.equal(intents.context.testSuite.error.code, 'CONFIG');
  assert.equal(intents.path, 'runTestSuiteOnError');
  const partial = await execute('endpoint partial nlu', 'runTestSuite', { ...config, nluProjectId: 'p' });
  assert.match(partial.context.testSuite.error.message, /project id, the flow reference id and the locale reference id/);
  // NLU scores are a platform request: without credentials it is a CONFIG error before anything is sent.
  const before = sim.endpoint().log.length;
  const noAuth = await execute('endpoint nlu without auth', 'runTestSuite', { ...config, baseUrl: sim.url, suite: endpointSuite('noauth', 2), ...NLU_FIELDS() });
  assert.equal(noAuth.context.testSuite.error.code, 'CONFIG');
  assert.match(noAuth.context.testSuite.error.message, /auth/);
  assert.equal(sim.endpoint().log.length, before, 'nothing was sent');
  const noUrl = await execute('endpoint without url', 'runTestSuite', { ...config, endpointUrl: '' });
  assert.match(noUrl.context.testSuite.error.message, /REST Endpoint/);
});

test('Run test suite (endpoint): the largest suite (100 long, failing cases) keeps its resume marker under 62 KB; 101 cases are refused', async () => {
  const payload = endpointSuite('large', 100);
  for (const c of payload.test_cases) {
    c.input_text = `${c.input_text} ${'with a long utterance that goes on and on '.repeat(6)}`.slice(0, 400);
    c.outcome.expected_response_contains = 'a fragment the bot never says';
    c.outcome.expected_entities = ['size', 'city', 'date'];
  }
  const config = {
    api: 'endpoint', baseUrl: sim.url, authType: 'apiKey', apiKeyConnection: { apiKey: API_KEY },
    endpointUrl: sim.endpointUrl(ENDPOINT_TOKEN), suite: payload, ...NLU_FIELDS(), casesPerExecution: 50, passThreshold: 0,
  };
  let run = await execute('endpoint large 1', 'runTestSuite', config);
  assert.equal(run.context.testSuite.state, 'running', JSON.stringify(run.context.testSuite).slice(0, 300));
  run = await execute('endpoint large 2', 'runTestSuite', config, run.context);
  const summary = run.context.testSuite;
  assert.equal(summary.state, 'finished', JSON.stringify(summary).slice(0, 300));
  assert.equal(summary.total, 100);
  assert.equal(summary.failed, 100);
  assert.equal(summary.failures.length, 10, 'the summary lists the first failures');
  const tooMany = await execute('endpoint 101 cases', 'runTestSuite', { ...config, suite: endpointSuite('many', 101) });
  assert.match(tooMany.context.testSuite.error.message, /at most 100 cases/);
});

test('Run test suite: a missing connection is an error, on the error path, and nothing is sent', async () => {
  const before = sim.requests({}).length;
  const run = await execute('suite without connection', 'runTestSuite', { api: 'cognigy-v2', baseUrl: sim.url, authType: 'apiKey', apiKeyConnection: undefined });
  const summary = run.context.testSuite;
  assert.equal(summary.state, 'error');
  assert.equal(summary.error.code, 'CONFIG');
  assert.equal(run.path, 'runTestSuiteOnError');
  assert.equal(sim.requests({}).length, before);
});

test('Run test suite: passThreshold is a percentage; a fraction such as 0.95 is refused, not used as 0.95 %', async () => {
  for (const [value, pattern] of [[0.95, /for 95 % enter 95/], [150, /0 to 100/], ['x', /0 to 100/]]) {
    const before = sim.requests({}).length;
    const run = await execute(`suite passThreshold ${value}`, 'runTestSuite', seedConfig(seedSuite('ext_pct'), { passThreshold: value }));
    const summary = run.context.testSuite;
    assert.equal(summary.state, 'error', JSON.stringify(summary));
    assert.equal(summary.error.code, 'CONFIG');
    assert.match(summary.error.message, pattern);
    assert.equal(run.path, 'runTestSuiteOnError');
    assert.equal(sim.requests({}).length, before, 'nothing was sent');
  }
});

test('npm run zip packs build/, package.json, package-lock.json, README.md and icon.png, with no dependencies to install', () => {
  const out = mkdtempSync(join(tmpdir(), 'cognigy-guard-ext-zip-'));
  try {
    const tarball = execFileSync(process.execPath, [join(exampleDir, 'scripts', 'zip.mjs'), '--out', out], { encoding: 'utf8' }).trim().split('\n').at(-1);
    const entries = execFileSync('tar', ['-tzf', tarball], { encoding: 'utf8' }).split('\n').filter(Boolean).sort();
    assert.deepEqual(entries, ['README.md', 'build/', 'build/module.js', 'icon.png', 'package-lock.json', 'package.json']);
    const manifest = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package.json'], { encoding: 'utf8' }));
    assert.equal(manifest.main, 'build/module.js');
    assert.deepEqual(manifest.dependencies, {});
    const lock = JSON.parse(execFileSync('tar', ['-xzOf', tarball, 'package-lock.json'], { encoding: 'utf8' }));
    assert.deepEqual(Object.keys(lock.packages), ['']);
    assert.equal(execFileSync('tar', ['-xzOf', tarball, 'build/module.js'], { encoding: 'utf8', maxBuffer: 64 << 20 }), source);
    // The README as uploaded: every link resolves inside the tarball or is an absolute https URL.
    const readme = execFileSync('tar', ['-xzOf', tarball, 'README.md'], { encoding: 'utf8' });
    const links = [...readme.matchAll(/\[[^\]]*\]\(([^)\s]+)[^)]*\)|<(https?:[^>]+)>|^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] || m[2] || m[3]);
    for (const link of links) {
      if (/^https:\/\//.test(link)) continue;
      assert.ok(!/^[a-z][a-z0-9+.-]*:/i.test(link), `README link ${link}: only https URLs`);
      const target = link.split('#')[0];
      assert.ok(target === '' || entries.includes(target.replace(/^\.\//, '')), `README link ${link} points outside the upload`);
    }
    assert.doesNotMatch(readme, /\]\(\.\.\//, 'no link into the repository');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
