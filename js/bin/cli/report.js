'use strict';
// What a finished run means for the command line: its exit code, why the gate failed, and the
// summary table.

const EXIT = { OK: 0, FAILED: 1, ERROR: 2 };
/** Platform statuses of a run that ran to its end (seed-v1, cognigy-v2 playbook task). */
const COMPLETE = ['completed', 'done'];

const pct = (x) => `${(x * 100).toFixed(1)}%`;

/** Whether the platform ran the whole run (a report from `aggregateResults` has no status). */
function complete(report) {
  return report.status === undefined || COMPLETE.includes(report.status);
}

/** Why the gate failed, or null when it passed. */
function gateReason(report) {
  if (report.gate === 'passed') return null;
  if (!complete(report)) return `run incomplete: the platform ended it ${report.status}`;
  if (report.total === 0) return 'nothing verified: the run has no cases';
  if (report.total === report.unverified) return `nothing verified: all ${report.total} cases assert nothing but latency`;
  return `pass rate ${pct(report.passRate)} below the threshold ${pct(report.passThreshold)}`;
}

/** 0 gate passed, 1 a complete run missed its gate, 2 the platform did not complete the run. */
function exitCode(report) {
  if (!complete(report)) return EXIT.ERROR;
  return report.gate === 'passed' ? EXIT.OK : EXIT.FAILED;
}

/** Prints the summary table with `line`. */
function printSummary(report, line) {
  const rows = [
    ['execution', String(report.executionId)],
    ['status', String(report.status)],
    ['cases', `${report.total} (${report.passed} passed, ${report.failed} failed, ${report.unverified} unverified)`],
    ['pass rate', `${pct(report.passRate)} (threshold ${pct(report.passThreshold)})`],
    ['intent coverage', pct(report.coverage.intentCoverage)],
    ['entity coverage', pct(report.coverage.entityCoverage)],
    ['latency p50/p95/max', report.latency.p50 === null ? 'n/a' : `${report.latency.p50} / ${report.latency.p95} / ${report.latency.max} ms`],
    ['gate', report.gate === 'passed' ? 'PASSED' : `FAILED (${gateReason(report)})`],
  ];
  if (!complete(report)) rows.push(['platform reason', report.failReason ?? '(the platform gave none)']);
  if (report.webhook) rows.push(['webhook', report.webhook.delivered ? 'delivered' : `NOT delivered after ${report.webhook.attempts} attempts`]);
  for (const [k, v] of rows) line(`${k.padEnd(20)} ${v}`);
  for (const f of report.failures.slice(0, 20)) line(`  x #${f.index} ${JSON.stringify(f.inputText)}: ${f.reasons.join('; ')}`);
  if (report.failures.length > 20) line(`  ... and ${report.failures.length - 20} more failures (see --json)`);
}

module.exports = { EXIT, exitCode, gateReason, printSummary };
