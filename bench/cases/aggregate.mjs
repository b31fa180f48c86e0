// 4. Aggregation of seed-v1 results (from the simulator's bot) for 500, 10 000 and 100 000 cases:
// ours (`aggregateResults`) vs a straightforward JS implementation (lib/aggregate-js.mjs), from the
// parsed object and from the JSON text (what a response or a file holds: JSON.parse + the JS
// implementation vs ours given the text). The reports are checked for deep equality first (every field: counts, pass rate, gate, coverage with
// the per-name breakdown, failures and reasons, latency percentiles, per-case results). Also ours
// compact (`cases: false`, the report without the per-case list) from the text's UTF-8 bytes (what
// `response.arrayBuffer()` or `fs.readFileSync(file)` give), checked equal to the full report
// without `cases`.
import { isDeepStrictEqual } from 'node:util';
import { compare } from '../lib/stats.mjs';
import { judge } from '../lib/targets.mjs';
import { loadGuard } from '../lib/paths.mjs';
import { seedResults } from '../lib/payload.mjs';
import { aggregateJs } from '../lib/aggregate-js.mjs';

function firstDifference(a, b) {
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (!isDeepStrictEqual(a[key], b[key])) {
      if (Array.isArray(a[key]) && Array.isArray(b[key])) {
        const i = a[key].findIndex((x, j) => !isDeepStrictEqual(x, b[key][j]));
        return `${key}[${i}]: ours ${JSON.stringify(a[key][i])} js ${JSON.stringify(b[key][i])}`;
      }
      return `${key}: ours ${JSON.stringify(a[key])?.slice(0, 300)} js ${JSON.stringify(b[key])?.slice(0, 300)}`;
    }
  }
  return null;
}

export async function benchAggregate(cfg) {
  const g = loadGuard();
  const rows = [];
  const targets = [];
  const data = {};
  for (const n of cfg.aggregate.sizes) {
    const raw = seedResults(n);
    const text = JSON.stringify(raw);
    const bytes = text.length;
    const js = aggregateJs(raw);
    let ours = null;
    let oursError = null;
    try {
      ours = g.aggregateResults(raw, {});
    } catch (e) {
      oursError = `${e.code ?? e.name}: ${e.message}`;
    }
    if (ours) {
      const diff = firstDifference(ours, js) ?? firstDifference(g.aggregateResults(text, {}), js);
      if (diff) throw new Error(`the JS aggregation differs from ours at ${n} cases: ${diff}`);
      const compact = g.aggregateResults(new TextEncoder().encode(text), { cases: false });
      if (!isDeepStrictEqual(compact, { ...ours, cases: [] })) throw new Error(`the compact report differs at ${n} cases`);
    }
    const utf8 = new TextEncoder().encode(text);
    const { iterations, samples, warmup } = cfg.aggregate.runs(n);
    const times = (fn) => (k) => { for (let i = 0; i < k; i += 1) fn(); };
    const variants = {
      'JS implementation': times(() => aggregateJs(raw)),
      'JSON.parse + JS implementation (text)': times(() => aggregateJs(JSON.parse(text))),
    };
    if (ours) {
      variants.ours = times(() => g.aggregateResults(raw, {}));
      variants['ours, from JSON text'] = times(() => g.aggregateResults(text, {}));
      variants['ours, from UTF-8 bytes, compact (cases: false)'] = times(() => g.aggregateResults(utf8, { cases: false }));
    }
    const res = await compare(variants, { iterations, samples, warmup });
    const group = `aggregation, ${n.toLocaleString('en-US')} cases (${(bytes / 1024 / 1024).toFixed(1)} MiB of results)`;
    const jsMedian = res['JS implementation'].median;
    const jsTextMedian = res['JSON.parse + JS implementation (text)'].median;
    rows.push({ group, name: 'JS implementation', ...pick(res['JS implementation']), unit: 'ns/aggregation' });
    rows.push({ group, name: 'JSON.parse + JS implementation (text)', ...pick(res['JSON.parse + JS implementation (text)']), unit: 'ns/aggregation' });
    if (ours) {
      rows.push({ group, name: 'ours', ...pick(res.ours), unit: 'ns/aggregation', ratio: res.ours.median / jsMedian, ratioLabel: 'vs JS' });
      const fromText = res['ours, from JSON text'];
      rows.push({ group, name: 'ours, from JSON text', ...pick(fromText), unit: 'ns/aggregation', ratio: fromText.median / jsTextMedian, ratioLabel: 'vs JSON.parse + JS' });
      const compact = res['ours, from UTF-8 bytes, compact (cases: false)'];
      rows.push({ group, name: 'ours, from UTF-8 bytes, compact (cases: false)', ...pick(compact), unit: 'ns/aggregation', ratio: compact.median / jsTextMedian, ratioLabel: 'vs JSON.parse + JS' });
    } else {
      rows.push({ group, name: 'ours', median: NaN, unit: 'ns/aggregation', note: `fails: ${oursError}` });
    }
    data[n] = { bytes, passRate: js.passRate, intentCoverage: js.coverage.intentCoverage,
      entityCoverage: js.coverage.entityCoverage, latency: js.latency, equal: ours ? true : null, oursError, ...res };
    if (n !== 100_000) continue;
    if (!ours) {
      targets.push(judge('aggregate-text', NaN, `ours fails (${oursError.slice(0, 120)})`));
      targets.push(judge('aggregate-object', NaN, `ours fails (${oursError.slice(0, 120)})`));
      continue;
    }
    const compact = res['ours, from UTF-8 bytes, compact (cases: false)'].median;
    const fullText = res['ours, from JSON text'].median;
    targets.push(judge('aggregate-text', compact / jsTextMedian,
      `ours ${ms(compact)} vs JSON.parse + JS ${ms(jsTextMedian)}: ${(compact / jsTextMedian).toFixed(2)}x the time; `
        + `the full report from the text ${ms(fullText)} (${(fullText / jsTextMedian).toFixed(2)}x)`));
    targets.push(judge('aggregate-object', res.ours.median / jsMedian,
      `ours ${ms(res.ours.median)} vs JS ${ms(jsMedian)}: ${(res.ours.median / jsMedian).toFixed(2)}x the time`));
  }
  return { rows, targets, data };
}

const pick = (s) => ({ median: s.median, p25: s.p25, p75: s.p75 });
const ms = (ns) => `${(ns / 1e6).toFixed(2)} ms`;
