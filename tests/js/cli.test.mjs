// The real `cognigy-guard` binary of the built package, run as a child process against the simulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkgDir, root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { startSimulator, DEMO_CLIENT, DEMO_API_KEY, samples } = require(join(root, 'sim'));
const bin = join(pkgDir, 'bin', 'cognigy-guard.js');
const SECRETS = [DEMO_CLIENT.secret, DEMO_API_KEY];

let sim;
let dir;
before(async () => {
  sim = await startSimulator({ timeScale: 50 });
  dir = mkdtempSync(join(tmpdir(), 'cognigy-guard-cli-'));
});
after(async () => {
  await sim.close();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs the CLI; resolves to { code, stdout, stderr } and checks no secret was printed. */
function cli(args, env = {}) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('close', (code) => {
      for (const secret of SECRETS) {
        assert.ok(!stdout.includes(secret) && !stderr.includes(secret), `secret printed by ${args.join(' ')}`);
      }
      resolve({ code, stdout, stderr });
    });
  });
}

const file = (name, value) => {
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
};

const suite = (cases) => ({ suite_id: 'suite_cli', execution_timeout_seconds: 600, test_cases: cases });
const passingCase = { input_text: 'What are your business hours?', outcome: { expected_intent: 'intent_business_hours', allowed_latency_ms: 5000 } };
const failingCase = { input_text: 'What are your business hours?', outcome: { expected_intent: 'intent_refund', allowed_latency_ms: 5000 } };

test('--help, --version and usage errors', async () => {
  const help = await cli(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /run-suite FILE/);
  assert.equal((await cli(['--version'])).stdout.trim(), JSON.parse(readFileSync(join(pkgDir, 'package.json'))).version);
  const unknown = await cli(['frobnicate']);
  assert.equal(unknown.code, 1);
  assert.match(unknown.stderr, /unknown command/);
  assert.equal((await cli(['validate', '--no-such-flag'])).code, 1);
  assert.equal((await cli([])).code, 1);
});

test('validate: valid, invalid (errors by path) and unreadable files', async () => {
  const ok = await cli(['validate', file('ok.json', { endpointId: 'weather', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} })]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /valid timeout config/);
  const bad = await cli(['validate', file('bad.json', suite([{ input_text: '', outcome: { allowed_latency_ms: 1 } }]))]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /testCases\[0\]\.inputText: EMPTY/);
  assert.match(bad.stderr, /testCases\[0\]\.outcome\.allowedLatencyMs: OUT_OF_RANGE/);
  const notJson = await cli(['validate', file('broken.json', '{"endpointId": ')]);
  assert.equal(notJson.code, 1);
  assert.match(notJson.stderr, /INVALID_JSON/);
  const missing = await cli(['validate', join(dir, 'nope.json')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /cannot read/);
});

test('run-suite: gate passed → 0 with JSON and JUnit reports; gate failed → 1', async () => {
  const env = { COGNIGY_BASE_URL: sim.url, COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret };
  const json = join(dir, 'report.json');
  const junit = join(dir, 'report.xml');
  const passed = await cli(['run-suite', file('pass.json', suite([passingCase, passingCase])), '--api', 'seed-v1',
    '--poll-interval', '100', '--json', json, '--junit', junit, '--webhook', `${sim.url}/ci/webhook`], env);
  assert.equal(passed.code, 0, passed.stderr);
  assert.match(passed.stdout, /gate\s+PASSED/);
  assert.match(passed.stderr, /progress: /); // plain progress lines when not a TTY
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.total, 2);
  assert.equal(report.passed, 2);
  const xml = readFileSync(junit, 'utf8');
  assert.match(xml, /<testsuite[^>]* tests="2"/);

  const failed = await cli(['run-suite', file('fail.json', suite([passingCase, failingCase])), '--api', 'seed-v1', '--poll-interval', '100'], env);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stdout, /gate\s+FAILED/);
  assert.match(failed.stdout, /intent_refund/);
});

test('run-suite: invalid payload → 1 without submitting; unreachable server → 2', async () => {
  const env = { COGNIGY_BASE_URL: sim.url, COGNIGY_API_KEY: DEMO_API_KEY };
  const invalid = await cli(['run-suite', file('invalid.json', suite([])), '--api', 'seed-v1'], env);
  assert.equal(invalid.code, 1);
  assert.match(invalid.stderr, /VALIDATION/);
  const down = await cli(['run-suite', file('p.json', suite([passingCase])), '--api', 'seed-v1', '--deadline', '3000'],
    { COGNIGY_BASE_URL: 'http://127.0.0.1:9', COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret });
  assert.equal(down.code, 2, down.stderr);
  const noUrl = await cli(['run-suite', file('p2.json', suite([passingCase]))]);
  assert.equal(noUrl.code, 1);
  assert.match(noUrl.stderr, /--base-url/);
});

test('run-playbook against cognigy-v2 with an API key from a flag', async () => {
  const pb = samples.PLAYBOOKS[0];
  const r = await cli(['run-playbook', '--base-url', sim.url, '--api-key', DEMO_API_KEY, '--poll-interval', '100',
    '--playbook', pb._id, '--flow', pb.flowId, '--locale', pb.localeId, '--entrypoint', pb.entrypoint]);
  assert.ok(r.code === 0 || r.code === 1, r.stderr);
  assert.match(r.stdout, /pass rate/);
  const missing = await cli(['run-playbook', '--base-url', sim.url, '--api-key', DEMO_API_KEY]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /--playbook is required/);
});

test('configure: applies configs over seed-v1 and reports auth failures as errors', async () => {
  const config = { endpoint_id: 'ext_svc_weather_01', max_wait_time_ms: 5000, sla_threshold_ms: 2000, fallback_template: '{"message":"later"}' };
  const ok = await cli(['configure', file('cfg.json', [config]), '--api', 'seed-v1', '--base-url', sim.url,
    '--client-id', DEMO_CLIENT.id, '--client-secret', DEMO_CLIENT.secret]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /configured ext_svc_weather_01/);
  const denied = await cli(['configure', file('cfg2.json', config), '--api', 'seed-v1', '--base-url', sim.url,
    '--client-id', DEMO_CLIENT.id, '--client-secret', 'wrong-secret-value']);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /AUTH/);
  assert.ok(!denied.stderr.includes('wrong-secret-value'));
});

test('sim: serves until SIGINT', async () => {
  const child = spawn(process.execPath, [bin, 'sim', '--port', '0'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('error', reject);
  });
  const health = await fetch(`${url}/__sim/health`).then((r) => r.json());
  assert.equal(health.ok, true);
  const page = await fetch(`${url}/pkg/package.json`).then((r) => r.json());
  assert.equal(page.name, 'cognigy-guard');
  const code = await new Promise((resolve) => {
    child.once('close', resolve);
    child.kill('SIGINT');
  });
  assert.equal(code, 0);
});
