// TestSuiteRunner.runSimulation of the built package against the simulator's Simulator API
// (`/testing`, real HTTP on loopback). Expected outcomes come from the simulator's own run player.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);
const { startSimulator, samples } = require('../../sim');
const { playRun } = require('../../sim/testing');

let sim;
before(async () => {
  sim = await startSimulator({ timeScale: 50 });
});
after(() => sim.close());

const runner = () => new g.TestSuiteRunner({ baseUrl: sim.url, auth: { apiKey: 'demo-api-key' }, pollIntervalMs: 20, maxPollIntervalMs: 50 });
const spec = (scenario, extra = {}) => ({
  simulationReferenceId: scenario.referenceId,
  projectId: samples.PROJECT_ID,
  flowReferenceId: samples.FLOWS[0]._id,
  localeReferenceId: samples.LOCALE_ID,
  ...extra,
});

test('runSimulation: one case per run, passed when its success criteria were met', async () => {
  const scenario = samples.SCENARIOS[1]; // two variants: the second never names a city
  const events = [];
  const audits = [];
  const r = new g.TestSuiteRunner({ baseUrl: sim.url, auth: { apiKey: 'demo-api-key' }, pollIntervalMs: 20, maxPollIntervalMs: 50, onAudit: (a) => audits.push(a) });
  const report = await r.runSimulation(spec(scenario, { numberOfRuns: 4, runName: 'nightly' }), { passThreshold: 0.5, onProgress: (e) => events.push(e) });
  const want = Array.from({ length: 4 }, (_, i) => (playRun(scenario, i, true).success ? 'passed' : 'failed'));
  assert.deepEqual(report.cases.map((c) => c.status), want);
  assert.equal(report.total, 4);
  assert.equal(report.passed, want.filter((s) => s === 'passed').length);
  assert.equal(report.status, 'completed');
  assert.equal(report.gate, 'passed');
  assert.ok(report.polls >= 1);
  assert.match(report.failures[0].reasons[0], /^criterion: the bot never said "sunny"/);
  assert.ok(events.some((e) => e.phase === 'polling' && e.total === 4));
  assert.equal(events.at(-1).phase, 'done');
  assert.equal(audits.length, 1);
  assert.match(g.toJUnitXml(report), /<testcase name="#1 run 2"/);
});

test('runSimulation: a batch whose flow does not exist fails; bad specs are CONFIG; seed-v1 refuses it', async () => {
  const scenario = samples.SCENARIOS[0];
  const report = await runner().runSimulation(spec(scenario, { flowReferenceId: 'nope', numberOfRuns: 2 }), { passThreshold: 0 });
  assert.equal(report.status, 'failed');
  assert.equal(report.gate, 'failed');
  assert.equal(report.errored, 2);
  assert.match(report.cases[0].reasons[0], /could not play: flow nope not found/);
  await assert.rejects(runner().runSimulation(undefined), { name: 'GuardError', code: 'VALIDATION' });
  for (const bad of [7, {}, spec(scenario, { numberOfRuns: 11 }), spec(scenario, { projectId: 7 })]) {
    await assert.rejects(runner().runSimulation(bad), { name: 'GuardError', code: 'CONFIG' });
  }
  await assert.rejects(runner().runSimulation(spec({ referenceId: 'missing' })), { name: 'GuardError', code: 'HTTP', status: 404 });
  const seed = new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: sim.url, auth: { clientId: 'demo-client', clientSecret: 'demo-secret' } });
  await assert.rejects(seed.runSimulation(spec(scenario)), { code: 'CONFIG' });
});

test('runSimulation: abort rejects CANCELLED; a baseline gives the comparison', async () => {
  const scenario = samples.SCENARIOS[2];
  const controller = new AbortController();
  const run = runner().runSimulation(spec(scenario, { numberOfRuns: 3 }), { signal: controller.signal });
  setTimeout(() => controller.abort(), 30);
  await assert.rejects(run, { name: 'GuardError', code: 'CANCELLED' });
  const baseline = await runner().runSimulation(spec(samples.SCENARIOS[0]), { passThreshold: 0 });
  const current = await runner().runSimulation(spec(samples.SCENARIOS[2]), { passThreshold: 0, baseline, failOnRegression: true });
  assert.equal(current.comparison.matched, 1);
  // "run 1" passed in the baseline (Password reset) and fails now (Talk to a human: no agent transfer).
  assert.equal(baseline.passed, 1);
  assert.equal(current.failed, 1);
  assert.deepEqual(current.comparison.regressions.map((c) => c.inputText), ['run 1']);
  assert.equal(current.gate, 'failed');
});

test('listPlaybooks and listSimulations read every page through the driver; a page cursor is followed', async () => {
  const r = runner();
  const playbooks = await r.listPlaybooks();
  assert.deepEqual(playbooks.map((p) => p._id).sort(), samples.PLAYBOOKS.map((p) => p._id).sort());
  const scenarios = await r.listSimulations(samples.PROJECT_ID);
  assert.deepEqual(scenarios.map((s) => s.referenceId).sort(), samples.SCENARIOS.map((s) => s.referenceId).sort());
  // Pages of one item each (an injected fetch in front of the simulator): every cursor is followed once.
  const asked = [];
  const paging = async (url, init) => {
    asked.push(new URL(url).search);
    const answer = await fetch(`${sim.url}/new/v2.0/playbooks?limit=100`, init);
    const body = await answer.json();
    const at = Number(new URL(url).searchParams.get('next') ?? 0);
    const page = { items: body.items.slice(at, at + 1), total: body.items.length, nextCursor: at + 1 < body.items.length ? String(at + 1) : null };
    return new Response(JSON.stringify(page), { status: 200, headers: { 'content-type': 'application/json' } });
  };
  const paged = new g.TestSuiteRunner({ baseUrl: sim.url, auth: { apiKey: 'demo-api-key' }, fetch: paging });
  const all = await paged.listPlaybooks();
  assert.deepEqual(all.map((p) => p._id), playbooks.map((p) => p._id));
  assert.deepEqual(asked, ['?limit=100', '?limit=100&next=1', '?limit=100&next=2']);
  await assert.rejects(r.listSimulations(''), { name: 'GuardError', code: 'CONFIG', message: /projectId/ });
  await assert.rejects(new g.TestSuiteRunner({ baseUrl: sim.url }).listPlaybooks(), { code: 'CONFIG', message: /listPlaybooks.*auth/ });
  const seed = new g.TestSuiteRunner({ api: 'seed-v1', baseUrl: sim.url, auth: { clientId: 'a', clientSecret: 'b' } });
  await assert.rejects(seed.listPlaybooks(), { code: 'CONFIG', message: /cognigy-v2/ });
  const controller = new AbortController();
  controller.abort();
  await assert.rejects(r.listPlaybooks({ signal: controller.signal }), { code: 'CANCELLED' });
  for (const x of [r, paged, seed]) x.free();
});
