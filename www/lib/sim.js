// The simulator's control routes (/__sim/*) and the few listing calls the package does not wrap.
import { settings } from './settings.js';

const base = () => settings().baseUrl.replace(/\/+$/, '');

async function json(res) {
  const text = await res.text();
  let body;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = text;
  }
  if (!res.ok) {
    const detail = body && typeof body === 'object' ? body.detail || body.message || body.error_description || body.error : body;
    throw new Error(`HTTP ${res.status}${detail ? `: ${detail}` : ''}`);
  }
  return body;
}

/**
 * Whether the base URL is a cognigy-guard simulator (GET /__sim/health).
 * @returns {Promise<boolean>}
 */
export async function simAvailable() {
  // Only probe the page's own origin: the CSP (connect-src 'self') blocks anything else anyway.
  try {
    if (new URL(base(), location.href).origin !== location.origin) return false;
    const res = await fetch(`${base()}/__sim/health`);
    return res.ok && (await res.json()).ok === true;
  } catch {
    return false;
  }
}

/**
 * Injects a fault script: `route` like "GET /ext/weather", `faults` like `[{ status: 503 }]`.
 * @param {string} route
 * @param {object[]} faults
 * @param {boolean} [repeat]
 * @returns {Promise<unknown>}
 */
export async function setFault(route, faults, repeat = true) {
  return json(await fetch(`${base()}/__sim/faults`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ route, faults, repeat }),
  }));
}

/**
 * Removes the fault script of `route` (all scripts when omitted).
 * @param {string} [route]
 * @returns {Promise<unknown>}
 */
export async function clearFault(route) {
  const query = route ? `?route=${encodeURIComponent(route)}` : '';
  return json(await fetch(`${base()}/__sim/faults${query}`, { method: 'DELETE' }));
}

/**
 * The fault scripts currently installed.
 * @returns {Promise<{ scripts: Array<{ route: string }> }>}
 */
export async function listFaults() {
  return json(await fetch(`${base()}/__sim/faults`));
}

async function bearer(clientId, clientSecret) {
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: clientId, client_secret: clientSecret });
  const token = await json(await fetch(`${base()}/auth/oauth2/token`, { method: 'POST', body }));
  return `Bearer ${token.access_token}`;
}

/**
 * Lists the project's playbooks (cognigy-v2 `GET /new/v2.0/playbooks`) with the API key, or an OAuth token.
 * @returns {Promise<Array<{ _id: string, name: string, description?: string, flowId: string, localeId: string, entrypoint: string, stepCount?: number }>>}
 */
export async function listPlaybooks() {
  const s = settings();
  const headers = { Accept: 'application/json' };
  if (s.apiKey && s.authMode !== 'oauth') headers['X-API-Key'] = s.apiKey;
  else if (s.clientId && s.clientSecret) headers.Authorization = await bearer(s.clientId, s.clientSecret);
  else if (s.apiKey) headers['X-API-Key'] = s.apiKey;
  else throw new Error('set an API key or OAuth client in Settings first');
  const page = await json(await fetch(`${base()}/new/v2.0/playbooks?limit=100`, { headers }));
  return page.items || [];
}
