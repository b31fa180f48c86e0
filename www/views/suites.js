// Test suites view: load (sample, file, paste) and validate a suite, run it (seed-v1) or a playbook
// (cognigy-v2) with progress, then show the results.
import { guard, has, createRunner } from '../lib/guard.js';
import { h, replace, errorText, ms } from '../lib/dom.js';
import { caseRows } from '../lib/cases.js';
import { listPlaybooks } from '../lib/sim.js';
import { authFor, onSettingsChange, settings } from '../lib/settings.js';
import { load, save } from '../lib/store.js';
import { createRunList } from './runs.js';

/** localStorage key of this view's settings: `{ thresholdPercent }`. */
const PREFS_KEY = 'suites';

/**
 * What a run with `api` needs that Settings does not have yet, as `{ field, text }` (null when ready).
 * @param {'seed-v1' | 'cognigy-v2'} api
 */
function missingCredentials(api) {
  if (authFor(api)) return null;
  return api === 'seed-v1'
    ? { field: 'clientId', text: 'Suites run on the seed-v1 API, which needs an OAuth client id and secret: set them in Settings first.' }
    : { field: 'apiKey', text: 'Playbooks run on the cognigy-v2 API, which needs an API key or an OAuth client: set one in Settings first.' };
}

/** A friendlier line for the errors a user can fix (credentials), the error code and message otherwise. */
function runErrorText(err) {
  if (err?.code === 'AUTH') return `The server refused the credentials${err.status ? ` (HTTP ${err.status})` : ''}: check them in Settings. ${err.message || ''}`.trim();
  if (err?.code === 'CANCELLED') return 'Cancelled.';
  return errorText(err);
}

async function loadSamples() {
  const res = await fetch(new URL('../samples/index.json', import.meta.url));
  return res.ok ? res.json() : [];
}

function progressBlock(id) {
  let lastText = '';
  const bar = h('progress', { id: `${id}-bar`, max: 1, 'aria-label': 'Run progress' });
  const text = h('span', { id: `${id}-text`, class: 'muted', 'aria-live': 'polite' });
  const wrap = h('div', { class: 'progress', hidden: true }, bar, text);
  return {
    wrap,
    start() {
      wrap.hidden = false;
      bar.removeAttribute('value');
      text.textContent = 'submitting…';
    },
    update(p) {
      const done = p.completed ?? p.progress?.completed;
      const total = p.total ?? p.progress?.total;
      if (typeof done === 'number' && total) bar.value = done / total;
      const counts = typeof done === 'number' && total ? ` ${done}/${total}` : '';
      const polls = p.polls === undefined ? '' : ` · poll ${p.polls}`;
      text.textContent = `${p.phase ?? ''} ${p.status ?? ''}${counts}${polls}`.trim();
      lastText = text.textContent;
    },
    finish(message) {
      bar.value = 1;
      text.textContent = message;
    },
    /** A run that ended without a report: the bar keeps what it had reached (never shown as complete). */
    stop(message) {
      if (!bar.hasAttribute('value')) bar.value = 0;
      text.textContent = lastText ? `${message} (${lastText})` : message;
    },
  };
}

/** Raw per-case results of a finished run, when the runner can fetch them (null otherwise). */
async function rawResults(runner, report) {
  if (Array.isArray(report.cases)) return null;
  try {
    return typeof runner.fetchResults === 'function' ? await runner.fetchResults(report.executionId) : null;
  } catch {
    return null;
  }
}

/**
 * Mounts the Test suites view into `panel`.
 * @param {HTMLElement} panel
 * @returns {{ show(): void, hide(): void }}
 */
export function createSuitesView(panel) {
  let validation = { ok: false };
  let controller = null;
  const canRun = has('TestSuiteRunner');

  const sampleSelect = h('select', { id: 'suite-sample', 'aria-label': 'Bundled sample suites' }, h('option', { value: '' }, 'Bundled samples…'));
  const fileInput = h('input', { type: 'file', id: 'suite-file', accept: '.json,application/json' });
  const text = h('textarea', { id: 'suite-json', rows: 12, spellcheck: 'false', placeholder: 'Paste a test suite (JSON) here', 'aria-describedby': 'suite-validation' });
  const validationOut = h('div', { id: 'suite-validation', class: 'validation', 'aria-live': 'polite' });
  const runButton = h('button', { type: 'button', class: 'primary', id: 'suite-run', disabled: true }, 'Run suite (seed-v1)');
  const cancelButton = h('button', { type: 'button', id: 'suite-cancel', hidden: true }, 'Cancel');
  const prefs = load(PREFS_KEY, {});
  const storedThreshold = Number(prefs?.thresholdPercent);
  const threshold = h('input', { id: 'suite-threshold', type: 'number', min: 0, max: 100, step: 1,
    value: Number.isFinite(storedThreshold) && storedThreshold >= 0 && storedThreshold <= 100 ? storedThreshold : 95 });
  const suiteProgress = progressBlock('suite-progress');
  const suiteStatus = h('p', { class: 'status-line', id: 'suite-status', role: 'status' });
  const suiteNeeds = h('div', { class: 'needs', id: 'suite-needs', role: 'alert', hidden: true });

  const playbookSelect = h('select', { id: 'playbook-select', 'aria-label': 'Playbook' });
  const playbookButton = h('button', { type: 'button', class: 'primary', id: 'playbook-run', disabled: true }, 'Run playbook (cognigy-v2)');
  const playbookProgress = progressBlock('playbook-progress');
  const playbookStatus = h('p', { class: 'status-line', id: 'playbook-status', role: 'status' });
  const playbookNeeds = h('div', { class: 'needs', id: 'playbook-needs', role: 'alert', hidden: true });
  let playbooks = [];

  // Against a bot's REST Endpoint: the suite above, case by case, with NLU scores for expected intents.
  const endpointUrl = h('input', { id: 'endpoint-url', type: 'password', autocomplete: 'off', placeholder: 'https://endpoint-….cognigy.ai/<token>' });
  const nluProject = h('input', { id: 'nlu-project', type: 'text', placeholder: 'project id' });
  const nluFlow = h('input', { id: 'nlu-flow', type: 'text', placeholder: 'flow reference id' });
  const nluLocale = h('input', { id: 'nlu-locale', type: 'text', placeholder: 'locale reference id' });
  const retryFailed = h('input', { id: 'retry-failed', type: 'number', min: 0, max: 5, step: 1, value: 0 });
  const baselineInput = h('input', { type: 'file', id: 'baseline-file', accept: '.json,application/json' });
  const baselineName = h('span', { class: 'muted', id: 'baseline-name' }, 'no baseline');
  const endpointButton = h('button', { type: 'button', class: 'primary', id: 'endpoint-run', disabled: true }, 'Run against endpoint');
  const endpointProgress = progressBlock('endpoint-progress');
  const endpointStatus = h('p', { class: 'status-line', id: 'endpoint-status', role: 'status' });
  const endpointNeeds = h('div', { class: 'needs', id: 'endpoint-needs', role: 'alert', hidden: true });
  let baseline = null;

  const results = h('section', { class: 'card results', id: 'results', hidden: true, 'aria-live': 'polite' });
  const runs = createRunList(results);
  const missing = canRun ? null : h('p', { class: 'note' }, 'This build of cognigy-guard has no TestSuiteRunner yet: suites validate but cannot run.');

  replace(panel,
    missing,
    h('div', { class: 'two-col' },
      h('section', { class: 'card' }, h('h2', {}, 'Test suite'),
        h('div', { class: 'loader' }, sampleSelect, h('label', { class: 'file' }, 'Open file… ', fileInput)),
        h('label', { for: 'suite-json', class: 'sr-only' }, 'Suite JSON'), text, validationOut,
        h('div', { class: 'actions' }, runButton, cancelButton,
          h('label', { class: 'inline' }, 'Gate at ', threshold, ' % pass rate')),
        suiteNeeds, suiteProgress.wrap, suiteStatus),
      h('section', { class: 'card' }, h('h2', {}, 'Cognigy Playbook'),
        h('p', { class: 'muted' }, 'Runs a playbook on the platform (POST …/schedule, poll the task, read the run).'),
        h('label', { for: 'playbook-select' }, 'Playbook'), playbookSelect,
        h('p', { class: 'hint', id: 'playbook-desc' }),
        h('div', { class: 'actions' }, playbookButton, h('button', { type: 'button', onclick: refreshPlaybooks }, 'Reload list')),
        playbookNeeds, playbookProgress.wrap, playbookStatus)),
    h('section', { class: 'card', id: 'endpoint-card' }, h('h2', {}, 'Against a REST Endpoint'),
      h('p', { class: 'muted' }, 'Sends each case of the suite above to the bot (a fresh session per case); NLU scores check the expected intents. The URL is kept in this page only.'),
      h('div', { class: 'endpoint-fields' },
        h('label', {}, 'Endpoint URL', endpointUrl), h('label', {}, 'NLU project', nluProject),
        h('label', {}, 'Flow reference', nluFlow), h('label', {}, 'Locale reference', nluLocale),
        h('label', {}, 'Rerun failed cases', retryFailed)),
      h('div', { class: 'actions' }, endpointButton, h('label', { class: 'file' }, 'Baseline report… ', baselineInput), baselineName),
      endpointNeeds, endpointProgress.wrap, endpointStatus),
    runs.el,
    results);

  function validate() {
    const source = text.value;
    if (!source.trim()) {
      replace(validationOut);
      runButton.disabled = true;
      return;
    }
    validation = guard.validateTestExecutionJson(source);
    const items = [
      ...(validation.ok ? [] : validation.errors).map((e) => h('li', { class: 'error', 'data-path': e.path }, h('code', {}, e.path || '(suite)'), ` ${e.message}`)),
      ...(validation.warnings || []).map((w) => h('li', { class: 'warning', 'data-path': w.path }, h('code', {}, w.path || '(suite)'), ` ${w.message}`)),
    ];
    const summary = validation.ok
      ? h('p', { class: 'ok-line' }, `✓ ${validation.value.suiteId}: ${validation.value.testCases.length} cases, timeout ${ms(validation.value.executionTimeoutSeconds * 1000)}`)
      : h('p', { class: 'bad-line' }, `✗ ${validation.errors.length} problem(s)`);
    replace(validationOut, summary, items.length ? h('ul', {}, items) : null);
    runButton.disabled = !validation.ok || !canRun || Boolean(controller);
    endpointButton.disabled = !validation.ok || !canRun || Boolean(controller) || !endpointUrl.value.trim();
  }

  function setSuite(json) {
    text.value = json;
    validate();
  }

  /** Shows what is missing next to the run button, with a way to the Settings field; true when blocked. */
  function blockedByCredentials(api, needs) {
    const missing = missingCredentials(api);
    needs.hidden = !missing;
    if (!missing) {
      replace(needs);
      return false;
    }
    replace(needs, h('p', { class: 'field-error' }, missing.text),
      h('button', { type: 'button', class: 'open-settings', onclick: () => document.dispatchEvent(new CustomEvent('cognigy-guard:open-settings', { detail: { field: missing.field } })) }, 'Open Settings'));
    return true;
  }

  async function runWith(api, needs, progress, status, button, title, start) {
    status.dataset.tone = '';
    status.textContent = '';
    if (blockedByCredentials(api, needs)) {
      progress.wrap.hidden = true;
      needs.querySelector('button').focus();
      return;
    }
    controller = new AbortController();
    button.disabled = true;
    cancelButton.hidden = false;
    progress.start();
    status.dataset.tone = '';
    status.textContent = '';
    try {
      const { runner, report } = await start(controller.signal);
      progress.finish(`${report.status} · ${report.total} cases`);
      const rows = caseRows(report, await rawResults(runner, report));
      runs.add({ title, report, rows });
      status.dataset.tone = report.gate === 'passed' ? 'ok' : 'bad';
      status.textContent = `Finished: gate ${report.gate}.`;
    } catch (err) {
      progress.stop(err?.code === 'CANCELLED' ? 'cancelled' : 'stopped');
      status.dataset.tone = 'bad';
      status.textContent = runErrorText(err);
    } finally {
      controller = null;
      cancelButton.hidden = true;
      button.disabled = false;
      validate();
    }
  }

  function runSuite() {
    const payload = JSON.parse(text.value);
    const base = settings().baseUrl.replace(/\/+$/, '');
    return runWith('seed-v1', suiteNeeds, suiteProgress, suiteStatus, runButton, `Suite ${validation.value.suiteId}`, async (signal) => {
      const runner = createRunner('seed-v1');
      const report = await runner.run(payload, {
        webhookUrl: `${base}/ci/webhook`,
        passThreshold: Number(threshold.value) / 100,
        onProgress: (p) => suiteProgress.update(p),
        signal,
      });
      return { runner, report };
    });
  }

  function runEndpoint() {
    const payload = JSON.parse(text.value);
    const nlu = nluProject.value.trim() && { projectId: nluProject.value.trim(), flowReferenceId: nluFlow.value.trim(), localeReferenceId: nluLocale.value.trim() };
    return runWith('cognigy-v2', endpointNeeds, endpointProgress, endpointStatus, endpointButton, `Endpoint run ${validation.value.suiteId}`, async (signal) => {
      const runner = createRunner('cognigy-v2');
      const report = await runner.runEndpoint(payload, {
        endpointUrl: endpointUrl.value.trim(),
        nlu: nlu || undefined,
        retryFailed: Number(retryFailed.value) || 0,
        baseline: baseline ?? undefined,
        passThreshold: Number(threshold.value) / 100,
        onProgress: (p) => endpointProgress.update(p),
        signal,
      });
      return { runner, report };
    });
  }

  function runPlaybook() {
    const playbook = playbooks.find((p) => p._id === playbookSelect.value);
    if (!playbook) return undefined;
    return runWith('cognigy-v2', playbookNeeds, playbookProgress, playbookStatus, playbookButton, `Playbook ${playbook.name}`, async (signal) => {
      const runner = createRunner('cognigy-v2');
      const report = await runner.runPlaybook(
        { playbookId: playbook._id, entrypoint: playbook.entrypoint, flowId: playbook.flowId, localeId: playbook.localeId, name: playbook.name },
        { passThreshold: Number(threshold.value) / 100, onProgress: (p) => playbookProgress.update(p), signal });
      return { runner, report };
    });
  }

  async function refreshPlaybooks() {
    if (blockedByCredentials('cognigy-v2', playbookNeeds)) {
      playbooks = [];
      replace(playbookSelect);
      describePlaybook();
      playbookStatus.textContent = '';
      playbookButton.disabled = true;
      return;
    }
    try {
      playbooks = await listPlaybooks();
      replace(playbookSelect, playbooks.map((p) => h('option', { value: p._id }, `${p.name} (${p.stepCount ?? '?'} steps)`)));
      playbookStatus.textContent = '';
      describePlaybook();
    } catch (err) {
      // The list of another server or other credentials would be stale: nothing to pick from.
      playbooks = [];
      replace(playbookSelect);
      describePlaybook();
      playbookStatus.dataset.tone = 'bad';
      playbookStatus.textContent = `Could not list playbooks: ${errorText(err)}`;
    }
    playbookButton.disabled = !playbooks.length || !canRun;
  }

  function describePlaybook() {
    const playbook = playbooks.find((p) => p._id === playbookSelect.value);
    panel.querySelector('#playbook-desc').textContent = playbook?.description || '';
  }

  text.addEventListener('input', validate);
  threshold.addEventListener('change', () => {
    const value = Number(threshold.value);
    if (Number.isFinite(value) && value >= 0 && value <= 100) save(PREFS_KEY, { ...load(PREFS_KEY, {}), thresholdPercent: value });
  });
  onSettingsChange(() => {
    if (!suiteNeeds.hidden) blockedByCredentials('seed-v1', suiteNeeds);
    if (!playbookNeeds.hidden) blockedByCredentials('cognigy-v2', playbookNeeds);
    // New connection settings: the playbooks of that server, with those credentials (once listed at all).
    if (listed && !controller) refreshPlaybooks();
  });
  runButton.addEventListener('click', runSuite);
  cancelButton.addEventListener('click', () => controller?.abort());
  playbookButton.addEventListener('click', runPlaybook);
  endpointButton.addEventListener('click', runEndpoint);
  endpointUrl.addEventListener('input', validate);
  baselineInput.addEventListener('change', async () => {
    const file = baselineInput.files?.[0];
    if (!file) return;
    try {
      baseline = JSON.parse(await file.text());
      baselineName.textContent = `baseline: ${file.name}`;
    } catch {
      baseline = null;
      baselineName.textContent = `${file.name} is not JSON`;
    }
  });
  playbookSelect.addEventListener('change', describePlaybook);
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (file) setSuite(await file.text());
  });
  sampleSelect.addEventListener('change', async () => {
    if (!sampleSelect.value) return;
    const res = await fetch(new URL(`../samples/${sampleSelect.value}`, import.meta.url));
    setSuite(await res.text());
  });
  loadSamples().then((samples) => {
    sampleSelect.append(...samples.map((s) => h('option', { value: s.file }, s.title)));
  }).catch(() => {});

  let listed = false;
  return {
    show() {
      if (!listed) {
        listed = true;
        refreshPlaybooks();
      }
    },
    hide() {},
  };
}
