// The admin page: loads the package, wires the settings panel and the tabs, mounts one view per tab.
import { guard, loadGuard } from './lib/guard.js';
import { errorText } from './lib/dom.js';
import { forgetCredentials, hasCredentials, restoreSettings, settings, updateSettings, useDemoCredentials, onSettingsChange } from './lib/settings.js';
import { checkCredentials, cspAllows } from './lib/connection.js';
import { simAvailable } from './lib/sim.js';
import { createTimeoutsView } from './views/timeouts.js';
import { createSuitesView } from './views/suites.js';
import { createMetricsView } from './views/metrics.js';

const $ = (selector) => document.querySelector(selector);
const SECRET_FIELDS = ['apiKey', 'clientSecret'];
const TEXT_FIELDS = ['baseUrl', 'api', 'authMode', 'clientId', 'failureThreshold', 'resetTimeoutMs'];

function setStatus(text, tone) {
  const pill = $('#conn-status');
  pill.textContent = text;
  pill.dataset.tone = tone;
}

function describeCredentials(s) {
  const parts = [];
  if (s.apiKey) parts.push('API key set');
  if (s.clientId && s.clientSecret) parts.push(`OAuth client "${s.clientId}" set`);
  if (!parts.length) return 'No credentials set.';
  return `${parts.join(' · ')} — kept ${s.keepForTab ? 'for this tab (sessionStorage)' : 'in memory only'}.`;
}

function showCspNote(s) {
  const note = $('#csp-note');
  let origin = '';
  try {
    origin = new URL(s.baseUrl).origin;
  } catch {
    origin = '';
  }
  note.hidden = Boolean(origin) && cspAllows(origin);
  note.textContent = origin
    ? `This page's Content-Security-Policy (connect-src) does not allow connections to ${origin}, so the browser would block every request. `
      + `Serve the page for that base URL instead: node sim/cli.js --base-url ${origin} `
      + '(in an installed package: node_modules/cognigy-guard/sim/cli.js), which adds the origin to connect-src '
      + 'and starts the page with it; or, serving www/ yourself, add the origin to connect-src in index.html.'
    : 'The base URL is not a valid URL.';
}

/** Fills the settings form from the current settings; secret inputs stay empty (never echoed). */
function renderSettingsForm() {
  const form = $('#settings-form');
  const s = settings();
  for (const name of TEXT_FIELDS) form.elements[name].value = String(s[name]);
  form.elements.keepForTab.checked = s.keepForTab;
  for (const name of SECRET_FIELDS) {
    form.elements[name].value = '';
    form.elements[name].placeholder = s[name] ? 'set — leave blank to keep' : '';
  }
  $('#cred-status').textContent = describeCredentials(s);
  showCspNote(s);
}

function readSettingsForm() {
  const form = $('#settings-form');
  const patch = { keepForTab: form.elements.keepForTab.checked };
  for (const name of TEXT_FIELDS) patch[name] = form.elements[name].value.trim();
  patch.failureThreshold = Math.min(100, Math.max(1, Math.round(Number(patch.failureThreshold)) || 3));
  patch.resetTimeoutMs = Math.min(600_000, Math.max(100, Math.round(Number(patch.resetTimeoutMs)) || 5000));
  patch.baseUrl = patch.baseUrl.replace(/\/+$/, '') || location.origin;
  for (const name of SECRET_FIELDS) {
    const value = form.elements[name].value;
    if (value) patch[name] = value;
  }
  if (!patch.clientId) patch.clientSecret = '';
  return patch;
}

function wireSettings() {
  const toggle = $('#settings-toggle');
  const panel = $('#settings');
  toggle.addEventListener('click', () => {
    const open = panel.hidden;
    panel.hidden = !open;
    toggle.setAttribute('aria-expanded', String(open));
    if (open) panel.querySelector('input').focus();
  });
  // A view that cannot run without a setting ("Open Settings" next to its run button) opens the panel at it.
  document.addEventListener('cognigy-guard:open-settings', (event) => {
    panel.hidden = false;
    toggle.setAttribute('aria-expanded', 'true');
    const field = $('#settings-form').elements[event.detail?.field] || panel.querySelector('input');
    panel.scrollIntoView({ block: 'start' });
    field.focus();
  });
  $('#settings-form').addEventListener('submit', (event) => {
    event.preventDefault();
    updateSettings(readSettingsForm());
  });
  $('#demo-creds').addEventListener('click', () => useDemoCredentials());
  $('#forget-creds').addEventListener('click', () => forgetCredentials());
  onSettingsChange(() => {
    renderSettingsForm();
    refreshStatus();
  });
  renderSettingsForm();
}

let checkSeq = 0;

/** Marks the settings field a failed check is about, with the message next to the form's fields. */
function markField(field) {
  const form = $('#settings-form');
  for (const input of form.querySelectorAll('input, select')) {
    if (input.name === field) {
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', 'cred-check');
    } else if (input.getAttribute('aria-describedby') === 'cred-check') {
      input.removeAttribute('aria-invalid');
      input.removeAttribute('aria-describedby');
    }
  }
}

/**
 * Checks the credentials against the server (see lib/connection.js) and shows the verdict in the status
 * pill and next to the settings fields; the pill is green only when the server accepted them.
 */
async function refreshStatus() {
  const seq = ++checkSeq;
  const s = settings();
  const host = new URL(s.baseUrl, location.href).host;
  setStatus(`${s.api} · ${host} · checking…`, 'warn');
  const out = $('#cred-check');
  out.dataset.tone = '';
  out.textContent = hasCredentials() ? 'Checking the credentials…' : '';
  const [check, sim] = await Promise.all([checkCredentials(), simAvailable()]);
  if (seq !== checkSeq) return check;
  if (check.ok) setStatus(`${s.api} · ${host}${sim ? ' · simulator' : ''}`, 'ok');
  else setStatus(`${s.api} · ${host} · ${check.short}`, check.tone);
  out.dataset.tone = check.tone;
  out.textContent = check.ok ? `✓ ${check.text}.` : `✗ ${check.text}.`;
  markField(check.ok ? null : check.field);
  document.body.dataset.credentials = check.ok ? 'ok' : 'bad';
  return check;
}

/** The tab a URL fragment names (`#suites` → the Test suites tab), if any. */
function tabOfHash(tabs, hash) {
  const name = decodeURIComponent(String(hash || '').replace(/^#/, ''));
  return tabs.find((t) => t.id === `tab-${name}`);
}

/**
 * Tabs per the WAI-ARIA tabs pattern: click or Left/Right/Home/End move the selection (automatic activation).
 * The selected tab is in the URL fragment (`#timeouts`, `#suites`, `#metrics`): a link or a reload opens it,
 * switching tabs updates it (without adding history entries), and editing it switches the tab.
 * @param {Record<string, { show(): void, hide(): void }>} views by panel id
 */
function wireTabs(views) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
    const hash = `#${tab.id.replace(/^tab-/, '')}`;
    if (location.hash !== hash) history.replaceState(history.state, '', hash);
    for (const other of tabs) {
      const selected = other === tab;
      other.setAttribute('aria-selected', String(selected));
      other.tabIndex = selected ? 0 : -1;
      const panelId = other.getAttribute('aria-controls');
      document.getElementById(panelId).hidden = !selected;
      if (selected) views[panelId]?.show();
      else views[panelId]?.hide();
    }
    if (focus) tab.focus();
  };
  for (const tab of tabs) {
    tab.addEventListener('click', () => select(tab, false));
    tab.addEventListener('keydown', (event) => {
      const i = tabs.indexOf(tab);
      const next = { ArrowRight: i + 1, ArrowLeft: i - 1, Home: 0, End: tabs.length - 1 }[event.key];
      if (next === undefined) return;
      event.preventDefault();
      select(tabs[(next + tabs.length) % tabs.length], true);
    });
  }
  window.addEventListener('hashchange', () => {
    const tab = tabOfHash(tabs, location.hash);
    if (tab && tab.getAttribute('aria-selected') !== 'true') select(tab, false);
  });
  select(tabOfHash(tabs, location.hash) || tabs.find((t) => t.getAttribute('aria-selected') === 'true') || tabs[0], false);
}

async function main() {
  restoreSettings();
  wireSettings();
  try {
    await loadGuard();
  } catch (err) {
    setStatus(`package failed to load: ${errorText(err)}`, 'bad');
    return;
  }
  $('#version').textContent = typeof guard.version === 'function' ? `v${guard.version()}` : '';
  if (!hasCredentials() && (await simAvailable())) useDemoCredentials();
  const views = {
    'panel-timeouts': createTimeoutsView($('#panel-timeouts')),
    'panel-suites': createSuitesView($('#panel-suites')),
    'panel-metrics': createMetricsView($('#panel-metrics')),
  };
  wireTabs(views);
  await refreshStatus();
  document.body.dataset.ready = 'true';
}

main();
