'use strict';
// The request log: every non-control request, with secrets redacted. Bounded (oldest entries dropped).

const { redactHeaders, REDACTED } = require('./http');

const MAX_ENTRIES = 10000;
const SECRET_QUERY_PARAMS = /^(api[_-]?key|apikey|token|access_token|client_secret|secret|password)$/i;

function redactQuery(search) {
  if (!search) return '';
  const params = new URLSearchParams(search);
  for (const name of [...params.keys()]) if (SECRET_QUERY_PARAMS.test(name)) params.set(name, REDACTED);
  return `?${params.toString()}`;
}

/** The path with a REST Endpoint's URL token (a secret) replaced: `/endpoint/[REDACTED]`. */
function redactPath(pathname) {
  return pathname.startsWith('/endpoint/') ? `/endpoint/${REDACTED}` : pathname;
}

/** Creates a bounded log of request records. */
function createRequestLog(maxEntries = MAX_ENTRIES) {
  let entries = [];
  let seq = 0;
  let dropped = 0;

  /**
   * Records a request: `{ seq, at, method, path, query, headers, authScheme, bodyLength, getWithBody }`.
   * `authScheme` is 'Bearer' | 'Basic' | 'ApiKey' | null (the scheme only, never the credential). The URL
   * token of a REST Endpoint path is redacted too.
   */
  function record({ method, pathname, search, headers, bodyLength, getWithBody }) {
    const scheme = /^(\w+)\s/.exec(headers.authorization || '');
    const entry = {
      seq: ++seq,
      at: new Date().toISOString(),
      method,
      path: redactPath(pathname),
      query: redactQuery(search),
      headers: redactHeaders(headers),
      authScheme: scheme ? scheme[1] : headers['x-api-key'] !== undefined ? 'ApiKey' : null,
      bodyLength,
      getWithBody,
    };
    entries.push(entry);
    if (entries.length > maxEntries) {
      entries.shift();
      dropped += 1;
    }
    return entry;
  }

  function list({ path, method } = {}) {
    return entries.filter((e) => (!path || e.path === path) && (!method || e.method === method.toUpperCase()));
  }

  function clear() {
    entries = [];
    dropped = 0;
  }

  return { record, list, clear, dropped: () => dropped };
}

module.exports = { createRequestLog };
