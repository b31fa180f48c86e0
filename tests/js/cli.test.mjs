// The real `cognigy-guard` binary of the built package, run as a child process against the simulator.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
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
function cli(args, env = {}, stdin = undefined) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      env: { PATH: process.env.PATH, ...env },
      stdio: [stdin === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    if (stdin !== undefined) child.stdin.end(stdin);
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
  const env = { COGNIGY_BASE_URL: sim.url, COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret };
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
});

test('run-playbook: every missing flag is reported at once', async () => {
  const missing = await cli(['run-playbook']);
  assert.equal(missing.code, 1);
  for (const flag of ['--playbook', '--flow', '--locale', '--entrypoint', '--base-url', '--api-key']) {
    assert.match(missing.stderr, new RegExp(`missing ${flag}`), `${flag} in:\n${missing.stderr}`);
  }
});

test('configure: applies configs over seed-v1 and reports auth failures as errors', async () => {
  const config = { endpoint_id: 'ext_svc_weather_01', max_wait_time_ms: 5000, sla_threshold_ms: 2000, fallback_template: '{"message":"later"}' };
  const ok = await cli(['configure', file('cfg.json', [config]), '--api', 'seed-v1', '--base-url', sim.url,
    '--client-id', DEMO_CLIENT.id, '--client-secret', DEMO_CLIENT.secret]);
  assert.equal(ok.code, 0, ok.stderr);
  assert.match(ok.stdout, /configured ext_svc_weather_01 on /);
  const denied = await cli(['configure', file('cfg2.json', config), '--api', 'seed-v1', '--base-url', sim.url,
    '--client-id', DEMO_CLIENT.id, '--client-secret', 'wrong-secret-value']);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /AUTH/);
  assert.ok(!denied.stderr.includes('wrong-secret-value'));
});

/** Starts `cognigy-guard sim ...args` with `env`; resolves to { url, stderr: () => text, stop: () => exit code }. */
async function startSim(args, env = {}) {
  const child = spawn(process.execPath, [bin, 'sim', '--port', '0', ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const url = await new Promise((resolve, reject) => {
    child.stdout.once('data', (d) => resolve(String(d).trim()));
    child.once('error', reject);
    child.once('close', (code) => reject(new Error(`sim exited ${code}: ${stderr}`)));
  });
  const stop = () => new Promise((resolve) => {
    child.once('close', resolve);
    child.kill('SIGINT');
  });
  return { url, stderr: () => stderr, stop };
}

test('sim: prints the demo credentials, takes --time-scale, serves until SIGINT', async () => {
  const server = await startSim(['--time-scale', '1000']);
  let exit;
  try {
    const { url } = server;
    await new Promise((resolve) => { setTimeout(resolve, 200); });
    const stderr = server.stderr();
    assert.ok(stderr.includes(DEMO_API_KEY) && stderr.includes(DEMO_CLIENT.id) && stderr.includes(DEMO_CLIENT.secret), stderr);
    // 1 s queued + 1 s per case in simulated time: at 1000× the run is over by the first poll.
    const run = await cli(['run-suite', file('fast.json', suite([passingCase, passingCase, passingCase])), '--poll-interval', '100', '--json', '-'],
      { COGNIGY_BASE_URL: url, COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(JSON.parse(run.stdout).durationMs < 2000, `durationMs ${JSON.parse(run.stdout).durationMs}`);
    const bad = await cli(['sim', '--time-scale', 'fast']);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /--time-scale needs a number/);
    const health = await fetch(`${url}/__sim/health`).then((r) => r.json());
    assert.equal(health.ok, true);
    const page = await fetch(`${url}/pkg/package.json`).then((r) => r.json());
    assert.equal(page.name, 'cognigy-guard');
  } finally {
    exit = await server.stop();
  }
  assert.equal(exit, 0);
});

test('sim --base-url (or COGNIGY_BASE_URL): the admin page\'s CSP allows that tenant and starts with it', { timeout: 60_000 }, async () => {
  const csp = (html) => html.match(/<meta http-equiv="Content-Security-Policy" content="([^"]*)"/)[1];
  const connectSrc = (html) => csp(html).split(';').map((d) => d.trim()).find((d) => d.startsWith('connect-src'));
  for (const [args, env, tenant] of [
    [['--base-url', 'https://api-trial.cognigy.ai/'], {}, 'https://api-trial.cognigy.ai'],
    [[], { COGNIGY_BASE_URL: 'https://api-acme.cognigy.cloud/base' }, 'https://api-acme.cognigy.cloud'],
  ]) {
    const server = await startSim(args, env);
    try {
      const html = await fetch(`${server.url}/`).then((r) => r.text());
      assert.equal(connectSrc(html), `connect-src 'self' ${tenant}`);
      assert.ok(html.includes(`<meta name="cognigy-guard-base-url" content="${env.COGNIGY_BASE_URL ?? tenant}">`), html.slice(0, 800));
      assert.match(server.stderr(), new RegExp(`the admin page may reach ${(env.COGNIGY_BASE_URL ?? args[1]).replace(/[.]/g, '\\.')}`));
    } finally {
      assert.equal(await server.stop(), 0);
    }
  }
  const plain = await startSim([]);
  try {
    assert.equal(connectSrc(await fetch(`${plain.url}/`).then((r) => r.text())), "connect-src 'self'");
  } finally {
    await plain.stop();
  }
  const bad = await cli(['sim', '--port', '0', '--base-url', 'ftp://example.com']);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /--base-url \(or COGNIGY_BASE_URL\): must be an http\(s\) URL/);
});

test('--help per command lists that command\'s own flags', async () => {
  const run = await cli(['run-suite', '--help']);
  assert.equal(run.code, 0);
  assert.match(run.stdout, /usage: cognigy-guard run-suite FILE/);
  assert.match(run.stdout, /--junit FILE/);
  const check = await cli(['validate', '--help']);
  assert.equal(check.code, 0);
  assert.match(check.stdout, /--kind/);
  assert.doesNotMatch(check.stdout, /--junit|--base-url/);
  assert.match((await cli(['sim', '-h'])).stdout, /--time-scale N/);
  const wrong = await cli(['validate', '--junit', 'x.xml', 'a.json']);
  assert.equal(wrong.code, 1);
  assert.match(wrong.stderr, /--junit/);
});

test('validate: - reads stdin; an array is validated item by item, errors named by index', async () => {
  const config = { endpointId: 'weather', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} };
  const piped = await cli(['validate', '-'], {}, JSON.stringify(config));
  assert.equal(piped.code, 0, piped.stderr);
  assert.match(piped.stdout, /stdin: valid timeout config/);
  const list = await cli(['validate', file('list.json', [config, { ...config, maxWaitTimeMs: 99 }, suite([passingCase])])]);
  assert.equal(list.code, 1);
  assert.match(list.stdout, /\[0\]: valid timeout config/);
  assert.match(list.stderr, /\[1\]\.maxWaitTimeMs: OUT_OF_RANGE/);
  assert.match(list.stdout, /\[2\]: valid test suite/);
});

test('configure on cognigy-v2 says that nothing was sent; errors of an array name the item', async () => {
  const config = { endpointId: 'ext_svc_weather_01', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} };
  const local = await cli(['configure', file('v2.json', config), '--base-url', sim.url, '--api-key', DEMO_API_KEY]);
  assert.equal(local.code, 0, local.stderr);
  assert.match(local.stdout, /registered locally only .*nothing was sent/);
  assert.doesNotMatch(local.stdout, /configured/);
  const bad = await cli(['configure', file('v2-bad.json', [config, { ...config, slaThresholdMs: 1 }]), '--base-url', sim.url, '--api-key', DEMO_API_KEY]);
  assert.equal(bad.code, 1);
  assert.match(bad.stderr, /\[1\]\.slaThresholdMs: OUT_OF_RANGE/);
  assert.doesNotMatch(bad.stdout, /registered/); // nothing is applied while any item is invalid
});

/** A loopback port that refuses connections: one the system just handed out and that was closed again. */
async function refusedPort() {
  const server = createServer();
  await new Promise((resolve) => { server.listen(0, '127.0.0.1', resolve); });
  const { port } = server.address();
  await new Promise((resolve) => { server.close(resolve); });
  return port;
}

test('configure: a refused connection (while fetching the token) is NETWORK, not AUTH', async () => {
  const config = { endpointId: 'ext_svc_weather_01', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} };
  const down = await cli(['configure', file('down.json', config), '--api', 'seed-v1', '--base-url', `http://127.0.0.1:${await refusedPort()}`,
    '--client-id', DEMO_CLIENT.id, '--client-secret', DEMO_CLIENT.secret]);
  assert.equal(down.code, 2);
  assert.match(down.stderr, /NETWORK/);
  assert.match(down.stderr, /ECONNREFUSED/);
  assert.doesNotMatch(down.stderr, /AUTH/);
});

const seedEnv = () => ({ COGNIGY_BASE_URL: sim.url, COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret });

test('run-suite: --json into folders that do not exist yet; --json - writes the report to stdout', async () => {
  const nested = join(dir, 'out', 'sub', 'report.json');
  const junit = join(dir, 'out', 'junit', 'report.xml');
  const r = await cli(['run-suite', file('nested.json', suite([passingCase])), '--poll-interval', '100', '--json', nested, '--junit', junit], seedEnv());
  assert.equal(r.code, 0, r.stderr);
  assert.equal(JSON.parse(readFileSync(nested, 'utf8')).total, 1);
  assert.match(readFileSync(junit, 'utf8'), /<testsuite /);
  const piped = await cli(['run-suite', file('piped.json', suite([passingCase])), '--poll-interval', '100', '--json', '-'], seedEnv());
  assert.equal(piped.code, 0, piped.stderr);
  const report = JSON.parse(piped.stdout);
  assert.equal(report.gate, 'passed');
  assert.equal(report.passed, 1);
  assert.match(piped.stderr, /gate\s+PASSED/); // the summary moved to stderr
});

test('run-suite: the summary says why the gate failed', async () => {
  const below = await cli(['run-suite', file('below.json', suite([passingCase, failingCase])), '--poll-interval', '100'], seedEnv());
  assert.equal(below.code, 1);
  assert.match(below.stdout, /gate\s+FAILED \(pass rate 50\.0% below the threshold 95\.0%\)/);
  const latencyOnly = { input_text: 'hello', outcome: { allowed_latency_ms: 5000 } };
  const nothing = await cli(['run-suite', file('nothing.json', suite([latencyOnly])), '--poll-interval', '100'], seedEnv());
  assert.equal(nothing.code, 1);
  assert.match(nothing.stdout, /FAILED \(nothing verified: all 1 cases assert nothing but latency\)/);
});

test('run-suite: nothing verified fails the gate even at --pass-threshold 0', async () => {
  const latencyOnly = { input_text: 'hello', outcome: { allowed_latency_ms: 5000 } };
  const r = await cli(['run-suite', file('nothing0.json', suite([latencyOnly])), '--poll-interval', '100', '--pass-threshold', '0'], seedEnv());
  assert.equal(r.code, 1);
  assert.match(r.stdout, /FAILED \(nothing verified/);
});

test('run-suite: a run the platform ended failed or timeout exits 2 with the platform\'s status', async () => {
  const failed = await cli(['run-suite', file('failed.json', { ...suite([passingCase, passingCase, passingCase, passingCase]), suite_id: 'fail_cli' }),
    '--poll-interval', '100', '--json', join(dir, 'failed', 'report.json')], seedEnv());
  assert.equal(failed.code, 2, failed.stderr);
  assert.match(failed.stderr, /the platform ended the run failed/);
  assert.match(failed.stdout, /FAILED \(run incomplete: the platform ended it failed\)/);
  assert.equal(JSON.parse(readFileSync(join(dir, 'failed', 'report.json'), 'utf8')).status, 'failed'); // the report is still written
  const timeout = await cli(['run-suite', file('timeout.json', { ...suite(Array(40).fill(passingCase)), execution_timeout_seconds: 30 }),
    '--poll-interval', '100'], seedEnv());
  assert.equal(timeout.code, 2, timeout.stderr);
  assert.match(timeout.stderr, /the platform ended the run timeout/);
});

test('run-suite: a failed seed-v1 run prints the platform\'s reason', async () => {
  const failed = await cli(['run-suite', file('failed-reason.json', { ...suite([passingCase, passingCase, passingCase, passingCase]), suite_id: 'fail_reason' }),
    '--poll-interval', '100'], seedEnv());
  assert.equal(failed.code, 2, failed.stderr);
  assert.match(failed.stderr, /the platform ended the run failed: the bot stopped answering at case 2/);
  assert.match(failed.stdout, /platform reason\s+the bot stopped answering at case 2/);
  const timeout = await cli(['run-suite', file('timeout-reason.json', { ...suite(Array(40).fill(passingCase)), execution_timeout_seconds: 30 }),
    '--poll-interval', '100', '--json', '-'], seedEnv());
  assert.equal(timeout.code, 2, timeout.stderr);
  assert.match(timeout.stderr, /the platform ended the run timeout: execution_timeout_seconds elapsed before every case ran/);
  const report = JSON.parse(timeout.stdout);
  assert.equal(report.failReason, 'execution_timeout_seconds elapsed before every case ran');
  assert.equal(report.total, 40);
  assert.ok(report.errored > 0, JSON.stringify(report.errored));
});

test('run-playbook: a task in error exits 2 and prints the platform\'s failReason', async () => {
  const pb = samples.PLAYBOOKS[0];
  const r = await cli(['run-playbook', '--base-url', sim.url, '--api-key', DEMO_API_KEY, '--poll-interval', '100',
    '--playbook', pb._id, '--flow', 'no_such_flow', '--locale', pb.localeId, '--entrypoint', pb.entrypoint]);
  assert.equal(r.code, 2, r.stderr);
  assert.match(r.stderr, /the platform ended the run error: Flow no_such_flow not found/);
});

test('run-playbook: Ctrl-C cancels the task on the platform and exits 2', async () => {
  const slow = await startSimulator({ timeScale: 1 });
  try {
    const pb = samples.PLAYBOOKS[0];
    const child = spawn(process.execPath, [bin, 'run-playbook', '--base-url', slow.url, '--api-key', DEMO_API_KEY, '--poll-interval', '100',
      '--playbook', pb._id, '--flow', pb.flowId, '--locale', pb.localeId, '--entrypoint', pb.entrypoint], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    const code = await new Promise((resolve) => {
      child.stderr.on('data', (d) => {
        if (!stderr.includes('progress:') && `${stderr}${d}`.includes('progress:')) child.kill('SIGINT');
        stderr += d;
      });
      child.on('close', resolve);
    });
    assert.equal(code, 2, stderr);
    assert.match(stderr, /cancelled \(Ctrl-C\)/);
    const cancels = slow.requests({ method: 'POST' }).filter((r) => /^\/new\/v2\.0\/tasks\/[^/]+\/cancel$/.test(r.path));
    assert.equal(cancels.length, 1, JSON.stringify(slow.requests({})));
  } finally {
    await slow.close();
  }
});

test('list-playbooks: names and the ids run-playbook needs', async () => {
  const r = await cli(['list-playbooks', '--base-url', sim.url, '--api-key', DEMO_API_KEY]);
  assert.equal(r.code, 0, r.stderr);
  for (const pb of samples.PLAYBOOKS) {
    assert.ok(r.stdout.includes(`--playbook ${pb._id} --flow ${pb.flowId} --locale ${pb.localeId} --entrypoint ${pb.entrypoint}`), r.stdout);
  }
  const json = await cli(['list-playbooks', '--base-url', sim.url, '--client-id', DEMO_CLIENT.id, '--client-secret', DEMO_CLIENT.secret, '--json', '-']);
  assert.equal(json.code, 0, json.stderr);
  assert.deepEqual(JSON.parse(json.stdout).map((p) => p._id), samples.PLAYBOOKS.map((p) => p._id));
  const denied = await cli(['list-playbooks', '--base-url', sim.url, '--api-key', 'not-the-key']);
  assert.equal(denied.code, 2);
  assert.match(denied.stderr, /AUTH/);
});

test('JUnit: the testsuite name and classname are the suite id, the same on every run', async () => {
  const names = [];
  for (const n of [1, 2]) {
    const junit = join(dir, `stable-${n}.xml`);
    const r = await cli(['run-suite', file(`stable-${n}.json`, suite([passingCase])), '--poll-interval', '100', '--junit', junit], seedEnv());
    assert.equal(r.code, 0, r.stderr);
    const xml = readFileSync(junit, 'utf8');
    names.push([xml.match(/<testsuite name="([^"]*)"/)[1], xml.match(/classname="([^"]*)"/)[1]]);
  }
  assert.deepEqual(names, [['suite_cli', 'suite_cli'], ['suite_cli', 'suite_cli']]);
});

test('progress: on a terminal the bar is redrawn on a timer between polls, with the elapsed time moving', async () => {
  const { progress, REDRAW_MS } = require(join(pkgDir, 'bin', 'cli', 'progress.js'));
  const writes = [];
  const shown = progress({ isTTY: true, stderr: { write: (t) => writes.push(t) }, err: () => {} });
  shown.onProgress({ phase: 'polling', status: 'running', polls: 1, elapsedMs: 1000, completed: 1, total: 4 });
  await new Promise((resolve) => { setTimeout(resolve, REDRAW_MS * 4 + 50); });
  shown.stop();
  const frames = writes.filter((w) => w.startsWith('\r'));
  assert.ok(frames.length >= 4, `${frames.length} frames`);
  assert.match(frames[0], /\[######\.+\] polling running 1\/4 1\.0s/);
  assert.notEqual(frames.at(-1), frames[0]);
  const after = writes.length;
  await new Promise((resolve) => { setTimeout(resolve, REDRAW_MS * 2); });
  assert.equal(writes.length, after, 'no redraw after stop()');
});

test('run-endpoint: URL from COGNIGY_ENDPOINT_URL (never printed), NLU flags, JSON/JUnit, --baseline and --fail-on-regression', async () => {
  const token = 'demo-endpoint-token';
  const flow = samples.FLOWS[0];
  const nlu = ['--base-url', sim.url, '--api-key', DEMO_API_KEY, '--nlu-project', samples.PROJECT_ID, '--flow-ref', flow._id, '--locale-ref', samples.LOCALE_ID];
  const cases = [
    { input_text: 'I want to order a large pizza', outcome: { expected_intent: 'orderPizza', expected_entities: ['size'], allowed_latency_ms: 5000 } },
    { input_text: 'hello there', outcome: { expected_intent: 'greeting', allowed_latency_ms: 5000 } },
    { input_text: 'Can I get a refund', outcome: { expected_intent: 'orderPizza', allowed_latency_ms: 5000 } },
  ];
  const env = { COGNIGY_ENDPOINT_URL: sim.endpointUrl() };
  const json = join(dir, 'endpoint', 'base.json');
  const first = await cli(['run-endpoint', file('endpoint.json', suite(cases)), ...nlu, '--pass-threshold', '0.5', '--json', json, '--junit', join(dir, 'endpoint', 'j.xml')], env);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /nlu\s+accuracy 66\.7%, macro-F1/);
  assert.match(first.stdout, /confusion \(rows expected, columns predicted: 1=greeting 2=orderPizza 3=refund\)/);
  assert.match(first.stderr, /progress: case #\d passed/);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  assert.equal(report.total, 3);
  assert.deepEqual(report.nlu.confusion.labels, ['greeting', 'orderPizza', 'refund']);
  assert.match(readFileSync(join(dir, 'endpoint', 'j.xml'), 'utf8'), /<testcase /);
  for (const text of [first.stdout, first.stderr, readFileSync(json, 'utf8')]) assert.ok(!text.includes(token));

  const changed = structuredClone(cases);
  changed[1].outcome.expected_intent = 'weather';
  const again = await cli(['run-endpoint', file('changed.json', suite(changed)), ...nlu, '--pass-threshold', '0.3', '--baseline', json], env);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /baseline\s+1 regressed, 0 fixed/);
  assert.match(again.stdout, /regressed #1 "hello there"/);
  const strict = await cli(['run-endpoint', file('changed.json', suite(changed)), ...nlu, '--pass-threshold', '0.3', '--baseline', json, '--fail-on-regression', '--retry-failed', '1'], env);
  assert.equal(strict.code, 1);
  assert.match(strict.stdout, /gate\s+FAILED \(1 regression\(s\) against the baseline/);
  for (const text of [again.stdout, again.stderr, strict.stdout, strict.stderr]) assert.ok(!text.includes(token));
});

test('run-endpoint: missing URL and partial NLU flags are reported at once; intents without NLU are CONFIG (exit 1)', async () => {
  const missing = await cli(['run-endpoint', '--nlu-project', 'p']);
  assert.equal(missing.code, 1);
  for (const flag of ['FILE', '--endpoint-url URL', '--flow-ref ID', '--locale-ref ID', '--base-url URL']) assert.ok(missing.stderr.includes(`missing ${flag}`), flag);
  const noNlu = await cli(['run-endpoint', file('intent.json', suite([passingCase])), '--endpoint-url', sim.endpointUrl()]);
  assert.equal(noNlu.code, 1);
  assert.match(noNlu.stderr, /CONFIG: testCases\[0\]\.outcome\.expectedIntent/);
  assert.ok(!noNlu.stderr.includes('demo-endpoint-token'));
  const textOnly = await cli(['run-endpoint', file('text.json', suite([{ input_text: 'hours?', outcome: { expected_response_contains: 'open from', allowed_latency_ms: 5000 } }])), '--endpoint-url', sim.endpointUrl()]);
  assert.equal(textOnly.code, 0, textOnly.stderr);
  const bad = await cli(['run-endpoint', file('text.json', suite([passingCase])), '--endpoint-url', 'not a url/demo-endpoint-token']);
  assert.equal(bad.code, 1);
  assert.ok(!bad.stderr.includes('demo-endpoint-token'), bad.stderr);
});

test('list-simulations and run-simulation (cognigy-v2 Simulator)', async () => {
  const conn = ['--base-url', sim.url, '--api-key', DEMO_API_KEY];
  const list = await cli(['list-simulations', ...conn, '--project', samples.PROJECT_ID]);
  assert.equal(list.code, 0, list.stderr);
  for (const s of samples.SCENARIOS) assert.ok(list.stdout.includes(`--simulation ${s.referenceId}`), s.name);
  const missing = await cli(['run-simulation', ...conn]);
  assert.equal(missing.code, 1);
  for (const flag of ['--simulation REF', '--project ID', '--flow-ref ID', '--locale-ref ID']) assert.ok(missing.stderr.includes(`missing ${flag}`), flag);
  const args = ['run-simulation', ...conn, '--simulation', samples.SCENARIOS[1].referenceId, '--project', samples.PROJECT_ID,
    '--flow-ref', samples.FLOWS[0]._id, '--locale-ref', samples.LOCALE_ID, '--runs', '2', '--poll-interval', '20'];
  const ran = await cli([...args, '--pass-threshold', '0.5', '--json', join(dir, 'sim', 'report.json')]);
  assert.equal(ran.code, 0, ran.stderr);
  assert.match(ran.stdout, /cases\s+2 \(1 passed, 1 failed/);
  assert.match(ran.stdout, /x #1 "run 2": criterion: the bot never said "sunny"/);
  const strict = await cli([...args]);
  assert.equal(strict.code, 1, 'a completed batch below the threshold misses its gate');
  const broken = await cli(['run-simulation', ...conn, '--simulation', samples.SCENARIOS[0].referenceId, '--project', samples.PROJECT_ID,
    '--flow-ref', 'nope', '--locale-ref', samples.LOCALE_ID, '--poll-interval', '20']);
  assert.equal(broken.code, 2, 'a FAILED batch is a run the platform did not complete');
});
