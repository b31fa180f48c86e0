// What the page keeps across reloads in localStorage: page settings (never credentials), the endpoint
// policies applied in the Timeouts view and the list of suite runs. Every read tolerates a missing,
// disabled or corrupted storage (the page then starts empty); every write is best effort.

const PREFIX = 'cognigy-guard.';

/**
 * The stored JSON value of `key`, or `fallback` when there is none or it cannot be read.
 * @template T
 * @param {string} key
 * @param {T} fallback
 * @returns {T}
 */
export function load(key, fallback) {
  try {
    const text = localStorage.getItem(PREFIX + key);
    if (text === null) return fallback;
    const value = JSON.parse(text);
    return value === null || value === undefined ? fallback : value;
  } catch {
    return fallback;
  }
}

/**
 * Stores `value` as JSON under `key`. Returns false when the storage refused it (disabled, full).
 * @param {string} key
 * @param {unknown} value
 * @returns {boolean}
 */
export function save(key, value) {
  try {
    localStorage.setItem(PREFIX + key, JSON.stringify(value));
    return true;
  } catch {
    return false;
  }
}

/**
 * Removes `key`.
 * @param {string} key
 */
export function remove(key) {
  try {
    localStorage.removeItem(PREFIX + key);
  } catch {
    // nothing stored, nothing to do
  }
}
