// The targets of issue 17 ("Lean and fast") as data: what each compares, its limit, and the figure
// of the issue's table (the run it was filed from), which no run may be worse than. A case measures
// the figure and `judge` turns it into a target row: MET when the figure is within the limit,
// `regressed` when it is worse than the issue's figure.

/**
 * Per target: `target` (the text of the table row), `limit` and `issue` (the issue's figure) in
 * the unit of the measured value, `better` ('lower' or 'higher': which way is good), `strict`
 * (the limit itself misses), and `issueText` (the issue's figure as the issue wrote it).
 */
export const TARGETS = {
  size: {
    target: 'size, main entry gzipped (.wasm + glue, what `require` loads) < 100 KB',
    limit: 100_000, issue: 267 * 1024, better: 'lower', strict: true, issueText: '267 KiB',
  },
  'size-inline': {
    target: 'size, inline entry gzipped (every module embedded) < 140 KB',
    limit: 140_000, issue: null, better: 'lower', strict: true, issueText: 'not in the table',
  },
  'cold-start': {
    target: 'cold start over bare Node (require + first call, main entry) < +5 ms',
    limit: 5, issue: 8.1, better: 'lower', strict: true, issueText: '+8.1 ms',
  },
  'cold-start-inline': {
    target: 'cold start over bare Node (require + first call, inline entry) < +8 ms',
    limit: 8, issue: 15.7, better: 'lower', strict: true, issueText: '+15.7 ms',
  },
  breaker: {
    // The measured value: the worst of 5 rounds of our overhead over cockatiel's (both over bare).
    target: 'breaker success path overhead below cockatiel\'s in 5 runs of 5 (worst round: ours / cockatiel)',
    limit: 1, issue: 81 / 74, better: 'lower', strict: true, issueText: '+81 ns vs cockatiel +74 ns',
  },
  'breaker-rejection': {
    target: 'breaker open-circuit rejection overhead below cockatiel\'s (ours / cockatiel)',
    limit: 1, issue: 5.12 / 2.80, better: 'lower', strict: true, issueText: '+5.12 µs vs cockatiel +2.80 µs',
  },
  http: {
    target: 'guarded HTTP call over a plain fetch, loopback < 10 %',
    limit: 10, issue: 49, better: 'lower', strict: true, issueText: '+26 to +49 %',
  },
  'validation-text': {
    target: 'validate 500 cases from JSON text <= 1.0x JSON.parse + ajv (valid cases, our default answer)',
    limit: 1, issue: 4.0, better: 'lower', strict: false, issueText: '4.0x',
  },
  'validation-object': {
    target: 'validate 500 cases from objects faster than zod (valid cases; zod time / ours)',
    limit: 1, issue: 0.27, better: 'higher', strict: true, issueText: '0.27x zod\'s speed',
  },
  'aggregate-text': {
    target: 'aggregate 100 000 cases from text <= 0.6x JSON.parse + JS (ours from the UTF-8 bytes, compact)',
    limit: 0.6, issue: 1.9, better: 'lower', strict: false, issueText: '1.9x',
  },
  'aggregate-object': {
    target: 'aggregate 100 000 cases from objects <= 3x the JS implementation',
    limit: 3, issue: 10.5, better: 'lower', strict: false, issueText: '10.5x',
  },
};

/** The target row of `id` for the measured `value` (unit of TARGETS[id]), with `figures` text. */
export function judge(id, value, figures) {
  const t = TARGETS[id];
  if (!t) throw new Error(`bench: no target "${id}"`);
  const within = (limit) => {
    if (t.better === 'lower') return t.strict ? value < limit : value <= limit;
    return t.strict ? value > limit : value >= limit;
  };
  const met = Number.isFinite(value) && within(t.limit);
  const regressed = t.issue == null ? null
    : !Number.isFinite(value) || (t.better === 'lower' ? value > t.issue : value < t.issue);
  return { id, target: t.target, met, regressed, issue: t.issueText, figures };
}
