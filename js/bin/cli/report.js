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
  if (report.comparison && report.comparison.regressions.length > 0 && report.passRate >= report.passThreshold && report.passed > 0) {
    return `${report.comparison.regressions.length} regression(s) against the baseline (--fail-on-regression)`;
  }
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
  if (report.errored > 0) rows.splice(3, 0, ['errored', `${report.errored} (no usable answer; see the reasons)`]);
  if (report.nlu) rows.push(['nlu', `accuracy ${pct(report.nlu.accuracy)}, macro-F1 ${report.nlu.macroF1.toFixed(3)} (${report.nlu.total} cases)`]);
  if (report.flaky && report.flaky.length > 0) rows.push(['flaky', report.flaky.map((f) => `#${f.index} (passed at attempt ${f.attempts})`).join(', ')]);
  if (report.comparison) {
    const c = report.comparison;
    const f1 = c.macroF1Delta === null ? '' : `, macro-F1 ${signed(c.macroF1Delta, 3)}`;
    rows.push(['baseline', `${c.regressions.length} regressed, ${c.fixed.length} fixed; pass rate ${signed(c.passRateDelta * 100, 1)} pts${f1}`]);
  }
  for (const [k, v] of rows) line(`${k.padEnd(20)} ${v}`);
  if (report.nlu && report.nlu.confusion.labels.length > 0) printConfusion(report.nlu, line);
  if (report.comparison) for (const r of report.comparison.regressions.slice(0, 20)) line(`  regressed #${r.index} ${JSON.stringify(r.inputText)}: ${r.reasons.join('; ')}`);
  for (const f of report.failures.slice(0, 20)) line(`  x #${f.index} ${JSON.stringify(f.inputText)}: ${f.reasons.join('; ')}`);
  if (report.failures.length > 20) line(`  ... and ${report.failures.length - 20} more failures (see --json)`);
}

/** `x` with its sign and `digits` decimals. */
function signed(x, digits) {
  return `${x >= 0 ? '+' : ''}${x.toFixed(digits)}`;
}

/** The confusion matrix (rows: expected, columns: predicted) and per-intent P/R/F1, as text. */
function printConfusion(nlu, line) {
  const { labels, matrix } = nlu.confusion;
  const width = Math.max(8, ...labels.map((l) => l.length)) + 1;
  const cell = Math.max(4, ...matrix.flat().map((n) => String(n).length)) + 1;
  line(`  confusion (rows expected, columns predicted: ${labels.map((l, i) => `${i + 1}=${l}`).join(' ')})`);
  line(`  ${''.padEnd(width)}${labels.map((_, i) => String(i + 1).padStart(cell)).join('')}`);
  matrix.forEach((row, i) => line(`  ${labels[i].padEnd(width)}${row.map((n) => String(n).padStart(cell)).join('')}`));
  for (const m of nlu.perIntent) {
    line(`  ${m.intent.padEnd(width)} precision ${m.precision.toFixed(2)}  recall ${m.recall.toFixed(2)}  f1 ${m.f1.toFixed(2)}  support ${m.support}`);
  }
}

module.exports = { EXIT, exitCode, gateReason, printSummary };
