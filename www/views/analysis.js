// The analysis of an endpoint run: the confusion matrix as a heat map with its counts (rows: expected
// intent, columns: predicted), per-intent F1 bars, and the regressions and fixes against a baseline report.
// Shading is a data-level attribute (0..5) styled in style.css: the page's CSP allows no inline style.
import { h, s, pct } from '../lib/dom.js';

/** 0 for no case, else 1..5 by the share of the row's cases in the cell. */
function level(count, rowTotal) {
  if (!count || !rowTotal) return 0;
  return Math.max(1, Math.min(5, Math.ceil((count / rowTotal) * 5)));
}

/**
 * The confusion matrix of `nlu` (a report's `nlu`) as a table.
 * @param {{ labels: string[], matrix: number[][] }} confusion
 */
export function heatMap(confusion) {
  const { labels, matrix } = confusion;
  return h('div', { class: 'table-wrap heat-wrap' },
    h('table', { class: 'heat', id: 'confusion' },
      h('caption', {}, 'Confusion matrix: rows expected intent, columns predicted'),
      h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'expected \\ predicted'), labels.map((l) => h('th', { scope: 'col' }, l)))),
      h('tbody', {}, matrix.map((row, i) => {
        const total = row.reduce((a, b) => a + b, 0);
        return h('tr', {}, h('th', { scope: 'row' }, labels[i]),
          row.map((n, j) => h('td', { class: ['num', i === j && 'diag'], 'data-level': String(level(n, total)), 'data-count': String(n),
            title: `${n} case(s) expecting ${labels[i]} predicted as ${labels[j]}` }, String(n))));
      }))));
}

/**
 * Per-intent F1 bars (with precision, recall and support in the tooltip).
 * @param {Array<{ intent: string, precision: number, recall: number, f1: number, support: number }>} perIntent
 * @param {number} width
 */
export function f1Bars(perIntent, width = 600) {
  const rowH = 24;
  const labelW = Math.min(190, Math.round(width * 0.4));
  const span = width - labelW - 60;
  return s('svg', { class: 'bars f1', id: 'f1-bars', viewBox: `0 0 ${width} ${perIntent.length * rowH + 4}`, role: 'img', 'aria-label': 'F1 per intent' },
    perIntent.map((m, i) => {
      const y = i * rowH + 2;
      return s('g', { class: 'bar-row', 'data-intent': m.intent, 'data-f1': String(m.f1) },
        s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, m.intent),
        s('rect', { class: m.f1 >= 0.8 ? 'pass' : m.f1 > 0 ? 'unverified' : 'fail', x: labelW, y: y + 3, width: Math.max(1, m.f1 * span), height: rowH - 8 },
          s('title', {}, `${m.intent}: F1 ${m.f1.toFixed(2)}, precision ${m.precision.toFixed(2)}, recall ${m.recall.toFixed(2)}, support ${m.support}`)),
        s('text', { x: labelW + Math.max(1, m.f1 * span) + 6, y: y + rowH / 2 + 4, class: 'count' }, m.f1.toFixed(2)));
    }));
}

/** The NLU section of a report with `nlu`, or null. */
export function nluSection(report, width) {
  const nlu = report.nlu;
  if (!nlu) return null;
  return h('section', { class: 'nlu', id: 'nlu' },
    h('h3', {}, `NLU: accuracy ${pct(nlu.accuracy)}, macro-F1 ${nlu.macroF1.toFixed(3)} (${nlu.total} cases)`),
    h('div', { class: 'charts' },
      h('figure', { class: 'chart' }, h('figcaption', {}, 'F1 per intent'), f1Bars(nlu.perIntent, width)),
      h('figure', { class: 'chart' }, heatMap(nlu.confusion))));
}

/** The regressions and fixes of a report with `comparison`, or null. */
export function comparisonSection(report) {
  const c = report.comparison;
  if (!c) return null;
  const signed = (x) => `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)} pts`;
  const item = (cls) => (r) => h('li', { class: cls, 'data-index': String(r.index) },
    h('span', { class: 'pill', 'data-tone': cls === 'regression' ? 'bad' : 'ok' }, `#${r.index}`), ` ${r.inputText}`,
    r.reasons.length ? h('span', { class: 'muted' }, ` — ${r.reasons.join('; ')}`) : null);
  return h('section', { class: 'comparison', id: 'comparison' },
    h('h3', {}, `Against the baseline: ${c.regressions.length} regressed, ${c.fixed.length} fixed`),
    h('p', { class: 'muted' }, `pass rate ${signed(c.passRateDelta)}, intent coverage ${signed(c.coverageDelta)}${c.macroF1Delta === null ? '' : `, macro-F1 ${c.macroF1Delta >= 0 ? '+' : ''}${c.macroF1Delta.toFixed(3)}`}`),
    c.regressions.length ? h('ul', { class: 'regressions', id: 'regressions' }, c.regressions.map(item('regression'))) : h('p', { class: 'ok-line' }, 'No regressions.'),
    c.fixed.length ? h('ul', { class: 'fixed' }, c.fixed.map(item('fixed'))) : null);
}
