// Normalises per-case results from either API profile into rows for the results table and charts:
// `{ index, inputText, intent, status: 'passed' | 'failed' | 'unverified', latencyMs, reasons }`.

const pick = (obj, ...keys) => {
  for (const key of keys) if (obj && obj[key] !== undefined) return obj[key];
  return undefined;
};

function seedRow(result, i) {
  const assertions = pick(result, 'assertions') || [];
  const intentAssert = assertions.find((a) => a.type === 'intent');
  const failed = assertions.filter((a) => a.passed === false);
  const verified = assertions.some((a) => a.type !== 'latency');
  return {
    index: pick(result, 'case_index', 'caseIndex', 'index') ?? i,
    inputText: String(pick(result, 'input_text', 'inputText') ?? ''),
    intent: intentAssert ? String(intentAssert.expected) : null,
    status: failed.length ? 'failed' : verified ? 'passed' : 'unverified',
    latencyMs: pick(result, 'latency_ms', 'latencyMs') ?? null,
    reasons: failed.map((a) => `${a.type}: expected ${JSON.stringify(a.expected)}, got ${JSON.stringify(a.actual)}`),
  };
}

function stepRow(step, i) {
  const asserts = pick(step, 'asserts') || [];
  const intentAssert = asserts.find((a) => a.type === 'assertIntent');
  const failed = asserts.filter((a) => a.status === 'failed');
  return {
    index: i,
    inputText: String(pick(step, 'text') ?? ''),
    intent: intentAssert ? String(intentAssert.params?.intent ?? '') : null,
    status: failed.length || step.status === 'failed' ? 'failed' : asserts.length ? 'passed' : 'unverified',
    latencyMs: pick(step, 'latencyMs', 'latency_ms') ?? null,
    reasons: failed.map((a) => `${a.type}${a.negate ? ' (negated)' : ''} ${JSON.stringify(a.params ?? {})}: got ${JSON.stringify(a.actual)}`),
  };
}

function reportRow(c, i) {
  return {
    index: c.index ?? i,
    inputText: String(c.inputText ?? ''),
    intent: c.expectedIntent ?? null,
    status: c.status,
    latencyMs: typeof c.latencyMs === 'number' ? c.latencyMs : null,
    reasons: Array.isArray(c.reasons) ? c.reasons.map(String) : [],
  };
}

/**
 * Rows for every case, from the report's own `cases` or raw results (seed-v1 `test_results`, cognigy-v2
 * `stepResults`); when none are available, rows for the report's failures only.
 * @param {any} report a SuiteReport
 * @param {any} [raw] raw results as returned by the server / runner.fetchResults
 * @returns {Array<{ index: number, inputText: string, intent: string | null, status: string, latencyMs: number | null, reasons: string[] }>}
 */
export function caseRows(report, raw) {
  if (Array.isArray(report?.cases)) return report.cases.map(reportRow);
  const seed = pick(raw, 'test_results', 'testResults', 'results');
  if (Array.isArray(seed)) return seed.map(seedRow);
  const steps = pick(raw, 'stepResults', 'step_results') || (Array.isArray(raw) ? raw : null);
  if (Array.isArray(steps)) return steps.map(stepRow);
  return (report?.failures || []).map((f) => ({ index: f.index, inputText: f.inputText, intent: null, status: 'failed', latencyMs: null, reasons: f.reasons || [] }));
}

/**
 * Passed / failed / unverified counts per intent ("(no intent asserted)" for the rest), sorted by name.
 * @param {ReturnType<typeof caseRows>} rows
 * @returns {Array<{ label: string, passed: number, failed: number, unverified: number }>}
 */
export function perIntent(rows) {
  const groups = new Map();
  for (const row of rows) {
    const label = row.intent || '(no intent asserted)';
    const group = groups.get(label) || { label, passed: 0, failed: 0, unverified: 0 };
    group[row.status] = (group[row.status] || 0) + 1;
    groups.set(label, group);
  }
  return [...groups.values()].sort((a, b) => a.label.localeCompare(b.label));
}

/**
 * Sorts rows by a column, ascending or descending (nulls last), without mutating the input.
 * @param {ReturnType<typeof caseRows>} rows
 * @param {string} key
 * @param {1 | -1} dir
 */
export function sortRows(rows, key, dir) {
  const value = (row) => (key === 'reasons' ? row.reasons.join('; ') : row[key]);
  return [...rows].sort((a, b) => {
    const x = value(a);
    const y = value(b);
    if (x === null || x === undefined) return 1;
    if (y === null || y === undefined) return -1;
    return (typeof x === 'number' && typeof y === 'number' ? x - y : String(x).localeCompare(String(y))) * dir;
  });
}
