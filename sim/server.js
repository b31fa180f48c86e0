'use strict';
// The request pipeline and router: CORS, body limit, request log, control routes, faults, rate limits,
// GET-with-body refusal, the API routes of both profiles, receivers, static files.

const { handleControl } = require('./control');
const { applyFault } = require('./faults');
const { TOKEN_PATHS, sendError, isLoopback } = require('./http');
const seedV1 = require('./seed-v1');
const cognigyV2 = require('./cognigy-v2');
const receivers = require('./receivers');
const endpoint = require('./endpoint');
const testing = require('./testing');

/** Largest request body answered normally; larger ones get 413. */
const MAX_BODY_BYTES = 1024 * 1024;
/** Beyond this many bytes the request is not even drained: the connection is dropped. */
const DRAIN_LIMIT_BYTES = 16 * MAX_BODY_BYTES;

const ALLOWED_HEADERS = 'Authorization, X-API-Key, Content-Type, Idempotency-Key, Accept';
const CORS_HEADERS = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Headers': ALLOWED_HEADERS,
  'Access-Control-Expose-Headers': 'Retry-After',
};
const PREFLIGHT_HEADERS = {
  'Access-Control-Allow-Methods': 'GET, HEAD, POST, PUT, DELETE, OPTIONS',
  'Access-Control-Max-Age': '600',
};

function exactPath(path) {
  return new RegExp(`^${path.replace(/[/.]/g, '\\$&')}$`);
}

/** Every API route: `[method, path regex, handler(ctx, params)]`. */
const API_ROUTES = [
  ...TOKEN_PATHS.map((path) => ['POST', exactPath(path), (ctx) => ctx.sim.auth.handleTokenRequest(ctx)]),
  ...seedV1.ROUTES,
  ...cognigyV2.ROUTES,
  ...endpoint.ROUTES,
  ...testing.ROUTES,
  ...receivers.ROUTES,
];

/** Reads the whole body: `{ body, size, tooLarge, aborted }` (body is empty when too large). */
function readBody(req) {
  return new Promise((resolve) => {
    const chunks = [];
    let size = 0;
    const finish = (aborted) => {
      const tooLarge = size > MAX_BODY_BYTES;
      resolve({ body: tooLarge ? Buffer.alloc(0) : Buffer.concat(chunks), size, tooLarge, aborted });
    };
    req.on('data', (chunk) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else chunks.length = 0;
      if (size > DRAIN_LIMIT_BYTES) req.destroy();
    });
    req.on('end', () => finish(false));
    req.on('error', () => finish(true));
    req.on('close', () => finish(!req.complete));
  });
}

function splitUrl(url) {
  const q = url.indexOf('?');
  return q < 0 ? [url, ''] : [url.slice(0, q), url.slice(q)];
}

function decodeParams(captures) {
  try {
    return captures.map((c) => decodeURIComponent(c));
  } catch {
    return null;
  }
}

/** Runs the matching API route. Resolves true when a route path matched (405 for another method). */
function dispatch(ctx) {
  const method = ctx.method === 'HEAD' ? 'GET' : ctx.method;
  const allowed = [];
  for (const [routeMethod, regex, handler] of API_ROUTES) {
    const match = regex.exec(ctx.pathname);
    if (!match) continue;
    if (routeMethod !== method) {
      allowed.push(routeMethod);
      continue;
    }
    const params = decodeParams(match.slice(1));
    if (params === null) sendError(ctx.res, ctx.pathname, 400, { code: 'bad_path', message: 'malformed percent-encoding in path' });
    else handler(ctx, params);
    return true;
  }
  if (allowed.length === 0) return false;
  sendError(ctx.res, ctx.pathname, 405, { code: 'method_not_allowed', message: `use ${allowed.join(', ')}`, headers: { Allow: allowed.join(', ') } });
  return true;
}

async function handleRequest(sim, req, res) {
  for (const [name, value] of Object.entries(CORS_HEADERS)) res.setHeader(name, value);
  const [pathname, search] = splitUrl(req.url || '/');
  const { body, size, tooLarge, aborted } = await readBody(req);
  if (aborted || sim.closing) return;
  const { headers, method } = req;
  const ctx = { sim, req, res, method, pathname, query: new URLSearchParams(search), headers, body };
  const control = pathname.startsWith('/__sim/');
  const getWithBody =
    (method === 'GET' || method === 'HEAD') &&
    (Number(headers['content-length']) > 0 || headers['transfer-encoding'] !== undefined || size > 0);

  if (control && !isLoopback(req.socket.remoteAddress)) {
    return sendError(res, pathname, 403, { code: 'forbidden', message: 'control routes answer loopback clients only' });
  }
  if (!control) sim.requestLog.record({ method, pathname, search, headers, bodyLength: size, getWithBody });
  if (method === 'OPTIONS') {
    res.writeHead(204, PREFLIGHT_HEADERS);
    return res.end();
  }
  if (tooLarge) {
    return sendError(res, pathname, 413, {
      code: 'payload_too_large',
      message: `request body is ${size} bytes; at most ${MAX_BODY_BYTES} bytes are accepted`,
    });
  }
  if (control) return handleControl(ctx);
  if (pathname.startsWith('/endpoint/')) endpoint.trackInFlight(sim, res);

  const step = sim.faults.take(method, pathname);
  if (step && (await applyFault(ctx, step))) return;
  const limited = sim.rateLimits.check(method, pathname);
  if (limited) {
    return sendError(res, pathname, 429, {
      code: 'rate_limited',
      message: 'rate limit exceeded',
      headers: { 'Retry-After': String(limited.retryAfterSeconds) },
    });
  }
  if (getWithBody) {
    return sendError(res, pathname, 403, { code: 'get_with_body', message: 'a GET request must not carry a body' });
  }
  if (dispatch(ctx)) return;
  if (await sim.serveStatic(ctx)) return;
  sendError(res, pathname, 404, { code: 'not_found', message: `no route for ${method} ${pathname}` });
}

/** The `request` listener for a simulator: any unexpected error becomes a 500 in the path's error shape. */
function createRequestListener(sim) {
  return (req, res) => {
    handleRequest(sim, req, res).catch((err) => {
      if (!res.headersSent && !res.destroyed) {
        const [pathname] = splitUrl(req.url || '/');
        sendError(res, pathname, 500, { code: 'internal_error', message: `simulator error: ${err.message}` });
      }
    });
  };
}

module.exports = { createRequestListener, MAX_BODY_BYTES, ALLOWED_HEADERS };
