'use strict';
// Small HTTP helpers shared by every handler: JSON answers, the three error shapes, header redaction.

const crypto = require('node:crypto');
const { STATUS_CODES } = require('node:http');

/** Paths of the OAuth2 token endpoints (seed-v1 spellings and the cognigy-v2 one). */
const TOKEN_PATHS = ['/auth/oauth/token', '/api/v1/oauth/token', '/auth/oauth2/token'];

/** Headers whose values are secrets: never logged, never echoed. */
const SECRET_HEADERS = new Set(['authorization', 'proxy-authorization', 'x-api-key', 'cookie', 'set-cookie']);

const REDACTED = '[REDACTED]';

/** Which error shape a path answers with: 'problem' (cognigy-v2, /testing), 'oauth' (token endpoints) or 'plain'. */
function errorFamily(pathname) {
  if (TOKEN_PATHS.includes(pathname)) return 'oauth';
  if (pathname.startsWith('/new/') || pathname === '/testing' || pathname.startsWith('/testing/')) return 'problem';
  return 'plain';
}

function send(res, status, contentType, text, headers = {}) {
  if (res.headersSent || res.destroyed) return;
  const body = Buffer.from(text, 'utf8');
  res.writeHead(status, { 'Content-Type': contentType, 'Content-Length': body.length, ...headers });
  res.end(res.req && res.req.method === 'HEAD' ? undefined : body);
}

/** Answers `body` as JSON. */
function sendJson(res, status, body, headers = {}) {
  send(res, status, 'application/json; charset=utf-8', JSON.stringify(body), headers);
}

/**
 * Cognigy's numeric problem `code` per HTTP status (the official client picks its error class by it):
 * 1002 resource not found, 1004 conflict, 1005 invalid argument, 1008 internal error, 1009 not implemented,
 * 1013 method not allowed, 8001 timeout; the statuses it knows by number keep their number.
 */
const COGNIGY_CODE_BY_STATUS = {
  400: 400,
  401: 401,
  402: 402,
  403: 403,
  404: 1002,
  405: 1013,
  408: 8001,
  409: 1004,
  413: 413,
  422: 1005,
  429: 429,
  500: 1008,
  501: 1009,
  502: 502,
  503: 503,
  504: 504,
};

/** The Cognigy problem `code` for `status`: other 4xx are 400 (bad request), other 5xx 1008. */
function cognigyCode(status) {
  return COGNIGY_CODE_BY_STATUS[status] ?? (status < 500 ? 400 : 1008);
}

const OAUTH_ERROR_BY_STATUS = { 400: 'invalid_request', 401: 'invalid_client', 403: 'access_denied', 429: 'slow_down' };

function slug(text) {
  return String(text || 'error').toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');
}

/**
 * Answers an error in the shape the path's profile uses.
 * `error`: `{ code, message, details?, headers?, oauthError? }` (code: short snake_case identifier). A problem
 * answer carries Cognigy's numeric code for the status instead (see `cognigyCode`), `type: "about:blank"`
 * and `details` as an object (`{ field: message }` for validation errors, `{}` otherwise).
 */
function sendError(res, pathname, status, error) {
  const headers = error.headers || {};
  const family = errorFamily(pathname);
  if (family === 'problem') {
    const title = STATUS_CODES[status] || 'Error';
    const problem = {
      type: 'about:blank',
      title,
      status,
      detail: error.message,
      instance: pathname,
      code: cognigyCode(status),
      traceId: crypto.randomBytes(16).toString('hex'),
      details: problemDetails(error.details),
    };
    send(res, status, 'application/problem+json; charset=utf-8', JSON.stringify(problem), headers);
  } else if (family === 'oauth') {
    const oauthError = error.oauthError || OAUTH_ERROR_BY_STATUS[status] || 'server_error';
    sendJson(res, status, { error: oauthError, error_description: error.message }, { 'Cache-Control': 'no-store', ...headers });
  } else {
    const body = { error: error.code || slug(STATUS_CODES[status]), message: error.message };
    if (error.details) body.details = error.details;
    sendJson(res, status, body, headers);
  }
}

/** `details` of a problem: an object; a `[{ field, message }]` list becomes `{ field: message }`. */
function problemDetails(details) {
  if (Array.isArray(details)) return Object.fromEntries(details.map((d) => [d.field, d.message]));
  return isPlainObject(details) ? details : {};
}

/** A copy of `headers` with the values of secret-bearing headers replaced by `[REDACTED]`. */
function redactHeaders(headers) {
  const out = {};
  for (const [name, value] of Object.entries(headers || {})) {
    out[name] = SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
  }
  return out;
}

/** True when the socket's peer is the local machine. */
function isLoopback(address) {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || /^(::ffff:)?127\./.test(address || '');
}

/** Parses a JSON body; returns `{ ok, value }` or `{ ok: false, message }`. An empty body parses as undefined. */
function parseJsonBody(buffer) {
  if (!buffer || buffer.length === 0) return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(buffer.toString('utf8')) };
  } catch (err) {
    return { ok: false, message: `request body is not valid JSON: ${err.message}` };
  }
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A random identifier: `prefix` + hex characters. */
function randomId(prefix, bytes = 12) {
  return prefix + crypto.randomBytes(bytes).toString('hex');
}

module.exports = {
  TOKEN_PATHS,
  cognigyCode,
  REDACTED,
  errorFamily,
  send,
  sendJson,
  sendError,
  redactHeaders,
  isLoopback,
  parseJsonBody,
  isPlainObject,
  randomId,
};
