// Loads the package's browser build once and hands out the TimeoutManager and TestSuiteRunner instances
// built from the current settings. The manager is rebuilt when connection settings change.
import { authFor, isLoopbackHttp, onSettingsChange, settings } from './settings.js';

/** @type {Record<string, any>} the package's exports (filled by loadGuard) */
export const guard = {};
let manager = null;
const managerListeners = new Set();

/**
 * Imports `/pkg/web/index.js` (top-level await instantiates the wasm) into `guard`.
 * @returns {Promise<Record<string, any>>}
 */
export async function loadGuard() {
  const mod = await import(new URL('../pkg/web/index.js', import.meta.url).href);
  Object.assign(guard, mod);
  return guard;
}

/**
 * Whether the loaded build has an export (TimeoutManager, TestSuiteRunner, ...).
 * @param {string} name
 * @returns {boolean}
 */
export function has(name) {
  return typeof guard[name] === 'function';
}

function commonOptions(api) {
  const s = settings();
  return {
    api,
    baseUrl: s.baseUrl.replace(/\/+$/, ''),
    auth: authFor(api),
    allowInsecureHttp: isLoopbackHttp(s.baseUrl),
  };
}

/**
 * The TimeoutManager of the current settings (created on first use).
 * @returns {any}
 */
export function getManager() {
  if (!manager) {
    const s = settings();
    manager = new guard.TimeoutManager({
      ...commonOptions(s.api),
      webhookUrl: s.baseUrl.replace(/\/+$/, ''),
      breaker: { failureThreshold: s.failureThreshold, resetTimeoutMs: s.resetTimeoutMs },
    });
    for (const listener of managerListeners) listener(manager);
  }
  return manager;
}

/**
 * The manager if one exists, without creating it.
 * @returns {any}
 */
export function currentManager() {
  return manager;
}

/**
 * Calls `listener(manager)` whenever a new manager is created, and `listener(null)` when the current one
 * is dropped (connection settings changed).
 * @param {(m: any) => void} listener
 */
export function onManager(listener) {
  managerListeners.add(listener);
}

/**
 * A TestSuiteRunner for `api` with the current base URL and credentials.
 * @param {'seed-v1' | 'cognigy-v2'} api
 * @returns {any}
 */
export function createRunner(api) {
  return new guard.TestSuiteRunner({ ...commonOptions(api), pollIntervalMs: 250, maxPollIntervalMs: 1000 });
}

function dropManager() {
  if (manager && typeof manager.close === 'function') {
    try {
      manager.close();
    } catch {
      // closing is best effort
    }
  }
  manager = null;
  for (const listener of managerListeners) listener(null);
}

let lastKey = '';
onSettingsChange((s) => {
  const key = JSON.stringify([s.baseUrl, s.api, s.authMode, s.apiKey, s.clientId, s.clientSecret, s.failureThreshold, s.resetTimeoutMs]);
  if (key !== lastKey && manager) dropManager();
  lastKey = key;
});
