// The results of one suite, playbook or endpoint run: headline numbers, charts, the NLU analysis and the
// baseline comparison when the report has them, sortable case table (flaky cases marked), downloads.
// The case table puts the status first; at phone width each row becomes a card (see style.css) whose cells
// carry their column name (`data-label`), so the table fits the screen without scrolling sideways.
import { h, replace, pct, ms } from '../lib/dom.js';
import { passFailBars, histogram, legend, dropOverlappingLabels } from '../lib/charts.js';
import { perIntent, sortRows } from '../lib/cases.js';
import { nluSection, comparisonSection } from './analysis.js';

const COLUMNS = [
  ['status', 'Status'], ['index', '#'], ['inputText', 'Input'], ['intent', 'Expected intent'], ['latencyMs', 'Latency'], ['reasons', 'Failure reasons'],
];
const LABEL = Object.fromEntries(COLUMNS);

function stat(label, value, extra = {}) {
  return h('div', { class: 'stat', ...extra }, h('span', { class: 'stat-value' }, value), h('span', { class: 'stat-label' }, label));
}

function caseTable(rows, flaky) {
  let sortKey = 'index';
  let dir = 1;
  const tbody = h('tbody');
  const headers = COLUMNS.map(([key, label]) => {
    const button = h('button', { type: 'button', class: 'sort', onclick: () => sortBy(key) }, label);
    return h('th', { scope: 'col', 'data-key': key, 'aria-sort': key === sortKey ? 'ascending' : 'none' }, button);
  });
  function render() {
    replace(tbody, sortRows(rows, sortKey, dir).map((row) => h('tr', { 'data-status': row.status },
      h('td', { class: 'status', 'data-label': LABEL.status }, h('span', { class: 'pill', 'data-tone': { passed: 'ok', failed: 'bad', unverified: 'warn' }[row.status] }, row.status),
        flaky.has(row.index) ? h('span', { class: 'pill flaky', 'data-tone': 'flaky', title: 'failed first, passed in a rerun' }, 'flaky') : null),
      h('td', { class: 'num index', 'data-label': LABEL.index }, String(row.index)),
      h('td', { class: 'input', 'data-label': LABEL.inputText }, row.inputText),
      h('td', { class: 'intent', 'data-label': LABEL.intent }, row.intent ?? '–'),
      h('td', { class: 'num latency', 'data-label': LABEL.latencyMs }, ms(row.latencyMs)),
      h('td', { class: ['reasons', !row.reasons.length && 'none'], 'data-label': LABEL.reasons }, row.reasons.length ? h('ul', {}, row.reasons.map((r) => h('li', {}, r))) : '–'))));
  }
  function sortBy(key) {
    dir = key === sortKey ? -dir : 1;
    sortKey = key;
    for (const th of headers) th.setAttribute('aria-sort', th.dataset.key === key ? (dir === 1 ? 'ascending' : 'descending') : 'none');
    render();
  }
  render();
  return h('div', { class: 'table-wrap cases-wrap' }, h('table', { class: 'cases', id: 'case-table' }, h('thead', {}, h('tr', {}, headers)), tbody));
}

/**
 * Renders a SuiteReport and its case rows into `el`.
 * @param {HTMLElement} el
 * @param {any} report SuiteReport
 * @param {Array<{ index: number, inputText: string, intent: string | null, status: string, latencyMs: number | null, reasons: string[] }>} rows
 * @param {{ title: string, budgetMs?: number, downloads?: HTMLElement[] }} meta downloads: the run's buttons
 */
export function renderResults(el, report, rows, { title, budgetMs, downloads = [] }) {
  const latencies = rows.map((r) => r.latencyMs).filter((v) => typeof v === 'number');
  const gate = report.gate === 'passed';
  const barsFigure = h('figure', { class: 'chart' }, h('figcaption', {}, 'Cases per intent'),
    legend([['pass', 'passed'], ['fail', 'failed'], ['unverified', 'unverified']]));
  const histFigure = h('figure', { class: 'chart' }, h('figcaption', {}, `Latency distribution${budgetMs ? ', dashed line: budget' : ''}`));
  replace(el,
    h('header', { class: 'results-head' },
      h('h2', {}, title),
      h('span', { class: 'pill gate', id: 'gate', 'data-tone': gate ? 'ok' : 'bad' }, `gate ${gate ? 'passed' : 'failed'}`),
      h('span', { class: 'muted' }, `${report.status} · ${report.executionId} · ${ms(report.durationMs)} · ${report.polls} polls`)),
    h('div', { class: 'stats' },
      stat('pass rate', pct(report.passRate), { id: 'pass-rate', 'data-value': String(report.passRate) }),
      stat('passed', String(report.passed), { id: 'count-passed' }),
      stat('failed', String(report.failed), { id: 'count-failed' }),
      stat('unverified', String(report.unverified), { id: 'count-unverified' }),
      stat('intent coverage', pct(report.coverage?.intentCoverage), { id: 'intent-coverage' }),
      stat('entity coverage', pct(report.coverage?.entityCoverage)),
      stat('latency p50 / p95', `${ms(report.latency?.p50)} / ${ms(report.latency?.p95)}`),
      stat('over budget', String(report.latency?.overBudget ?? '–'))),
    h('div', { class: 'charts' }, barsFigure, histFigure),
    downloads.length ? h('div', { class: 'actions' }, h('span', { class: 'muted' }, 'Download'), downloads) : null,
    comparisonSection(report),
    nluSection(report, Math.max(280, Math.min(600, el.clientWidth / 2 - 40))),
    caseTable(rows, new Set((report.flaky ?? []).map((f) => f.index))));
  // Drawn once the figures are in the page, at their real width, so the text keeps its size on a phone.
  const width = (figure) => Math.max(280, figure.clientWidth - 26);
  barsFigure.append(passFailBars(perIntent(rows), width(barsFigure)));
  if (latencies.length) {
    const chart = histogram(latencies, { budgetMs, width: width(histFigure) });
    histFigure.append(chart);
    dropOverlappingLabels(chart);
  } else {
    histFigure.append(h('p', { class: 'empty' }, 'No latencies reported (the real platform reports none for playbooks).'));
  }
}
