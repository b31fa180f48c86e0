'use strict';
// OAuth2 client credentials (token endpoints), Bearer token checks with scopes, and API keys.

const crypto = require('node:crypto');
const { sendJson, sendError, parseJsonBody, randomId } = require('./http');

/** Every scope the simulator knows (the two seeds' scopes). */
const ALL_SCOPES = [
  'externalService:write',
  'externalService:read',
  'bot:read',
  'metrics:write',
  'audit:write',
  'test:execute',
  'test:read',
  'webhook:write',
];

/** The default OAuth client and API key. */
const DEMO_CLIENT = { id: 'demo-client', secret: 'demo-secret', scopes: ALL_SCOPES };
const DEMO_API_KEY = 'demo-api-key';

function sameSecret(a, b) {
  const ha = crypto.createHash('sha256').update(String(a)).digest();
  const hb = crypto.createHash('sha256').update(String(b)).digest();
  return crypto.timingSafeEqual(ha, hb);
}

function parseTokenForm(ctx) {
  const type = String(ctx.headers['content-type'] || '');
  if (type.includes('application/json')) {
    const parsed = parseJsonBody(ctx.body);
    return parsed.ok && parsed.value && typeof parsed.value === 'object' ? parsed.value : {};
  }
  return Object.fromEntries(new URLSearchParams(ctx.body.toString('utf8')));
}

/** Client credentials sent with HTTP Basic (client_secret_basic), if any. */
function basicCredentials(header) {
  const match = /^Basic\s+(\S+)$/i.exec(header || '');
  if (!match) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { id: formDecode(decoded.slice(0, colon)), secret: formDecode(decoded.slice(colon + 1)) };
}

/** RFC 6749 2.3.1: Basic credentials are form-urlencoded before base64; tolerate clients that skip it. */
function formDecode(text) {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
}

/**
 * Per-simulator authentication state.
 * options: `{ clients, apiKeys, tokenTtlSeconds }`.
 */
function createAuth({ clients = [DEMO_CLIENT], apiKeys = [DEMO_API_KEY], tokenTtlSeconds = 3600 } = {}) {
  const clientList = clients.map((c) => ({ id: String(c.id), secret: String(c.secret), scopes: c.scopes || ALL_SCOPES }));
  const keys = new Set(apiKeys.map(String));
  const tokens = new Map(); // token -> { clientId, scopes, expiresAt }

  function prune(now) {
    for (const [token, info] of tokens) if (info.expiresAt <= now) tokens.delete(token);
  }

  /** Issues a token directly (tests); returns the same object the token endpoint answers. */
  function issue(clientId, scopes, ttlSeconds = tokenTtlSeconds) {
    const now = Date.now();
    if (tokens.size > 1000) prune(now);
    const accessToken = randomId('simtok_', 24);
    tokens.set(accessToken, { clientId, scopes, expiresAt: now + ttlSeconds * 1000 });
    return { access_token: accessToken, token_type: 'Bearer', expires_in: ttlSeconds, scope: scopes.join(' ') };
  }

  /** POST /auth/oauth/token, /api/v1/oauth/token, /auth/oauth2/token. */
  function handleTokenRequest(ctx) {
    const form = parseTokenForm(ctx);
    const basic = basicCredentials(ctx.headers.authorization);
    const clientId = form.client_id || (basic && basic.id);
    const clientSecret = form.client_secret || (basic && basic.secret);
    const fail = (status, oauthError, message) => sendError(ctx.res, ctx.pathname, status, { oauthError, message });
    if (form.grant_type !== 'client_credentials') {
      return fail(400, 'unsupported_grant_type', 'grant_type must be client_credentials');
    }
    if (!clientId || !clientSecret) return fail(401, 'invalid_client', 'client_id and client_secret are required');
    const client = clientList.find((c) => c.id === String(clientId));
    if (!client || !sameSecret(client.secret, clientSecret)) {
      return fail(401, 'invalid_client', 'unknown client or wrong client secret');
    }
    const requested = String(form.scope || '').split(/\s+/).filter(Boolean);
    const refused = requested.filter((s) => !client.scopes.includes(s));
    if (refused.length > 0) return fail(400, 'invalid_scope', `scope not allowed for this client: ${refused.join(' ')}`);
    const granted = requested.length > 0 ? requested : client.scopes;
    return sendJson(ctx.res, 200, issue(client.id, granted), { 'Cache-Control': 'no-store', Pragma: 'no-cache' });
  }

  /**
   * Checks `Authorization: Bearer`. Returns null when allowed, else `{ status, code, message, headers }`.
   * `anyOfScopes`: the token needs at least one of them (empty: any valid token).
   */
  function checkBearer(headers, anyOfScopes = []) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(headers.authorization || '');
    const challenge = (error) => ({ 'WWW-Authenticate': `Bearer realm="cognigy-sim", error="${error}"` });
    if (!match) {
      return { status: 401, code: 'unauthorized', message: 'missing bearer token', headers: { 'WWW-Authenticate': 'Bearer realm="cognigy-sim"' } };
    }
    const info = tokens.get(match[1]);
    if (!info) return { status: 401, code: 'invalid_token', message: 'unknown access token', headers: challenge('invalid_token') };
    if (info.expiresAt <= Date.now()) {
      return { status: 401, code: 'token_expired', message: 'access token expired', headers: challenge('invalid_token') };
    }
    if (anyOfScopes.length > 0 && !anyOfScopes.some((s) => info.scopes.includes(s))) {
      return {
        status: 403,
        code: 'insufficient_scope',
        message: `this operation needs scope ${anyOfScopes.join(' or ')}`,
        headers: challenge('insufficient_scope'),
      };
    }
    return null;
  }

  /** cognigy-v2: `X-API-Key` or a Bearer token. Returns null when allowed, else an error like checkBearer. */
  function checkApiKeyOrBearer(headers) {
    const key = headers['x-api-key'];
    if (key !== undefined) {
      return keys.has(String(key)) ? null : { status: 401, code: 'invalid_api_key', message: 'unknown API key' };
    }
    if (headers.authorization) return checkBearer(headers);
    return { status: 401, code: 'unauthorized', message: 'missing X-API-Key header or bearer token' };
  }

  /** Makes every issued token expire now (tests of token refresh). */
  function expireAllTokens() {
    for (const info of tokens.values()) info.expiresAt = 0;
  }

  return { handleTokenRequest, checkBearer, checkApiKeyOrBearer, issue, expireAllTokens };
}

module.exports = { ALL_SCOPES, DEMO_CLIENT, DEMO_API_KEY, createAuth };
