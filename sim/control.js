'use strict';
// The /__sim/* control routes: request log, deliveries, endpoint sessions, fault scripts, rate limiters,
// token expiry, reset.
// They need no credentials; the server only answers them to loopback peers.

const { sendJson, sendError, parseJsonBody, isPlainObject } = require('./http');
const endpoint = require('./endpoint');

function badRequest(ctx, message) {
  sendError(ctx.res, ctx.pathname, 400, { code: 'bad_request', message });
}

/** Parses a JSON object body; answers 400 and returns undefined otherwise. */
function objectBody(ctx) {
  const parsed = parseJsonBody(ctx.body);
  if (parsed.ok && isPlainObject(parsed.value)) return parsed.value;
  badRequest(ctx, parsed.ok ? 'body must be a JSON object' : parsed.message);
  return undefined;
}

/** Runs `change()`; a thrown Error (invalid input) becomes a 400 answer. */
function applyChange(ctx, status, change) {
  let result;
  try {
    result = change();
  } catch (err) {
    return badRequest(ctx, err.message);
  }
  sendJson(ctx.res, status, result);
}

/** Runs `action()` (which cannot fail) and answers 200 with `answer`. */
function answerAfter(ctx, action, answer) {
  action();
  sendJson(ctx.res, 200, answer);
}

const optionalRoute = (ctx) => ctx.query.get('route') ?? undefined;

const ROUTES = [
  ['GET', '/__sim/health', (ctx) => sendJson(ctx.res, 200, { ok: true })],
  [
    'GET',
    '/__sim/requests',
    (ctx) => {
      const requests = ctx.sim.requestLog.list({ path: ctx.query.get('path'), method: ctx.query.get('method') });
      sendJson(ctx.res, 200, { requests, count: requests.length, dropped: ctx.sim.requestLog.dropped() });
    },
  ],
  ['DELETE', '/__sim/requests', (ctx) => answerAfter(ctx, () => ctx.sim.requestLog.clear(), { cleared: true })],
  ['GET', '/__sim/deliveries', (ctx) => sendJson(ctx.res, 200, ctx.sim.deliveries.summary(ctx.query.get('path')))],
  ['DELETE', '/__sim/deliveries', (ctx) => answerAfter(ctx, () => ctx.sim.deliveries.clear(), { cleared: true })],
  ['GET', '/__sim/faults', (ctx) => sendJson(ctx.res, 200, { scripts: ctx.sim.faults.list() })],
  [
    'POST',
    '/__sim/faults',
    (ctx) => {
      const body = objectBody(ctx);
      if (body) applyChange(ctx, 201, () => ({ script: ctx.sim.faults.set(body.route, body.faults, { repeat: body.repeat ?? false }) }));
    },
  ],
  ['DELETE', '/__sim/faults', (ctx) => applyChange(ctx, 200, () => ({ removed: ctx.sim.faults.clear(optionalRoute(ctx)) }))],
  ['GET', '/__sim/rate-limit', (ctx) => sendJson(ctx.res, 200, { limiters: ctx.sim.rateLimits.list() })],
  [
    'POST',
    '/__sim/rate-limit',
    (ctx) => {
      const body = objectBody(ctx);
      if (body) applyChange(ctx, 201, () => ({ limiter: ctx.sim.rateLimits.set(body.route, body.limit, body.windowMs) }));
    },
  ],
  ['DELETE', '/__sim/rate-limit', (ctx) => applyChange(ctx, 200, () => ({ removed: ctx.sim.rateLimits.clear(optionalRoute(ctx)) }))],
  [
    'GET',
    '/__sim/endpoint',
    (ctx) => sendJson(ctx.res, 200, endpoint.describe(ctx.sim, { sessionId: ctx.query.get('sessionId'), userId: ctx.query.get('userId') })),
  ],
  ['DELETE', '/__sim/endpoint', (ctx) => answerAfter(ctx, () => endpoint.clear(ctx.sim), { cleared: true })],
  ['POST', '/__sim/tokens/expire', (ctx) => answerAfter(ctx, () => ctx.sim.auth.expireAllTokens(), { expired: true })],
  ['POST', '/__sim/reset', (ctx) => answerAfter(ctx, () => ctx.sim.reset(), { reset: true })],
];

/** Answers a /__sim/* request. */
function handleControl(ctx) {
  const sameMethod = ROUTES.find(([method, path]) => method === ctx.method && path === ctx.pathname);
  if (sameMethod) return sameMethod[2](ctx);
  const allowed = ROUTES.filter(([, path]) => path === ctx.pathname).map(([method]) => method);
  if (allowed.length) {
    return sendError(ctx.res, ctx.pathname, 405, { code: 'method_not_allowed', message: `use ${allowed.join(', ')}`, headers: { Allow: allowed.join(', ') } });
  }
  sendError(ctx.res, ctx.pathname, 404, { code: 'not_found', message: `no control route ${ctx.pathname}` });
}

module.exports = { handleControl };
