'use strict';
// `cognigy-guard run-suite FILE|-` (seed-v1) and `run-playbook` (cognigy-v2): run, report, gate;
// `finish` (options, summary, reports, exit code) is shared with run-endpoint.
// Ctrl-C aborts the run's signal: the library cancels the platform task, the command exits 2.

const { UsageError, defaultApi, reportMissing, number } = require('../flags');
const { connection } = require('../connection');
const { readInput, parseJson, writeOutput } = require('../io');
const { progress } = require('../progress');
const { exitCode, printSummary } = require('../report');

const PLAYBOOK_FLAGS = ['playbook', 'flow', 'locale', 'entrypoint'];

function runner(lib, conn, values) {
  const options = { ...conn.options, pollIntervalMs: number(values, 'poll-interval', 2000) };
  if (values.deadline !== undefined) options.deadlineMs = number(values, 'deadline');
  return new (lib().TestSuiteRunner)(options);
}

/** `baseline` / `failOnRegression` from `--baseline F` and `--fail-on-regression`. */
function baselineOptions(values, io) {
  if (values['fail-on-regression'] && !values.baseline) throw new UsageError('--fail-on-regression needs --baseline FILE');
  if (!values.baseline) return {};
  const baseline = parseJson(readInput(values.baseline, io), values.baseline);
  return { baseline, failOnRegression: Boolean(values['fail-on-regression']) };
}

/**
 * Runs `start(runner, options)` (with `extra` options), then prints the summary, writes the
 * reports and gives the exit code.
 */
async function finish(lib, conn, values, io, start, extra = {}) {
  if (values.json === '-' && values.junit === '-') throw new UsageError('--json and --junit cannot both be - (stdout)');
  const shown = progress(io);
  const options = {
    webhookUrl: values.webhook,
    passThreshold: number(values, 'pass-threshold', 0.95),
    ...baselineOptions(values, io),
    ...extra,
    onProgress: shown.onProgress,
    signal: io.signal,
  };
  let report;
  try {
    report = await start(runner(lib, conn, values), options);
  } finally {
    shown.stop();
  }
  // Reports on stdout leave the summary to stderr, so the output stays parseable.
  printSummary(report, values.json === '-' || values.junit === '-' ? io.err : io.out);
  if (values.json) writeOutput(values.json, `${JSON.stringify(report, null, 2)}\n`, 'report', io);
  if (values.junit) writeOutput(values.junit, lib().toJUnitXml(report), 'JUnit XML', io);
  const code = exitCode(report);
  if (code === 2) io.err(`the platform ended the run ${report.status}: ${report.failReason ?? '(no reason given)'}`);
  return code;
}

async function runSuite({ positionals: [file], values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('run-suite'));
  reportMissing('run-suite', [...(file ? [] : ['FILE (a path, or - for stdin)']), ...conn.missing]);
  const payload = parseJson(readInput(file, io), file);
  return finish(lib, conn, values, io, (r, options) => r.run(payload, options));
}

async function runPlaybook({ values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('run-playbook'));
  reportMissing('run-playbook', [...PLAYBOOK_FLAGS.filter((f) => !values[f]).map((f) => `--${f} ID`), ...conn.missing]);
  const spec = { playbookId: values.playbook, flowId: values.flow, localeId: values.locale, entrypoint: values.entrypoint };
  return finish(lib, conn, values, io, (r, options) => r.runPlaybook(spec, options));
}

module.exports = { runSuite, runPlaybook, finish };
