// Connection settings: base URL, API profile, credentials and breaker tuning. Credentials live in this
// module's memory; they reach sessionStorage only when the user opts in ("keep for this tab"), and never
// localStorage, the URL or the DOM.

const SESSION_KEY = 'cognigy-guard.settings';
const DEMO = { apiKey: 'demo-api-key', clientId: 'demo-client', clientSecret: 'demo-secret' };

const listeners = new Set();
const current = {
  baseUrl: location.origin,
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
  try {
    if (current.keepForTab) sessionStorage.setItem(SESSION_KEY, JSON.stringify(current));
    else sessionStorage.removeItem(SESSION_KEY);
  } catch {
    // Storage may be disabled; memory still works.
  }
}

/** Restores settings the user chose to keep for this tab (sessionStorage). */
export function restoreSettings() {
  try {
    const saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) || 'null');
    if (saved && typeof saved === 'object') Object.assign(current, saved, { keepForTab: true });
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
