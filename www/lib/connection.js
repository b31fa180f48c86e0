// Whether the page can reach the base URL at all (its Content-Security-Policy's connect-src), and whether
// the server accepts the credentials: the check behind *Save* in Settings and the status pill.
import { authFor, settings } from './settings.js';

/**
 * The sources of the page's CSP `connect-src` (from the `<meta http-equiv>`; `default-src` when absent).
 * @returns {string[] | null} null when the page has no CSP (everything allowed)
 */
export function connectSources() {
  const meta = document.querySelector('meta[http-equiv="Content-Security-Policy"]');
  if (!meta) return null;
  const directives = new Map(String(meta.getAttribute('content') || '').split(';')
    .map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name.toLowerCase(), values]));
  return directives.get('connect-src') || directives.get('default-src') || null;
}

function sourceMatches(source, url) {
  const s = source.toLowerCase();
  if (s === "'self'") return url.origin === location.origin;
  if (s === '*') return /^(https?|wss?):$/.test(url.protocol);
  if (/^[a-z][a-z0-9+.-]*:$/.test(s)) return url.protocol === s;
  const m = /^(?:([a-z][a-z0-9+.-]*):\/\/)?(\*\.)?([^/:]+)(?::(\d+|\*))?(?:\/.*)?$/.exec(s);
  if (!m) return false;
  const [, scheme, wildcard, host, port] = m;
  if (scheme ? url.protocol !== `${scheme}:` : url.protocol !== location.protocol && url.protocol !== 'https:') return false;
  const hostOk = wildcard ? url.hostname.endsWith(`.${host}`) : url.hostname === host;
  const defaultPort = { 'http:': '80', 'https:': '443' }[url.protocol];
  const portOk = port === '*' || (port || defaultPort) === (url.port || defaultPort);
  return hostOk && portOk;
}

/**
 * Whether the page's CSP lets it connect to `baseUrl`.
 * @param {string} baseUrl
 * @returns {boolean}
 */
export function cspAllows(baseUrl) {
  let url;
  try {
    url = new URL(baseUrl, location.href);
  } catch {
    return false;
  }
  const sources = connectSources();
  return sources === null || sources.some((source) => sourceMatches(source, url));
}

const TOKEN_PATH = { 'cognigy-v2': '/auth/oauth2/token', 'seed-v1': '/auth/oauth/token' };

/** The server's reason (RFC 7807 `detail`, OAuth `error_description`, ...), with any credential masked. */
async function problemText(res, secrets) {
  let text = '';
  try {
    const body = await res.json();
    text = String(body.detail || body.error_description || body.message || body.title || body.error || '');
  } catch {
    return '';
  }
  for (const secret of secrets) if (secret) text = text.split(secret).join('***');
  return text.slice(0, 300);
}

/**
 * Asks the server whether the credentials the current profile would use are accepted: an OAuth client is
 * exchanged for a token at the profile's token URL; an API key lists one flow (`GET /new/v2.0/flows`).
 * Never throws. `field` names the settings field a problem is about (for the message next to it).
 * `short` is the verdict in a few words (for the status pill), `text` the full message.
 * @returns {Promise<{ ok: boolean, tone: 'ok' | 'warn' | 'bad', short: string, text: string, field?: string }>}
 */
export async function checkCredentials() {
  const s = settings();
  const base = s.baseUrl.replace(/\/+$/, '');
  if (!cspAllows(base)) {
    return { ok: false, tone: 'bad', field: 'baseUrl', short: 'blocked by the page CSP', text: `not checked: this page's Content-Security-Policy does not allow connections to ${safeOrigin(base)}` };
  }
  const auth = authFor(s.api);
  if (!auth) {
    const what = s.api === 'seed-v1' ? 'an OAuth client id and secret (seed-v1 speaks OAuth only)' : 'an API key or an OAuth client id and secret';
    return { ok: false, tone: 'warn', field: s.api === 'seed-v1' ? 'clientId' : 'apiKey', short: 'no credentials', text: `no credentials: set ${what}` };
  }
  const isKey = 'apiKey' in auth;
  const label = isKey ? 'API key' : `OAuth client "${auth.clientId}"`;
  let res;
  try {
    res = isKey
      ? await fetch(`${base}/new/v2.0/flows?limit=1`, { headers: { Accept: 'application/json', 'X-API-Key': auth.apiKey }, credentials: 'omit' })
      : await fetch(`${base}${TOKEN_PATH[s.api]}`, {
        method: 'POST',
        headers: { Accept: 'application/json' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret }),
        credentials: 'omit',
      });
  } catch {
    return { ok: false, tone: 'bad', field: 'baseUrl', short: 'server unreachable', text: `${safeOrigin(base)} did not answer (network error, or it does not allow this page's origin by CORS)` };
  }
  if (res.ok) return { ok: true, tone: 'ok', short: `${label} accepted`, text: `${label} accepted by ${safeOrigin(base)}` };
  const detail = await problemText(res, [auth.apiKey, auth.clientSecret]);
  const field = isKey ? 'apiKey' : 'clientSecret';
  if (res.status === 401 || res.status === 403) {
    return { ok: false, tone: 'bad', field, short: `${isKey ? 'API key' : 'OAuth client'} rejected`, text: `${label} rejected by ${safeOrigin(base)} (HTTP ${res.status}${detail ? `: ${detail}` : ''})` };
  }
  return { ok: false, tone: 'warn', field: 'baseUrl', short: `check failed (HTTP ${res.status})`, text: `could not check the ${label}: HTTP ${res.status}${detail ? ` (${detail})` : ''}` };
}

function safeOrigin(base) {
  try {
    return new URL(base, location.href).origin;
  } catch {
    return 'the base URL';
  }
}
