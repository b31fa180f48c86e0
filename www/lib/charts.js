// Inline SVG charts built with DOM APIs: breaker state timeline, pass/fail bars per intent, histogram.
import { h, s, ms } from './dom.js';

const STATE_CLASS = { closed: 'st-closed', open: 'st-open', half_open: 'st-half' };

/**
 * Normalises a breaker state name ('half-open', 'HalfOpen' → 'half_open').
 * @param {unknown} state
 * @returns {'closed' | 'open' | 'half_open' | 'unknown'}
 */
export function normState(state) {
  const key = String(state ?? '').toLowerCase().replace(/[-\s]/g, '_').replace('halfopen', 'half_open');
  return key in STATE_CLASS ? key : 'unknown';
}

/**
 * Segments `{ from, to, state }` (ms) covering [start, end] from breaker history entries `{ atMs, from, to }`.
 * @param {Array<{ atMs: number, from: string, to: string }>} history
 * @param {string} current state now
 * @param {number} start window start (ms)
 * @param {number} end window end (ms)
 */
export function stateSegments(history, current, start, end) {
  const changes = history.filter((e) => typeof e.atMs === 'number').sort((a, b) => a.atMs - b.atMs);
  const firstInside = changes.find((e) => e.atMs >= start);
  const before = changes.filter((e) => e.atMs < start).pop();
  let state = normState(before ? before.to : firstInside ? firstInside.from : current);
  let at = start;
  const segments = [];
  for (const change of changes.filter((e) => e.atMs >= start && e.atMs <= end)) {
    if (change.atMs > at) segments.push({ from: at, to: change.atMs, state });
    state = normState(change.to);
    at = change.atMs;
  }
  segments.push({ from: at, to: end, state: normState(current) || state });
  return segments;
}

/**
 * A timeline of breaker states over the last `windowMs` (closed green, open red, half-open amber).
 * @param {Array<{ atMs: number, from: string, to: string }>} history
 * @param {string} current
 * @param {number} now ms on the same clock as history's atMs
 * @param {number} [windowMs]
 * @returns {SVGSVGElement}
 */
export function stateTimeline(history, current, now, windowMs = 60_000) {
  const start = now - windowMs;
  const width = 600;
  const x = (t) => ((t - start) / windowMs) * width;
  const segments = stateSegments(history, current, start, now);
  const label = segments.map((seg) => `${seg.state.replace('_', '-')} ${ms(Math.round((seg.to - seg.from) / 1000) * 1000)}`).join(', ');
  return s('svg', { class: 'timeline', viewBox: `0 0 ${width} 26`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `Breaker states over the last ${ms(windowMs)}: ${label}` },
    segments.map((seg) => s('rect', { class: STATE_CLASS[seg.state] || 'st-unknown', x: x(seg.from), y: 2, width: Math.max(1, x(seg.to) - x(seg.from)), height: 22 },
      s('title', {}, `${seg.state.replace('_', '-')}: ${ms(Math.round((seg.to - seg.from) / 100) * 100)}`))));
}

/**
 * The time axis under a timeline, in HTML so its text keeps its size however the SVG is stretched.
 * @param {number} windowMs
 * @returns {HTMLElement}
 */
export function timelineAxis(windowMs) {
  return h('div', { class: 'timeline-axis', 'aria-hidden': 'true' }, h('span', {}, `−${ms(windowMs)}`), h('span', {}, 'now'));
}

/**
 * Horizontal stacked bars: passed / failed / unverified per label.
 * @param {Array<{ label: string, passed: number, failed: number, unverified: number }>} rows
 * @param {number} [width] drawing width in CSS pixels (text stays at its natural size)
 * @returns {SVGSVGElement}
 */
export function passFailBars(rows, width = 600) {
  const rowH = 26;
  const labelW = Math.min(190, Math.round(width * 0.45));
  const max = Math.max(1, ...rows.map((r) => r.passed + r.failed + r.unverified));
  const scale = (n) => (n / max) * (width - labelW - 40);
  return s('svg', { class: 'bars', viewBox: `0 0 ${width} ${rows.length * rowH + 4}`, role: 'img', 'aria-label': 'Passed and failed cases per intent' },
    rows.map((row, i) => {
      const y = i * rowH + 2;
      let x = labelW;
      const part = (n, cls, what) => {
        if (!n) return null;
        const rect = s('rect', { class: cls, x, y: y + 3, width: scale(n), height: rowH - 8 }, s('title', {}, `${row.label}: ${n} ${what}`));
        x += scale(n);
        return rect;
      };
      return s('g', { class: 'bar-row' },
        s('text', { x: labelW - 8, y: y + rowH / 2 + 4, 'text-anchor': 'end', class: 'label' }, truncate(row.label, Math.floor(labelW / 7.2))),
        part(row.passed, 'pass', 'passed'), part(row.failed, 'fail', 'failed'), part(row.unverified, 'unverified', 'unverified'),
        s('text', { x: x + 6, y: y + rowH / 2 + 4, class: 'count' }, `${row.passed}/${row.passed + row.failed + row.unverified}`));
    }));
}

/** Estimated width of an 11 px label (the axis font), for spacing before the real text can be measured. */
const labelWidth = (text) => String(text).length * 6.6;

/**
 * Histogram of latencies with a marker at `budgetMs` (when given). The axis labels sit on the bin edges,
 * formatted like every duration on the page, and only every k-th edge is labelled, k chosen so that the
 * labels cannot overlap at the drawing width (`dropOverlappingLabels` then checks the drawn text).
 * @param {number[]} values latencies in ms
 * @param {{ bins?: number, budgetMs?: number, width?: number }} [options]
 * @returns {SVGSVGElement}
 */
export function histogram(values, { bins = 10, budgetMs, width = 600 } = {}) {
  const height = 160;
  const pad = 22;
  const right = 18;
  const max = Math.max(1, ...values, budgetMs || 0);
  const binW = Math.ceil(max / bins / 50) * 50 || 50;
  const counts = Array.from({ length: bins }, () => 0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(v / binW))] += 1;
  const top = Math.max(1, ...counts);
  const barW = (width - pad - right) / bins;
  const y = (n) => height - pad - (n / top) * (height - 2 * pad);
  const edges = Array.from({ length: bins + 1 }, (_, i) => ms(i * binW));
  const widest = Math.max(...edges.map(labelWidth));
  const step = [1, 2, 5, 10].find((k) => k * barW >= widest + 8 && bins % k === 0) ?? bins;
  return s('svg', { class: 'histogram', viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': `Latency distribution of ${values.length} cases` },
    counts.map((n, i) => s('g', {},
      s('rect', { class: 'hist-bar', x: pad + i * barW + 2, y: y(n), width: barW - 4, height: height - pad - y(n) },
        s('title', {}, `${ms(i * binW)}–${ms((i + 1) * binW)}: ${n}`)),
      n ? s('text', { x: pad + i * barW + barW / 2, y: y(n) - 4, 'text-anchor': 'middle', class: 'count' }, String(n)) : null)),
    edges.map((text, i) => (i % step ? null
      : s('text', { x: pad + i * barW, y: height - 6, 'text-anchor': i === 0 ? 'start' : i === bins ? 'end' : 'middle', class: 'axis' }, text))),
    budgetMs ? s('line', { class: 'limit', x1: pad + (budgetMs / binW) * barW, x2: pad + (budgetMs / binW) * barW, y1: pad / 2, y2: height - pad }) : null,
    s('line', { class: 'baseline', x1: pad, x2: width - right, y1: height - pad, y2: height - pad }));
}

/**
 * Removes the labels (`selector` inside `svg`, in document order) that would overlap the one kept before
 * them, measured on the drawn text. Call once the SVG is in the page.
 * @param {SVGSVGElement} svg
 * @param {string} [selector]
 */
export function dropOverlappingLabels(svg, selector = 'text.axis') {
  let lastRight = -Infinity;
  for (const text of svg.querySelectorAll(selector)) {
    const box = text.getBBox();
    if (box.width === 0) continue;
    if (box.x < lastRight + 4) text.remove();
    else lastRight = box.x + box.width;
  }
}

function truncate(text, n) {
  const str = String(text);
  return str.length > n ? `${str.slice(0, n - 1)}…` : str;
}

/**
 * A legend row for the chart colours.
 * @param {Array<[string, string]>} items [cssClass, label]
 * @returns {HTMLElement}
 */
export function legend(items) {
  return h('ul', { class: 'legend' }, items.map(([cls, label]) => h('li', {}, h('span', { class: ['swatch', cls], 'aria-hidden': 'true' }), label)));
}
