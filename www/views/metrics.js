// Metrics and audit view: the manager's counters, Prometheus text, dashboard sync, and the hash-chained
// audit log with its verification.
import { guard, has, currentManager } from '../lib/guard.js';
import { h, replace, errorText, download } from '../lib/dom.js';

/**
 * Flattens nested numeric counters into `[['endpoints.weather.calls', 3], ...]`.
 * @param {unknown} value
 * @param {string} [prefix]
 * @returns {Array<[string, number | string]>}
 */
export function flatten(value, prefix = '') {
  if (typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') return [[prefix || 'value', value]];
  if (!value || typeof value !== 'object') return [];
  return Object.entries(value).flatMap(([key, v]) => flatten(v, prefix ? `${prefix}.${key}` : key));
}

function shortHash(hash) {
  const text = String(hash ?? '');
  return text.length > 14 ? `${text.slice(0, 12)}…` : text;
}

/**
 * Mounts the Metrics & audit view into `panel`.
 * @param {HTMLElement} panel
 * @returns {{ show(): void, hide(): void }}
 */
export function createMetricsView(panel) {
  const counters = h('div', { class: 'counters', id: 'metric-counters' });
  const prom = h('pre', { class: 'prom', id: 'prom-text', tabindex: 0 });
  const syncStatus = h('p', { class: 'status-line', id: 'sync-status', role: 'status' });
  const verifyStatus = h('p', { class: 'status-line', id: 'audit-status', role: 'status' });
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', id: 'metrics-empty' }, 'No TimeoutManager yet: apply a policy in the Timeouts view first.');
  let records = [];
  let fromFile = false;
  const fileInput = h('input', { type: 'file', id: 'audit-file', accept: '.json,application/json', disabled: !has('verifyAuditLog') });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      const parsed = JSON.parse(await file.text());
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array of audit records');
      records = parsed;
      fromFile = file.name;
      verify();
    } catch (err) {
      verifyStatus.dataset.tone = 'bad';
      verifyStatus.textContent = `${file.name}: ${errorText(err)}`;
    }
  });

  const live = h('div', { class: 'two-col', hidden: true },
      h('section', { class: 'card' }, h('h2', {}, 'Counters'), counters,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', id: 'sync-metrics', onclick: sync }, 'Sync to dashboard'),
          h('button', { type: 'button', onclick: refresh }, 'Refresh')),
        syncStatus),
      h('section', { class: 'card' }, h('h2', {}, 'Prometheus exposition'), prom,
        h('div', { class: 'actions' }, h('button', { type: 'button', onclick: () => navigator.clipboard?.writeText(prom.textContent) }, 'Copy'))));
  replace(panel,
    empty,
    live,
    h('section', { class: 'card' },
      h('div', { class: 'card-head' }, h('h2', {}, 'Audit log'),
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', id: 'verify-audit', onclick: verify, disabled: !has('verifyAuditLog') }, 'Verify hash chain'),
          h('button', { type: 'button', id: 'dl-audit', onclick: () => download('audit-log.json', JSON.stringify(records, null, 2), 'application/json') }, 'Download'),
          h('label', { class: 'file' }, 'Verify a file… ', fileInput))),
      verifyStatus,
      h('div', { class: 'table-wrap' }, h('table', { class: 'audit', id: 'audit-table' },
        h('thead', {}, h('tr', {}, ['#', 'Time', 'Event', 'Details', 'Hash'].map((t) => h('th', { scope: 'col' }, t)))), tbody))));

  function refresh() {
    const manager = currentManager();
    empty.hidden = Boolean(manager);
    live.hidden = !manager;
    if (!manager) {
      if (fromFile) renderAudit();
      return;
    }
    try {
      replace(counters, flatten(manager.metrics()).map(([key, value]) => h('div', { class: 'counter', 'data-key': key },
        h('span', { class: 'counter-value' }, String(value)), h('span', { class: 'counter-key' }, key))));
      prom.textContent = manager.prometheus();
      if (!fromFile) {
        records = manager.auditLog();
        renderAudit();
      }
    } catch (err) {
      syncStatus.dataset.tone = 'bad';
      syncStatus.textContent = errorText(err);
    }
  }

  function renderAudit(brokenAt) {
    replace(tbody, records.map((r) => h('tr', { 'data-seq': String(r.seq), class: brokenAt !== undefined && r.seq >= brokenAt ? 'broken' : null },
      h('td', { class: 'num' }, String(r.seq)),
      h('td', { class: 'nowrap' }, String(r.timestamp ?? '')),
      h('td', {}, String(r.eventType ?? '')),
      h('td', { class: 'details' }, h('code', {}, JSON.stringify(r.details ?? {}))),
      h('td', { class: 'hash', title: String(r.hash ?? '') }, shortHash(r.hash)))));
  }

  async function sync() {
    const manager = currentManager();
    if (!manager) return;
    syncStatus.dataset.tone = '';
    syncStatus.textContent = 'Syncing…';
    try {
      const result = await manager.syncMetrics();
      syncStatus.dataset.tone = result.pending ? 'warn' : 'ok';
      syncStatus.textContent = `Delivered ${result.delivered}, pending ${result.pending}, dropped ${result.dropped}.`;
    } catch (err) {
      syncStatus.dataset.tone = 'bad';
      syncStatus.textContent = errorText(err);
    }
    refresh();
  }

  function verify(event) {
    if (event) fromFile = false;
    refresh();
    const result = guard.verifyAuditLog(records);
    const source = fromFile ? `${fromFile}: ` : '';
    verifyStatus.dataset.tone = result.ok ? 'ok' : 'bad';
    verifyStatus.textContent = result.ok
      ? `✓ ${source}Chain intact: ${records.length} record(s), every hash links to the previous one.`
      : `✗ ${source}Chain broken at record ${result.brokenAt}.`;
    renderAudit(result.ok ? undefined : result.brokenAt);
  }

  return {
    show: refresh,
    hide() {},
  };
}
