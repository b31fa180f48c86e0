// A straightforward JavaScript aggregation of seed-v1 results, written to produce the same
// SuiteReport as `aggregateResults` (counts, pass rate, gate, intent/entity coverage with the
// per-name breakdown, failures with reasons, nearest-rank latency percentiles, per-case results),
// so that the comparison is like for like. The bench checks deep equality with ours before timing.
// Scope: well-formed seed-v1 results without `knownIntents`/`knownEntities` (what the bench feeds);
// malformed entries are handled like ours for the common cases.

const MAX_TEXT_CHARS = 200;
const MAX_REASONS = 20;

function clip(text) {
  // Counts code points like Rust's chars().
  let count = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    if (c >= 0xdc00 && c <= 0xdfff) continue; // low surrogate: part of the previous code point
    if (count === MAX_TEXT_CHARS) return `${text.slice(0, i)}…`;
    count += 1;
  }
  return text;
}

function typeName(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  switch (typeof v) {
    case 'boolean': return 'a boolean';
    case 'number': return 'a number';
    case 'string': return 'a string';
    default: return 'an object';
  }
}

function describe(v) {
  if (v === undefined || v === null) return 'none';
  if (typeof v === 'string') return clip(v);
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return typeName(v);
}

const nonNegative = (v) => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : null);

function addReason(c, reason) {
  if (c.reasons.length < MAX_REASONS) {
    c.reasons.push(reason);
    return;
  }
  const last = c.reasons[c.reasons.length - 1];
  const m = /^… and (\d+) more$/.exec(last);
  c.reasons[c.reasons.length - 1] = `… and ${m ? Number(m[1]) + 1 : 2} more`;
}

function parseCase(pos, entry) {
  const c = {
    index: pos, inputText: '', status: 'unverified', reasons: [], matchedIntent: null, expectedIntent: null,
    intentVerified: false, entitiesExpected: [], entitiesExtracted: [], latencyMs: null, allowedLatencyMs: null,
  };
  if (entry === null || typeof entry !== 'object' || Array.isArray(entry)) {
    c.status = 'failed';
    addReason(c, `malformed case: the entry is ${typeName(entry)}, expected an object`);
    return c;
  }
  if (Number.isInteger(entry.case_index) && entry.case_index >= 0) c.index = entry.case_index;
  if (typeof entry.input_text === 'string') c.inputText = clip(entry.input_text);
  if (typeof entry.matched_intent === 'string') c.matchedIntent = clip(entry.matched_intent);
  c.latencyMs = nonNegative(entry.latency_ms);
  let assertions = entry.assertions;
  if (assertions === undefined || assertions === null) assertions = [];
  if (!Array.isArray(assertions)) {
    c.status = 'failed';
    addReason(c, `malformed case: assertions is ${typeName(assertions)}, expected an array`);
    return c;
  }
  let anyFailed = false;
  let verifies = false;
  for (let position = 0; position < assertions.length; position += 1) {
    const a = assertions[position];
    if (a === null || typeof a !== 'object' || Array.isArray(a)) {
      anyFailed = true;
      addReason(c, `malformed case: assertion ${position} is ${typeName(a)}, expected an object`);
      continue;
    }
    const kind = typeof a.type === 'string' ? a.type : '';
    const verdict = typeof a.passed === 'boolean' ? a.passed : null;
    const passed = verdict === true;
    if (kind !== 'latency') verifies = true;
    if (kind === 'latency') {
      if (c.latencyMs === null) c.latencyMs = nonNegative(a.actual);
      if (c.allowedLatencyMs === null) c.allowedLatencyMs = nonNegative(a.expected);
    } else if (kind === 'intent') {
      if (c.expectedIntent === null && typeof a.expected === 'string') {
        c.expectedIntent = clip(a.expected);
        c.intentVerified = passed;
      }
      if (c.matchedIntent === null && typeof a.actual === 'string') c.matchedIntent = clip(a.actual);
    } else if (kind === 'entity') {
      if (typeof a.expected === 'string') {
        const name = clip(a.expected);
        if (passed) c.entitiesExtracted.push(name);
        c.entitiesExpected.push(name);
      }
    }
    if (!passed) {
      anyFailed = true;
      let reason;
      if (verdict === null) {
        reason = `assertion ${position} (${describe(kind)}) has no verdict: "passed" is ${describe(a.passed)}`;
      } else if (kind === 'latency') {
        const [l, b] = [c.latencyMs, c.allowedLatencyMs];
        if (l !== null && b !== null) reason = `latency ${l} ms over ${b} ms`;
        else if (l !== null) reason = `latency ${l} ms over budget`;
        else reason = 'latency over budget';
      } else if (kind === 'intent') {
        const actual = a.actual !== undefined ? a.actual : entry.matched_intent;
        reason = `intent: expected ${describe(a.expected)}, got ${describe(actual)}`;
      } else if (kind === 'entity') {
        reason = `entity ${describe(a.expected)} not extracted`;
      } else if (kind === 'response_contains') {
        reason = `response does not contain "${describe(a.expected)}"`;
      } else {
        reason = `assertion "${describe(kind)}" failed`;
      }
      addReason(c, reason);
    }
  }
  c.status = anyFailed ? 'failed' : verifies ? 'passed' : 'unverified';
  return c;
}

function nearestRank(sorted, percent) {
  const n = sorted.length;
  if (n === 0) return null;
  const rank = Math.min(Math.max(Math.ceil((percent * n) / 100), 1), n);
  return sorted[rank - 1];
}

const byName = (a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0);

function summarise(tallies) {
  const stats = [];
  let covered = 0;
  for (const [name, t] of tallies) {
    stats.push({ name, cases: t.cases, passed: t.passed, failed: t.cases - t.passed, known: true });
    if (t.passed > 0) covered += 1;
  }
  stats.sort(byName);
  return [tallies.size === 0 ? 0 : covered / tallies.size, stats];
}

/** SuiteReport of seed-v1 results (`{ execution_id, status, test_results }`). */
export function aggregateJs(raw, { passThreshold = 0.95 } = {}) {
  const list = raw.test_results;
  if (!Array.isArray(list)) throw new Error('seed-v1 results must have a test_results array');
  const cases = new Array(list.length);
  for (let i = 0; i < list.length; i += 1) cases[i] = parseCase(i, list[i]);
  let passed = 0;
  let failed = 0;
  let unverified = 0;
  let overBudget = 0;
  const failures = [];
  const latencies = [];
  const intents = new Map();
  const entities = new Map();
  let matched = 0;
  for (let pos = 0; pos < cases.length; pos += 1) {
    const c = cases[pos];
    if (c.matchedIntent !== null && c.matchedIntent !== '') matched += 1;
    if (c.status === 'passed') passed += 1;
    else if (c.status === 'unverified') unverified += 1;
    else {
      failed += 1;
      failures.push({ index: c.index, inputText: c.inputText, reasons: [...c.reasons] });
    }
    if (c.latencyMs !== null) {
      latencies.push(c.latencyMs);
      if (c.allowedLatencyMs !== null && c.latencyMs > c.allowedLatencyMs) overBudget += 1;
    }
    const mark = pos + 1;
    if (c.expectedIntent !== null) {
      let t = intents.get(c.expectedIntent);
      if (!t) intents.set(c.expectedIntent, (t = { cases: 0, passed: 0, seen: 0, verified: 0 }));
      if (t.seen !== mark) { t.seen = mark; t.cases += 1; }
      if (c.intentVerified && t.verified !== mark) { t.verified = mark; t.passed += 1; }
    }
    for (const name of c.entitiesExpected) {
      let t = entities.get(name);
      if (!t) entities.set(name, (t = { cases: 0, passed: 0, seen: 0, verified: 0 }));
      if (t.seen !== mark) { t.seen = mark; t.cases += 1; }
    }
    for (const name of c.entitiesExtracted) {
      const t = entities.get(name);
      if (t && t.seen === mark && t.verified !== mark) { t.verified = mark; t.passed += 1; }
    }
  }
  latencies.sort((a, b) => a - b);
  const total = cases.length;
  const passRate = total === 0 ? 0 : passed / total;
  const [intentCoverage, intentStats] = summarise(intents);
  const [entityCoverage, entityStats] = summarise(entities);
  const report = {
    total, passed, failed, unverified, errored: 0, passRate, passThreshold,
    gate: passed > 0 && passRate >= passThreshold ? 'passed' : 'failed',
    coverage: {
      intentCoverage, entityCoverage, seedIntentCoverage: total === 0 ? 0 : matched / total,
      intents: intentStats, entities: entityStats,
    },
    failures,
    latency: {
      p50: nearestRank(latencies, 50), p95: nearestRank(latencies, 95),
      max: latencies.length ? latencies[latencies.length - 1] : null, overBudget,
    },
    cases,
  };
  if (typeof raw.execution_id === 'string') report.executionId = clip(raw.execution_id);
  if (typeof raw.status === 'string') report.status = clip(raw.status);
  return report;
}
