// The admin page: loads the package, wires the settings panel and the tabs, mounts one view per tab.
import { guard, loadGuard } from './lib/guard.js';
import { errorText } from './lib/dom.js';
import { forgetCredentials, hasCredentials, restoreSettings, settings, updateSettings, useDemoCredentials, onSettingsChange } from './lib/settings.js';
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
  note.hidden = origin === location.origin;
  note.textContent = origin
    ? `This page's Content-Security-Policy allows connections to its own origin only. To use ${origin}, add it to connect-src in index.html.`
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
  patch.failureThreshold = Math.max(1, Number(patch.failureThreshold) || 3);
  patch.resetTimeoutMs = Math.max(100, Number(patch.resetTimeoutMs) || 5000);
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

async function refreshStatus() {
  const s = settings();
  const sim = await simAvailable();
  const host = new URL(s.baseUrl, location.href).host;
  if (!hasCredentials()) setStatus(`${s.api} · ${host} · no credentials`, 'warn');
  else setStatus(`${s.api} · ${host}${sim ? ' · simulator' : ''}`, 'ok');
}

/**
 * Tabs per the WAI-ARIA tabs pattern: click or Left/Right/Home/End move the selection (automatic activation).
 * @param {Record<string, { show(): void, hide(): void }>} views by panel id
 */
function wireTabs(views) {
  const tabs = [...document.querySelectorAll('[role="tab"]')];
  const select = (tab, focus) => {
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
  select(tabs.find((t) => t.getAttribute('aria-selected') === 'true') || tabs[0], false);
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
