// Tiny DOM helpers. Every piece of text goes through text nodes (never innerHTML), so bot answers and
// server errors are rendered as inert text whatever they contain.

const SVG_NS = 'http://www.w3.org/2000/svg';

function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

function setAttrs(el, attrs) {
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  return el;
}

/**
 * Creates an HTML element: `h('button', { class: 'primary', onclick }, 'Run')`. Children may be strings,
 * numbers, nodes or (nested) arrays; null/undefined/false are skipped.
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  return append(setAttrs(document.createElement(tag), attrs), children);
}

/**
 * Creates an SVG element with attributes and children (same rules as `h`).
 * @param {string} tag
 * @param {Record<string, unknown>} [attrs]
 * @param {...unknown} children
 * @returns {SVGElement}
 */
export function s(tag, attrs, ...children) {
  return append(setAttrs(document.createElementNS(SVG_NS, tag), attrs), children);
}

/**
 * Replaces the children of `el` with `children`.
 * @param {Element} el
 * @param {...unknown} children
 * @returns {Element}
 */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/**
 * Offers `text` as a file download through a Blob and an object URL.
 * @param {string} name file name
 * @param {string} text contents
 * @param {string} type MIME type
 */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const a = h('a', { href: url, download: name, hidden: true });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/**
 * A short human message for any thrown value (GuardError code first).
 * @param {unknown} err
 * @returns {string}
 */
export function errorText(err) {
  if (err && typeof err === 'object') {
    const code = err.code ? `${err.code}: ` : '';
    return `${code}${err.message || String(err)}`;
  }
  return String(err);
}

/**
 * Formats a fraction as a percentage with one decimal ("92.3 %"); "–" for null.
 * @param {number | null | undefined} x
 * @returns {string}
 */
export function pct(x) {
  return typeof x === 'number' && Number.isFinite(x) ? `${(x * 100).toFixed(1)} %` : '–';
}

/**
 * Formats a duration, the one style of every duration on the page: milliseconds below a second ("850 ms"),
 * seconds from there ("1.25 s", "8.5 s", "39.5 s"; two decimals at most below 10 s, one above), minutes and
 * seconds from a minute ("2 min 5 s"); "–" for null.
 * @param {number | null | undefined} ms
 * @returns {string}
 */
export function ms(ms) {
  if (typeof ms !== 'number' || !Number.isFinite(ms)) return '–';
  const sign = ms < 0 ? '−' : '';
  const abs = Math.abs(ms);
  if (Math.round(abs) < 1000) return `${sign}${Math.round(abs)} ms`;
  if (abs < 59_950) {
    const digits = abs < 9995 ? 2 : 1;
    return `${sign}${String(Number((abs / 1000).toFixed(digits)))} s`;
  }
  const minutes = Math.floor(Math.round(abs / 1000) / 60);
  const seconds = Math.round(abs / 1000) - minutes * 60;
  return `${sign}${minutes} min${seconds ? ` ${seconds} s` : ''}`;
}
