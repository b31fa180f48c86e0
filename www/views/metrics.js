// Metrics and audit view: the manager's counters, Prometheus text, dashboard sync, and the hash-chained
// audit log with its verification. While the view is visible it refreshes every REFRESH_MS.
import { guard, has, currentManager } from '../lib/guard.js';
import { h, replace, errorText, download, ms } from '../lib/dom.js';

const REFRESH_MS = 1000;

const ENDPOINT_COLUMNS = [
  ['State', (m) => h('span', { class: 'pill', 'data-state': m.state }, String(m.state ?? '–').replace('_', '-'))],
  ['Calls', (m) => m.calls], ['Live', (m) => m.successes], ['Failures', (m) => m.failures], ['Timeouts', (m) => m.timeouts],
  ['Refused', (m) => m.rejections], ['Cache', (m) => m.cacheHits], ['Fallback', (m) => m.fallbacks],
  ['SLA breaches', (m) => m.slaBreaches], ['Opens', (m) => m.opens],
  ['p50 / p95', (m) => `${ms(m.latency?.p50)} / ${ms(m.latency?.p95)}`],
  ['Last recovery', (m) => ms(m.recoveryLatency?.last)],
];

function endpointTable(endpoints) {
  const ids = Object.keys(endpoints || {});
  if (!ids.length) return h('p', { class: 'empty' }, 'No endpoint configured.');
  return h('div', { class: 'table-wrap' }, h('table', { class: 'metrics-table', id: 'metrics-table' },
    h('thead', {}, h('tr', {}, h('th', { scope: 'col' }, 'Endpoint'), ENDPOINT_COLUMNS.map(([label]) => h('th', { scope: 'col', class: 'num' }, label)))),
    h('tbody', {}, ids.map((id) => h('tr', { 'data-endpoint': id },
      h('th', { scope: 'row' }, h('code', {}, id)),
      ENDPOINT_COLUMNS.map(([, cell]) => h('td', { class: 'num' }, cell(endpoints[id]) ?? '–')))))));
}

function queueTiles(metrics) {
  const tile = (label, value, tone) => h('div', { class: 'counter', 'data-key': label },
    h('span', { class: ['counter-value', tone] }, String(value ?? '–')), h('span', { class: 'counter-key' }, label));
  return h('div', { class: 'counters' },
    tile('metric events waiting', metrics.outbox?.pending, metrics.outbox?.pending ? 'warn' : null),
    tile('metric events dropped', metrics.outbox?.dropped, metrics.outbox?.dropped ? 'bad' : null),
    tile('notifications waiting', metrics.notifications?.pending),
    tile('notifications dropped', metrics.notifications?.dropped, metrics.notifications?.dropped ? 'bad' : null));
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
  const counters = h('div', { class: 'metrics-body', id: 'metric-counters' });
  const prom = h('pre', { class: 'prom', id: 'prom-text', tabindex: 0 });
  const syncStatus = h('p', { class: 'status-line', id: 'sync-status', role: 'status' });
  const verifyStatus = h('p', { class: 'status-line', id: 'audit-status', role: 'status' });
  const tbody = h('tbody');
  const empty = h('p', { class: 'empty', id: 'metrics-empty' }, 'No TimeoutManager yet: apply a policy in the Timeouts view first.');
  let records = [];
  let fromFile = false;
  let timer = null;
  /** The last audit record drawn (seq and hash): the table is redrawn only when the log changed. */
  let drawnHead = '';
  let markedBrokenAt;
  let drawnFile = false;
  const fileInput = h('input', { type: 'file', id: 'audit-file', accept: '.json,application/json', disabled: !has('verifyAuditLog') });
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files?.[0];
    if (!file) return;
    try {
      const parsed = JSON.parse(await file.text());
      if (!Array.isArray(parsed)) throw new Error('expected a JSON array of audit records');
      records = parsed;
      fromFile = file.name;
      drawnFile = false;
      verify();
    } catch (err) {
      verifyStatus.dataset.tone = 'bad';
      verifyStatus.textContent = `${file.name}: ${errorText(err)}`;
    }
  });

  const live = h('div', { class: 'stack', hidden: true },
      h('section', { class: 'card' }, h('h2', {}, 'Endpoints and queues'), counters,
        h('div', { class: 'actions' },
          h('button', { type: 'button', class: 'primary', id: 'sync-metrics', onclick: sync }, 'Sync to dashboard'),
          h('button', { type: 'button', onclick: refresh }, 'Refresh')),
        syncStatus),
      h('section', { class: 'card' }, h('h2', {}, 'Prometheus exposition (text format 0.0.4)'), prom,
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
      if (fromFile && !drawnFile) {
        drawnFile = true;
        renderAudit();
      }
      return;
    }
    try {
      const metrics = manager.metrics();
      replace(counters, queueTiles(metrics), endpointTable(metrics.endpoints));
      const text = manager.prometheus();
      // Left alone when unchanged, so a selection in it survives the refresh.
      if (prom.textContent !== text) prom.textContent = text;
      if (!fromFile) {
        records = manager.auditLog();
        const last = records[records.length - 1];
        const head = `${records.length}:${last?.hash ?? ''}`;
        if (head !== drawnHead) {
          drawnHead = head;
          renderAudit(undefined);
        }
      }
    } catch (err) {
      syncStatus.dataset.tone = 'bad';
      syncStatus.textContent = errorText(err);
    }
  }

  /** Draws `records`; a verification's broken record stays marked across refreshes until the next one. */
  function renderAudit(brokenAt = markedBrokenAt) {
    markedBrokenAt = brokenAt;
    if (fromFile) drawnHead = '';
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
    show() {
      refresh();
      timer = timer || setInterval(refresh, REFRESH_MS);
    },
    hide() {
      clearInterval(timer);
      timer = null;
    },
  };
}
