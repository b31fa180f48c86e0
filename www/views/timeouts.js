// Timeouts view: a TimeoutConfig form with live validation, and the configured endpoints with their
// circuit breakers (state, timeline, recovery), guarded test calls and simulator outages.
import { guard, has, getManager, currentManager, onManager } from '../lib/guard.js';
import { h, replace, errorText, ms } from '../lib/dom.js';
import { stateTimeline, timelineAxis, legend } from '../lib/charts.js';
import { endpointBreaker } from '../lib/breaker.js';
import { settings } from '../lib/settings.js';
import { setFault, clearFault } from '../lib/sim.js';
import { load, save } from '../lib/store.js';

/** localStorage key of the applied policies: `[{ config, target }]` (target: the test-call URL as typed). */
const POLICIES_KEY = 'policies';

const BUDGET_MS = 20_000;
const POLL_MS = 500;
const FIELDS = [
  { name: 'endpointId', label: 'Endpoint id', value: 'ext_svc_weather_01', hint: 'letters, digits, _ . - (used in URL paths)' },
  { name: 'maxWaitTimeMs', label: 'Max wait per attempt (ms)', value: '4000', numeric: true, hint: '1000–30000' },
  { name: 'slaThresholdMs', label: 'SLA threshold (ms)', value: '2000', numeric: true, hint: '500–25000, ≤ max wait' },
  { name: 'retryAttempts', label: 'Retries', value: '2', numeric: true, hint: '0–5' },
  { name: 'backoffMs', label: 'Backoff (ms)', value: '500', numeric: true, hint: '0–10000' },
  { name: 'fallbackTemplate', label: 'Fallback template (JSON object)', value: '{\n  "message": "The weather service is resting. Please try again soon."\n}', textarea: true, hint: 'sent to the bot when the service is down and nothing is cached' },
];

/**
 * The value of a form field as the validator should see it: numbers for numeric text, the raw string
 * otherwise (so "12a" is reported as a type error), undefined when empty.
 * @param {string} raw
 * @param {boolean} numeric
 */
function fieldValue(raw, numeric) {
  const text = raw.trim();
  if (text === '') return undefined;
  return numeric && /^-?\d+(\.\d+)?$/.test(text) ? Number(text) : text;
}

const MAX_BACKOFF_MS = 10_000;

/**
 * Worst-case time of one guarded call, as the core computes it: every attempt times out, plus the
 * exponential backoffs before each retry (`backoffMs * 2^(n-1)`, capped at 10 s).
 * @param {{ maxWaitTimeMs?: unknown, retryAttempts?: unknown, backoffMs?: unknown }} config
 * @returns {number | null}
 */
export function worstCaseMs(config) {
  const wait = Number(config.maxWaitTimeMs);
  const retries = config.retryAttempts === undefined ? 2 : Number(config.retryAttempts);
  const backoff = config.backoffMs === undefined ? 500 : Number(config.backoffMs);
  if (![wait, retries, backoff].every(Number.isFinite) || retries < 0 || retries > 100) return null;
  let total = (retries + 1) * wait;
  for (let n = 1; n <= retries; n += 1) total += Math.min(backoff * 2 ** (n - 1), MAX_BACKOFF_MS);
  return total;
}

function fieldFor(path) {
  const root = String(path || '').split(/[.[]/)[0];
  return FIELDS.some((f) => f.name === root) ? root : null;
}

function buildForm(onInput, onApply) {
  const inputs = {};
  const errors = {};
  const rows = FIELDS.map((f) => {
    const id = `to-${f.name}`;
    const input = f.textarea
      ? h('textarea', { id, name: f.name, rows: 4, spellcheck: 'false', 'aria-describedby': `${id}-hint ${id}-err` })
      : h('input', { id, name: f.name, type: 'text', inputmode: f.numeric ? 'numeric' : 'text', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': `${id}-hint ${id}-err` });
    input.value = f.value;
    input.addEventListener('input', onInput);
    inputs[f.name] = input;
    errors[f.name] = h('p', { id: `${id}-err`, class: 'field-error', 'data-field': f.name, 'aria-live': 'polite' });
    return h('div', { class: ['field', f.textarea && 'wide'] },
      h('label', { for: id }, f.label), input, h('p', { id: `${id}-hint`, class: 'hint' }, f.hint), errors[f.name]);
  });
  const urlInput = h('input', { id: 'to-url', type: 'text', autocomplete: 'off', spellcheck: 'false' });
  urlInput.value = '/ext/weather?city=Berlin';
  rows.push(h('div', { class: 'field wide' }, h('label', { for: 'to-url' }, 'Service URL for test calls'), urlInput,
    h('p', { class: 'hint' }, 'a path is resolved against the base URL; the simulator serves /ext/weather and /ext/quote')));
  const budget = h('div', { class: 'budget', id: 'to-budget', 'aria-live': 'polite' });
  const formErrors = h('ul', { class: 'form-errors', id: 'to-form-errors' });
  const apply = h('button', { type: 'submit', class: 'primary', id: 'to-apply' }, 'Apply policy');
  const status = h('p', { class: 'status-line', id: 'to-apply-status', role: 'status' });
  const form = h('form', { class: 'policy-form', novalidate: true, 'aria-label': 'Timeout policy' },
    h('div', { class: 'fields' }, rows), budget, formErrors, h('div', { class: 'actions' }, apply, status));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    onApply();
  });
  return { form, inputs, errors, urlInput, budget, formErrors, apply, status };
}

function renderBudget(el, config, warnings) {
  const worst = worstCaseMs(config);
  const over = worst !== null && worst > BUDGET_MS;
  const warning = warnings.find((w) => w.code === 'BUDGET_EXCEEDED');
  const meter = h('meter', { min: 0, max: BUDGET_MS, low: BUDGET_MS * 0.75, high: BUDGET_MS * 0.99, optimum: 0, value: Math.min(worst ?? 0, BUDGET_MS), 'aria-label': 'Worst case against the 20 s budget' });
  replace(el,
    h('div', { class: 'budget-line' },
      h('span', {}, 'Worst case per call '), h('strong', { class: over ? 'bad' : 'good' }, worst === null ? '–' : ms(worst)),
      h('span', { class: 'muted' }, ` of the ${ms(BUDGET_MS)} Cognigy Extension budget`)),
    meter,
    warning || over ? h('p', { class: 'warning', role: 'alert', 'data-code': 'BUDGET_EXCEEDED' }, warning ? warning.message : 'The worst case exceeds the 20 s budget of an Extension node.') : null,
    warnings.filter((w) => w.code !== 'BUDGET_EXCEEDED').map((w) => h('p', { class: 'warning' }, `${w.path}: ${w.message}`)));
}

function endpointCard(endpoint, actions) {
  const el = h('article', { class: 'endpoint card', 'data-endpoint': endpoint.id });
  const refs = {
    pill: h('span', { class: 'pill state', 'data-state': 'closed' }, 'closed'),
    facts: h('dl', { class: 'facts' }),
    timeline: h('div', { class: 'timeline-wrap' }),
    result: h('pre', { class: 'call-result', 'aria-live': 'polite' }),
    auto: h('button', { type: 'button', 'aria-pressed': 'false', onclick: () => actions.toggleAuto(endpoint) }, 'Auto-call every 1 s'),
  };
  replace(el,
    h('header', { class: 'endpoint-head' }, h('h3', {}, endpoint.id), refs.pill),
    refs.facts, refs.timeline,
    h('div', { class: 'actions' },
      h('button', { type: 'button', class: 'primary', onclick: () => actions.call(endpoint) }, 'Guarded call'),
      refs.auto,
      h('button', { type: 'button', class: 'danger', onclick: () => actions.outage(endpoint, true) }, 'Inject outage'),
      h('button', { type: 'button', onclick: () => actions.outage(endpoint, false) }, 'Clear outage'),
      h('button', { type: 'button', class: 'edit', onclick: () => actions.edit(endpoint) }, 'Edit policy'),
      h('button', { type: 'button', class: 'danger-ghost remove', onclick: () => actions.remove(endpoint) }, 'Remove')),
    refs.result);
  return { el, refs };
}

/**
 * The timeline's width: the time since the endpoint was configured, rounded up to 10 s, within 10 s..5 min.
 * @param {number} ageMs
 * @returns {number}
 */
export function timelineWindow(ageMs) {
  return Math.min(300_000, Math.max(10_000, Math.ceil(ageMs / 10_000) * 10_000));
}

function fact(label, value, tone) {
  return h('div', {}, h('dt', {}, label), h('dd', { class: tone || null }, value));
}

/**
 * Mounts the Timeouts view into `panel`.
 * @param {HTMLElement} panel
 * @returns {{ show(): void, hide(): void }}
 */
export function createTimeoutsView(panel) {
  const endpoints = new Map();
  let timer = null;
  let latest = { ok: false };

  const form = buildForm(validate, apply);
  const list = h('div', { class: 'endpoint-list', id: 'endpoint-list' });
  const empty = h('p', { class: 'empty' }, 'No endpoint configured yet. Apply a policy to guard a service.');
  const missing = has('TimeoutManager') ? null
    : h('p', { class: 'note' }, 'This build of cognigy-guard has no TimeoutManager yet: validation works, applying does not.');
  replace(panel,
    h('div', { class: 'two-col' },
      h('section', { class: 'card' }, h('h2', {}, 'Endpoint timeout policy'), missing, form.form),
      h('section', { class: 'card' }, h('h2', {}, 'Guarded endpoints'),
        legend([['st-closed', 'closed'], ['st-half', 'half-open'], ['st-open', 'open']]), empty, list)));

  function readConfig() {
    const config = {};
    for (const f of FIELDS) {
      const value = fieldValue(form.inputs[f.name].value, Boolean(f.numeric));
      if (value !== undefined) config[f.name] = value;
    }
    return config;
  }

  function validate() {
    const config = readConfig();
    latest = guard.validateTimeoutConfig(config);
    const errors = latest.ok ? [] : latest.errors;
    for (const f of FIELDS) {
      const mine = errors.filter((e) => fieldFor(e.path) === f.name);
      replace(form.errors[f.name], mine.map((e) => h('span', { 'data-code': e.code }, e.message)));
      form.inputs[f.name].setAttribute('aria-invalid', String(mine.length > 0));
    }
    replace(form.formErrors, errors.filter((e) => !fieldFor(e.path)).map((e) => h('li', {}, `${e.path || '(config)'}: ${e.message}`)));
    renderBudget(form.budget, config, latest.warnings || []);
    form.apply.disabled = !latest.ok || !has('TimeoutManager');
    return latest;
  }

  /** The policies kept in localStorage, in the order they were first applied. */
  function storedPolicies() {
    const stored = load(POLICIES_KEY, []);
    return Array.isArray(stored) ? stored.filter((p) => p && typeof p === 'object' && p.config && typeof p.config.endpointId === 'string') : [];
  }

  function storePolicies() {
    save(POLICIES_KEY, [...endpoints.values()].map((e) => ({ config: e.config, target: e.target })));
  }

  /**
   * Registers `config` with the manager and shows its card (created first, so a policy that cannot be
   * applied, say a restored seed-v1 policy without credentials, still shows its error and can be removed).
   */
  async function applyPolicy(config, target) {
    const url = new URL(String(target || '').trim() || '/', settings().baseUrl + '/').href;
    let endpoint = endpoints.get(config.endpointId);
    if (!endpoint) {
      endpoint = { id: config.endpointId, auto: null, since: Date.now() };
      endpoint.card = endpointCard(endpoint, { call, outage, toggleAuto, edit, remove });
      list.append(endpoint.card.el);
      endpoints.set(endpoint.id, endpoint);
    }
    Object.assign(endpoint, { config, target, url });
    storePolicies();
    refresh();
    await getManager().configureTimeout(config);
    endpoint.card.refs.result.textContent = '';
    refresh();
  }

  async function apply() {
    if (!validate().ok) return;
    const config = readConfig();
    form.status.dataset.tone = '';
    form.status.textContent = 'Applying…';
    try {
      await applyPolicy(config, form.urlInput.value);
      form.status.dataset.tone = 'ok';
      form.status.textContent = `Applied to ${config.endpointId} (${settings().api}).`;
    } catch (err) {
      form.status.dataset.tone = 'bad';
      form.status.textContent = errorText(err);
    }
  }

  /** Applies every stored policy again (page load, or a new manager after the connection settings changed). */
  async function restorePolicies() {
    for (const { config, target } of storedPolicies()) {
      if (!guard.validateTimeoutConfig(config).ok) continue;
      try {
        await applyPolicy(config, target);
      } catch (err) {
        const out = endpoints.get(config.endpointId)?.card.refs.result;
        if (out) {
          out.dataset.tone = 'bad';
          out.textContent = `Stored policy not applied: ${errorText(err)}`;
        }
      }
    }
  }

  function edit(endpoint) {
    for (const f of FIELDS) {
      const value = endpoint.config[f.name];
      form.inputs[f.name].value = value === undefined ? '' : typeof value === 'object' ? JSON.stringify(value, null, 2) : String(value);
    }
    form.urlInput.value = String(endpoint.target ?? '');
    validate();
    form.inputs.endpointId.focus();
  }

  function remove(endpoint) {
    if (endpoint.auto) clearInterval(endpoint.auto);
    endpoint.card.el.remove();
    endpoints.delete(endpoint.id);
    storePolicies();
    refresh();
  }

  async function call(endpoint) {
    const out = endpoint.card.refs.result;
    const started = performance.now();
    try {
      const r = await getManager().call(endpoint.id, { url: endpoint.url });
      const why = r.error ? ` — ${r.error.message}` : '';
      out.dataset.tone = r.degraded ? 'warn' : 'ok';
      out.textContent = `${r.source}${r.degraded ? ' (degraded)' : ''} · ${r.status ? `HTTP ${r.status}` : 'no live answer'} · ${ms(r.latencyMs)} · ${r.attempts} attempt(s)${r.slaBreached ? ' · SLA breached' : ''}${why}\n${JSON.stringify(r.data, null, 2)}`;
    } catch (err) {
      out.dataset.tone = 'bad';
      out.textContent = `${errorText(err)} (after ${ms(performance.now() - started)})`;
    }
    refresh();
  }

  function faultRoute(endpoint) {
    return `GET ${new URL(endpoint.url).pathname}`;
  }

  async function outage(endpoint, on) {
    const out = endpoint.card.refs.result;
    try {
      if (on) await setFault(faultRoute(endpoint), [{ status: 503 }], true);
      else await clearFault(faultRoute(endpoint));
      out.dataset.tone = on ? 'warn' : 'ok';
      out.textContent = on ? `Outage injected: ${faultRoute(endpoint)} answers 503 until cleared.` : `Outage cleared: ${faultRoute(endpoint)} answers normally.`;
    } catch (err) {
      out.dataset.tone = 'bad';
      out.textContent = `Simulator control failed: ${errorText(err)}`;
    }
  }

  function toggleAuto(endpoint) {
    const button = endpoint.card.refs.auto;
    if (endpoint.auto) {
      clearInterval(endpoint.auto);
      endpoint.auto = null;
    } else {
      endpoint.auto = setInterval(() => call(endpoint), 1000);
      call(endpoint);
    }
    button.setAttribute('aria-pressed', String(Boolean(endpoint.auto)));
  }

  function refresh() {
    const manager = currentManager();
    empty.hidden = endpoints.size > 0;
    if (!manager) return;
    for (const endpoint of endpoints.values()) {
      const { state, history, metrics } = endpointBreaker(manager, endpoint.id);
      const { pill, facts, timeline } = endpoint.card.refs;
      pill.dataset.state = state;
      pill.textContent = state.replace('_', '-');
      const recovery = metrics.recoveryLatency?.last ?? null;
      replace(facts,
        fact('Policy', `${ms(endpoint.config.maxWaitTimeMs)} × ${1 + (endpoint.config.retryAttempts ?? 2)}, SLA ${ms(endpoint.config.slaThresholdMs)}`),
        fact('Calls', `${metrics.calls ?? 0} (${metrics.successes ?? 0} live)`),
        fact('Failures / refused', `${metrics.failures ?? 0} / ${metrics.rejections ?? 0}`),
        fact('Served degraded', `${(metrics.cacheHits ?? 0) + (metrics.fallbacks ?? 0)}`, (metrics.cacheHits || metrics.fallbacks) ? 'warn' : null),
        fact('Latency p95', ms(metrics.latency?.p95)),
        fact('Recovery latency', recovery === null ? '–' : ms(recovery), recovery === null ? null : 'good'));
      const now = Date.now();
      const windowMs = timelineWindow(now - endpoint.since);
      replace(timeline, stateTimeline(history, state, now, windowMs), timelineAxis(windowMs));
    }
  }

  // A dropped manager (the connection settings changed) takes its breakers with it: the cards go, and the
  // stored policies are applied again to the manager of the new settings.
  onManager((manager) => {
    if (manager) return;
    for (const endpoint of endpoints.values()) {
      if (endpoint.auto) clearInterval(endpoint.auto);
      endpoint.card.el.remove();
    }
    endpoints.clear();
    refresh();
    queueMicrotask(restorePolicies);
  });

  validate();
  restorePolicies();
  return {
    show() {
      refresh();
      timer = timer || setInterval(refresh, POLL_MS);
    },
    hide() {
      clearInterval(timer);
      timer = null;
    },
  };
}
