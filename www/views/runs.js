// The runs of this browser: every finished suite or playbook run is kept (newest first, at most MAX_RUNS,
// in localStorage so a reload keeps them), each with its gate and pass rate, downloadable as JSON (the
// SuiteReport, as the CLI's --json writes it) or JUnit XML, and shown in the results card on demand.
import { guard } from '../lib/guard.js';
import { h, replace, download, pct, ms } from '../lib/dom.js';
import { load, save } from '../lib/store.js';
import { renderResults } from './results.js';

const RUNS_KEY = 'runs';
const MAX_RUNS = 10;

function fileBase(run) {
  return String(run.report.executionId || run.id).replace(/[^\w.-]+/g, '_');
}

/**
 * Downloads of one run: the report as JSON and as JUnit XML.
 * @param {{ report: any, id: string }} run
 * @param {string} [idPrefix] element ids for the shown run's buttons (`dl-json`, `dl-junit`)
 * @returns {HTMLElement[]}
 */
export function runDownloads(run, idPrefix) {
  return [
    h('button', { type: 'button', id: idPrefix ? `${idPrefix}json` : null, class: 'dl-json', onclick: () => download(`${fileBase(run)}.json`, `${JSON.stringify(run.report, null, 2)}\n`, 'application/json') }, 'JSON'),
    h('button', { type: 'button', id: idPrefix ? `${idPrefix}junit` : null, class: 'dl-junit', disabled: typeof guard.toJUnitXml !== 'function', onclick: () => download(`${fileBase(run)}.junit.xml`, guard.toJUnitXml(run.report), 'application/xml') }, 'JUnit XML'),
  ];
}

function validRun(run) {
  return run && typeof run === 'object' && typeof run.id === 'string' && run.report && typeof run.report === 'object' && Array.isArray(run.rows);
}

/**
 * The list of runs, mounted before `results` (where the selected run is drawn).
 * @param {HTMLElement} results
 * @returns {{ el: HTMLElement, add(run: { title: string, report: any, rows: any[] }): void, list(): any[] }}
 */
export function createRunList(results) {
  let runs = load(RUNS_KEY, []);
  runs = Array.isArray(runs) ? runs.filter(validRun).slice(0, MAX_RUNS) : [];
  let shown = null;
  const items = h('ol', { class: 'run-list', id: 'run-list' });
  const note = h('p', { class: 'hint', id: 'runs-note' });
  const el = h('section', { class: 'card runs', id: 'runs', 'aria-labelledby': 'runs-title', hidden: true },
    h('div', { class: 'card-head' }, h('h2', { id: 'runs-title' }, 'Runs'),
      h('button', { type: 'button', class: 'danger-ghost', id: 'runs-clear', onclick: clear }, 'Clear list')),
    note, items);

  /** Keeps the list in localStorage; drops the oldest runs while the storage refuses it (quota). */
  function persist() {
    let kept = runs.length;
    while (kept > 0 && !save(RUNS_KEY, runs.slice(0, kept))) kept -= 1;
    if (kept === 0 && runs.length) save(RUNS_KEY, []);
    note.textContent = kept < runs.length
      ? `Kept in this browser: the newest ${kept} of ${runs.length} runs (storage is full); the others last until the page is closed.`
      : `The last ${MAX_RUNS} runs are kept in this browser (localStorage).`;
  }

  /** Draws `run` in the results card; `focus`: move the focus to its heading (the clicked button goes away). */
  function show(run, focus = false) {
    shown = run;
    results.hidden = false;
    renderResults(results, run.report, run.rows, { title: run.title, downloads: runDownloads(run, 'dl-') });
    render();
    if (focus) {
      const heading = results.querySelector('h2');
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  function removeRun(run) {
    runs = runs.filter((r) => r !== run);
    persist();
    if (shown === run) {
      shown = null;
      if (runs[0]) show(runs[0]);
      else replace(results).hidden = true;
    }
    render();
  }

  function clear() {
    runs = [];
    shown = null;
    persist();
    replace(results);
    results.hidden = true;
    render();
  }

  function render() {
    el.hidden = runs.length === 0;
    replace(items, runs.map((run) => {
      const r = run.report;
      const current = run === shown;
      return h('li', { class: ['run', current && 'current'], 'data-run': run.id, 'aria-current': current ? 'true' : null },
        h('div', { class: 'run-head' },
          h('span', { class: 'pill', 'data-tone': r.gate === 'passed' ? 'ok' : 'bad' }, `gate ${r.gate}`),
          h('strong', { class: 'run-title' }, run.title)),
        h('p', { class: 'run-facts muted' },
          `${new Date(run.at).toLocaleString()} · ${r.status} · pass rate ${pct(r.passRate)} · ${r.passed}/${r.total} passed · ${ms(r.durationMs)}`),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'show-run', disabled: current, onclick: () => show(run, true) }, current ? 'Shown below' : 'Show'),
          runDownloads(run),
          h('button', { type: 'button', class: 'danger-ghost remove-run', onclick: () => removeRun(run), 'aria-label': `Remove ${run.title} from the list` }, 'Remove')));
    }));
  }

  persist();
  render();
  return {
    el,
    add({ title, report, rows }) {
      const run = { id: `run-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 6)}`, at: Date.now(), title, report, rows };
      runs = [run, ...runs].slice(0, MAX_RUNS);
      persist();
      show(run);
    },
    list: () => [...runs],
  };
}
