#!/usr/bin/env node
'use strict';
// The `cognigy-guard` command line (the package's `bin`). Exit codes, as Cognigy's own CLI:
// 0 gate passed / success, 1 gate failed or invalid input, 2 timeout or error.

const { parseArgs } = require('node:util');
const { readFileSync, writeFileSync } = require('node:fs');
const path = require('node:path');

const pkgRoot = path.join(__dirname, '..');
const EXIT = { OK: 0, FAILED: 1, ERROR: 2 };

const USAGE = `usage: cognigy-guard <command> [options]

commands:
  validate FILE            validate a timeout config or a test suite (JSON); errors by path
  configure FILE           validate and apply timeout config(s) (one object or an array)
  run-suite FILE           run a test suite (seed-v1), wait for it, report and gate
  run-playbook             run a Cognigy Playbook (cognigy-v2): --playbook --flow --locale --entrypoint
  sim                      start the Cognigy simulator and the admin page
  demo                     run the demo against the simulator

connection (flags or environment; credentials are never printed):
  --base-url URL           or COGNIGY_BASE_URL
  --api NAME               cognigy-v2 (default) or seed-v1
  --api-key KEY            or COGNIGY_API_KEY
  --client-id ID           or COGNIGY_CLIENT_ID
  --client-secret SECRET   or COGNIGY_CLIENT_SECRET
  --allow-insecure-http    allow http:// to a non-loopback host

run options:
  --pass-threshold X       gate threshold, 0..1 (default 0.95)
  --webhook URL            CI webhook to notify
  --json FILE              write the report as JSON
  --junit FILE             write the report as JUnit XML
  --poll-interval MS       first poll interval (default 2000)
  --deadline MS            overall deadline

other:
  --kind timeout|suite     what 'validate' reads (default: detected)
  --port N --host H        for 'sim' and 'demo'
  --exit                   'demo': stop after the demo instead of serving
  -h, --help               this text
  -v, --version            the package version

exit codes: 0 success or gate passed, 1 gate failed or invalid input, 2 timeout or error`;

const OPTIONS = {
  'base-url': { type: 'string' },
  api: { type: 'string' },
  'api-key': { type: 'string' },
  'client-id': { type: 'string' },
  'client-secret': { type: 'string' },
  'allow-insecure-http': { type: 'boolean' },
  'pass-threshold': { type: 'string' },
  webhook: { type: 'string' },
  json: { type: 'string' },
  junit: { type: 'string' },
  'poll-interval': { type: 'string' },
  deadline: { type: 'string' },
  kind: { type: 'string' },
  playbook: { type: 'string' },
  flow: { type: 'string' },
  locale: { type: 'string' },
  entrypoint: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  exit: { type: 'boolean' },
  help: { type: 'boolean', short: 'h' },
  version: { type: 'boolean', short: 'v' },
};

/** A user mistake on the command line: printed with a hint, exit code 1. */
class UsageError extends Error {}

const lib = () => require(path.join(pkgRoot, 'node', 'index.cjs'));

function readJson(file) {
  if (!file) throw new UsageError('a FILE argument is required');
  let text;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${err.code || err.message}`);
  }
  return text;
}

function number(values, name, fallback) {
  if (values[name] === undefined) return fallback;
  const n = Number(values[name]);
  if (!Number.isFinite(n)) throw new UsageError(`--${name} needs a number`);
  return n;
}

/** Connection options for TimeoutManager / TestSuiteRunner from flags and environment. */
function connection(values, env, defaultApi) {
  const baseUrl = values['base-url'] || env.COGNIGY_BASE_URL;
  if (!baseUrl) throw new UsageError('--base-url (or COGNIGY_BASE_URL) is required');
  const apiKey = values['api-key'] || env.COGNIGY_API_KEY;
  const clientId = values['client-id'] || env.COGNIGY_CLIENT_ID;
  const clientSecret = values['client-secret'] || env.COGNIGY_CLIENT_SECRET;
  let auth;
  if (apiKey) auth = { apiKey };
  else if (clientId || clientSecret) auth = { clientId, clientSecret };
  return { api: values.api || defaultApi, baseUrl, auth, allowInsecureHttp: Boolean(values['allow-insecure-http']) };
}

function printIssues(label, issues, out) {
  for (const i of issues) out(`  ${label} ${i.path || '(root)'}: ${i.code} ${i.message}`);
}

function cmdValidate(files, values, io) {
  const text = readJson(files[0]);
  let kind = values.kind;
  if (!kind) kind = /"(testCases|test_cases|suiteId|suite_id)"\s*:/.test(text) ? 'suite' : 'timeout';
  if (kind !== 'suite' && kind !== 'timeout') throw new UsageError('--kind must be timeout or suite');
  const g = lib();
  const result = kind === 'suite' ? g.validateTestExecutionJson(text) : g.validateTimeoutConfigJson(text);
  if (result.ok) {
    io.out(`${files[0]}: valid ${kind === 'suite' ? 'test suite' : 'timeout config'}`);
    printIssues('warning', result.warnings, io.out);
    return EXIT.OK;
  }
  io.err(`${files[0]}: invalid ${kind === 'suite' ? 'test suite' : 'timeout config'} (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'})`);
  printIssues('error', result.errors, io.err);
  printIssues('warning', result.warnings, io.err);
  return EXIT.FAILED;
}

async function cmdConfigure(files, values, io) {
  const parsed = JSON.parse(readJson(files[0]));
  const configs = Array.isArray(parsed) ? parsed : [parsed];
  const manager = new (lib().TimeoutManager)(connection(values, io.env, 'cognigy-v2'));
  try {
    for (const config of configs) {
      await manager.configureTimeout(config);
      io.out(`configured ${config.endpointId ?? config.endpoint_id}`);
    }
  } finally {
    manager.close();
  }
  return EXIT.OK;
}

/** Progress display: a redrawn bar on a TTY, one plain line per change otherwise (CI logs). */
function progressPrinter(io) {
  let last = '';
  return (p) => {
    const done = p.total ? `${p.completed ?? 0}/${p.total}` : '';
    if (io.isTTY) {
      const width = 24;
      const filled = p.total ? Math.round(((p.completed ?? 0) / p.total) * width) : 0;
      const bar = `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
      io.stderr.write(`\r${bar} ${p.phase} ${p.status ?? ''} ${done} ${Math.round(p.elapsedMs / 1000)}s   `);
    } else {
      const line = `${p.phase} ${p.status ?? ''} ${done}`.trim();
      if (line !== last) io.err(`progress: ${line} (poll ${p.polls}, ${Math.round(p.elapsedMs)} ms)`);
      last = line;
    }
  };
}

function summary(report, io) {
  const pct = (x) => `${(x * 100).toFixed(1)}%`;
  const rows = [
    ['execution', String(report.executionId)],
    ['status', String(report.status)],
    ['cases', `${report.total} (${report.passed} passed, ${report.failed} failed, ${report.unverified} unverified)`],
    ['pass rate', pct(report.passRate)],
    ['intent coverage', pct(report.coverage.intentCoverage)],
    ['entity coverage', pct(report.coverage.entityCoverage)],
    ['latency p50/p95/max', report.latency.p50 === null ? 'n/a' : `${report.latency.p50} / ${report.latency.p95} / ${report.latency.max} ms`],
    ['gate', report.gate.toUpperCase()],
  ];
  if (report.webhook) rows.push(['webhook', report.webhook.delivered ? 'delivered' : `NOT delivered after ${report.webhook.attempts} attempts`]);
  for (const [k, v] of rows) io.out(`${k.padEnd(20)} ${v}`);
  for (const f of report.failures.slice(0, 20)) io.out(`  x #${f.index} ${JSON.stringify(f.inputText)}: ${f.reasons.join('; ')}`);
}

function writeReports(report, values, io) {
  if (values.json) writeFileSync(values.json, `${JSON.stringify(report, null, 2)}\n`);
  if (values.junit) writeFileSync(values.junit, lib().toJUnitXml(report));
  if (values.json) io.err(`report written to ${values.json}`);
  if (values.junit) io.err(`JUnit XML written to ${values.junit}`);
}

function runOptions(values, io) {
  return {
    webhookUrl: values.webhook,
    passThreshold: number(values, 'pass-threshold', 0.95),
    onProgress: progressPrinter(io),
  };
}

function runner(values, io, api) {
  const options = { ...connection(values, io.env, api), pollIntervalMs: number(values, 'poll-interval', 2000) };
  if (values.deadline !== undefined) options.deadlineMs = number(values, 'deadline');
  return new (lib().TestSuiteRunner)(options);
}

async function cmdRunSuite(files, values, io) {
  const payload = JSON.parse(readJson(files[0]));
  const report = await runner(values, io, 'seed-v1').run(payload, runOptions(values, io));
  if (io.isTTY) io.stderr.write('\n');
  summary(report, io);
  writeReports(report, values, io);
  return report.gate === 'passed' ? EXIT.OK : EXIT.FAILED;
}

async function cmdRunPlaybook(files, values, io) {
  for (const flag of ['playbook', 'flow', 'locale', 'entrypoint']) {
    if (!values[flag]) throw new UsageError(`--${flag} is required`);
  }
  const report = await runner(values, io, 'cognigy-v2').runPlaybook(
    { playbookId: values.playbook, flowId: values.flow, localeId: values.locale, entrypoint: values.entrypoint },
    runOptions(values, io),
  );
  if (io.isTTY) io.stderr.write('\n');
  summary(report, io);
  writeReports(report, values, io);
  return report.gate === 'passed' ? EXIT.OK : EXIT.FAILED;
}

function waitForSignal(sim) {
  return new Promise((resolve) => {
    const stop = () => sim.close().then(() => resolve(EXIT.OK));
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}

async function cmdSim(files, values, io) {
  const { startSimulator } = require(path.join(pkgRoot, 'sim'));
  const sim = await startSimulator({
    port: number(values, 'port', 8787),
    host: values.host || '127.0.0.1',
    staticRoots: { '/': path.join(pkgRoot, 'www'), '/pkg/': pkgRoot },
  });
  io.out(sim.url);
  io.err(`Cognigy simulator and admin page at ${sim.url}/ (Ctrl-C stops)`);
  return waitForSignal(sim);
}

async function cmdDemo(files, values, io) {
  const { runDemo } = require('./demo.js');
  const sim = await runDemo({
    lib: lib(),
    simulator: require(path.join(pkgRoot, 'sim')),
    www: path.join(pkgRoot, 'www'),
    pkg: pkgRoot,
    port: number(values, 'port', 8787),
    log: io.out,
  });
  if (values.exit) {
    await sim.close();
    return EXIT.OK;
  }
  io.out(`\nStill serving the simulator and the admin page at ${sim.url}/ (Ctrl-C stops).`);
  return waitForSignal(sim);
}

const COMMANDS = {
  validate: cmdValidate,
  configure: cmdConfigure,
  'run-suite': cmdRunSuite,
  'run-playbook': cmdRunPlaybook,
  sim: cmdSim,
  demo: cmdDemo,
};

/** Exit code for an error: invalid input → 1, everything else (timeouts, HTTP, network) → 2. */
function exitCodeFor(err) {
  if (err instanceof UsageError || err instanceof SyntaxError) return EXIT.FAILED;
  if (err && err.name === 'GuardError' && (err.code === 'VALIDATION' || err.code === 'CONFIG')) return EXIT.FAILED;
  return EXIT.ERROR;
}

/** Runs the CLI with `argv` (without node and script); resolves to the exit code. */
async function main(argv, io) {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (err) {
    io.err(`${err.message}\n\n${USAGE}`);
    return EXIT.FAILED;
  }
  const { values, positionals } = parsed;
  if (values.version) {
    io.out(JSON.parse(readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')).version);
    return EXIT.OK;
  }
  const [command, ...files] = positionals;
  if (values.help || !command) {
    (values.help ? io.out : io.err)(USAGE);
    return values.help ? EXIT.OK : EXIT.FAILED;
  }
  const run = COMMANDS[command];
  if (!run) {
    io.err(`unknown command ${JSON.stringify(command)}\n\n${USAGE}`);
    return EXIT.FAILED;
  }
  try {
    return await run(files, values, io);
  } catch (err) {
    const code = err && err.code ? ` ${err.code}` : '';
    io.err(`cognigy-guard ${command}: ${err && err.name === 'GuardError' ? `GuardError${code}` : 'error'}: ${err && err.message}`);
    if (err && Array.isArray(err.errors)) printIssues('error', err.errors, io.err);
    return exitCodeFor(err);
  }
}

if (require.main === module) {
  const io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
  });
}

module.exports = { main };
