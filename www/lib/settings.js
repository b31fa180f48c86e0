// Connection settings: base URL, API profile, credentials and breaker tuning. The page settings (base URL,
// profile, auth mode, breaker tuning) persist in localStorage; credentials (API key, OAuth client id and
// secret) live in this module's memory, reach sessionStorage only when the user opts in ("keep for this
// tab"), and never localStorage, the URL or the DOM.
import { load, save } from './store.js';

const SESSION_KEY = 'cognigy-guard.settings';
const STORED_KEY = 'settings';
const DEMO = { apiKey: 'demo-api-key', clientId: 'demo-client', clientSecret: 'demo-secret' };
/** The settings that persist across reloads: nothing secret, nothing that identifies a client. */
const PERSISTED = ['baseUrl', 'api', 'authMode', 'failureThreshold', 'resetTimeoutMs'];
const CREDENTIALS = ['apiKey', 'clientId', 'clientSecret'];

/**
 * The base URL the page starts with: the one its server configured (`cognigy-guard-base-url` meta,
 * written by the simulator when started with a base URL), else the page's own origin.
 * @returns {string}
 */
export function configuredBaseUrl() {
  const meta = document.querySelector('meta[name="cognigy-guard-base-url"]')?.getAttribute('content');
  try {
    if (meta) return new URL(meta).href.replace(/\/+$/, '');
  } catch {
    // an unusable value: fall back to the page's origin
  }
  return location.origin;
}

const listeners = new Set();
const current = {
  baseUrl: configuredBaseUrl(),
  api: 'cognigy-v2',
  authMode: 'apiKey',
  apiKey: '',
  clientId: '',
  clientSecret: '',
  keepForTab: false,
  failureThreshold: 3,
  resetTimeoutMs: 5000,
};

/**
 * A copy of the current settings (credentials included: keep it in memory only).
 * @returns {typeof current}
 */
export function settings() {
  return { ...current };
}

/**
 * Merges `patch` into the settings, persists them to sessionStorage when the user opted in (and clears
 * the stored copy otherwise) and notifies listeners.
 * @param {Partial<typeof current>} patch
 */
export function updateSettings(patch) {
  Object.assign(current, patch);
  persist();
  for (const listener of listeners) listener(settings());
}

/**
 * Calls `listener(settings)` after every change; returns an unsubscribe function.
 * @param {(s: typeof current) => void} listener
 * @returns {() => void}
 */
export function onSettingsChange(listener) {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function persist() {
  save(STORED_KEY, { ...Object.fromEntries(PERSISTED.map((key) => [key, current[key]])), servedWith: configuredBaseUrl() });
  try {
    if (current.keepForTab) sessionStorage.setItem(SESSION_KEY, JSON.stringify(current));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // Storage may be disabled; memory still works.
  }
}

const VALID = {
  baseUrl: (v) => typeof v === 'string' && /^https?:\/\//i.test(v),
  api: (v) => v === 'cognigy-v2' || v === 'seed-v1',
  authMode: (v) => v === 'apiKey' || v === 'oauth',
  failureThreshold: (v) => Number.isInteger(v) && v >= 1 && v <= 100,
  resetTimeoutMs: (v) => Number.isInteger(v) && v >= 100 && v <= 600_000,
};

/**
 * Restores the page settings kept in localStorage (each value checked; credentials are never read from
 * there), then what the user chose to keep for this tab (sessionStorage). The stored base URL is used only
 * when the page is served as it was when it was saved (same origin, same configured base URL): a page
 * started for another tenant or on another port starts with what its server configured.
 */
export function restoreSettings() {
  const stored = load(STORED_KEY, {});
  if (stored && typeof stored === 'object') {
    for (const key of PERSISTED) {
      if (key === 'baseUrl' && stored.servedWith !== configuredBaseUrl()) continue;
      if (VALID[key](stored[key])) current[key] = stored[key];
    }
  }
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (saved && typeof saved === 'object') {
      for (const key of PERSISTED) if (VALID[key](saved[key])) current[key] = saved[key];
      for (const key of CREDENTIALS) if (typeof saved[key] === 'string') current[key] = saved[key];
      current.keepForTab = true;
    }
  } catch {
    sessionStorage.removeItem(SESSION_KEY);
  }
}

/**
 * Whether any credential is set.
 * @returns {boolean}
 */
export function hasCredentials() {
  return Boolean(current.apiKey || (current.clientId && current.clientSecret));
}

/** Uses the simulator's public demo credentials (API key and OAuth client). */
export function useDemoCredentials() {
  updateSettings({ ...DEMO });
}

/** Forgets every credential (memory and sessionStorage). */
export function forgetCredentials() {
  updateSettings({ apiKey: '', clientId: '', clientSecret: '' });
}

/**
 * The `auth` option of TimeoutManager / TestSuiteRunner for `api`: seed-v1 speaks OAuth only; cognigy-v2
 * uses the preferred mode (API key or OAuth), falling back to whichever is set.
 * @param {'cognigy-v2' | 'seed-v1'} api
 * @returns {{ apiKey: string } | { clientId: string, clientSecret: string } | undefined}
 */
export function authFor(api) {
  const oauth = current.clientId && current.clientSecret
    ? { clientId: current.clientId, clientSecret: current.clientSecret } : undefined;
  const key = current.apiKey ? { apiKey: current.apiKey } : undefined;
  if (api === 'seed-v1') return oauth;
  return current.authMode === 'oauth' ? oauth || key : key || oauth;
}

/**
 * Whether plain http is acceptable for the base URL (loopback hosts: the local simulator).
 * @param {string} baseUrl
 * @returns {boolean}
 */
export function isLoopbackHttp(baseUrl) {
  try {
    const url = new URL(baseUrl);
    return url.protocol === 'http:' && ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname);
  } catch {
    return false;
  }
}
