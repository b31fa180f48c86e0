'use strict';
// Webhook receivers (dashboard metrics sync, CI webhook) and the demo external services for guarded calls.

const bot = require('./bot');
const { sendJson, sendError, parseJsonBody, redactHeaders } = require('./http');

const MAX_DELIVERIES = 10000;

/** Paths that record deliveries. */
const RECEIVER_PATHS = ['/metrics/timeout-sync', '/ci/webhook'];

/** Per-simulator record of webhook deliveries (bounded; oldest dropped). */
function createDeliveries(maxEntries = MAX_DELIVERIES) {
  let entries = [];

  function record({ method, pathname, headers, body }) {
    const parsed = parseJsonBody(body);
    const entry = {
      at: new Date().toISOString(),
      method,
      path: pathname,
      headers: redactHeaders(headers),
      body: parsed.ok ? (parsed.value ?? null) : body.toString('utf8'),
      idempotencyKey: headers['idempotency-key'] ?? null,
    };
    const duplicate = entry.idempotencyKey !== null && entries.some((e) => e.path === pathname && e.idempotencyKey === entry.idempotencyKey);
    entries.push(entry);
    if (entries.length > maxEntries) entries.shift();
    return { entry, duplicate };
  }

  /**
   * Deliveries (optionally for one path) with dedupe information: `{ deliveries, count,
   * distinctIdempotencyKeys, duplicates, withoutIdempotencyKey }`; duplicates = keyed deliveries whose key was
   * seen before.
   */
  function summary(path) {
    const deliveries = entries.filter((e) => !path || e.path === path);
    const keyed = deliveries.filter((e) => e.idempotencyKey !== null);
    const distinct = new Set(keyed.map((e) => `${e.path}\n${e.idempotencyKey}`)).size;
    return {
      deliveries,
      count: deliveries.length,
      distinctIdempotencyKeys: distinct,
      duplicates: keyed.length - distinct,
      withoutIdempotencyKey: deliveries.length - keyed.length,
    };
  }

  return {
    record,
    summary,
    clear: () => {
      entries = [];
    },
  };
}

/** POST /metrics/timeout-sync and POST /ci/webhook: record, answer 200 `{ received, duplicate }`. */
function receive(ctx) {
  const { duplicate } = ctx.sim.deliveries.record(ctx);
  sendJson(ctx.res, 200, { received: true, duplicate });
}

const CONDITIONS = ['sunny', 'cloudy', 'rainy', 'windy', 'snowy', 'foggy'];

/** GET /ext/weather?city=..: deterministic weather for a city. */
function weather(ctx) {
  const city = (ctx.query.get('city') || '').trim();
  if (!city) return sendError(ctx.res, ctx.pathname, 400, { code: 'missing_city', message: 'query parameter city is required' });
  const h = bot.hash(city.toLowerCase());
  sendJson(ctx.res, 200, {
    city,
    temperatureC: -5 + (h % 36),
    condition: CONDITIONS[h % CONDITIONS.length],
    humidityPercent: 30 + ((h >>> 8) % 60),
    windKph: (h >>> 16) % 50,
    source: 'cognigy-sim',
  });
}

const QUOTES = [
  { text: 'Simplicity is prerequisite for reliability.', author: 'Edsger W. Dijkstra' },
  { text: 'Everything fails, all the time.', author: 'Werner Vogels' },
  { text: 'Hope is not a strategy.', author: 'Traditional SRE saying' },
  { text: 'A distributed system is one in which the failure of a computer you did not know existed can render your own computer unusable.', author: 'Leslie Lamport' },
  { text: 'Make it work, make it right, make it fast.', author: 'Kent Beck' },
];

/** GET /ext/quote: the next quote; `seq` counts calls so a cached answer is distinguishable from a live one. */
function quote(ctx) {
  const seq = ++ctx.sim.ext.quotes;
  sendJson(ctx.res, 200, { seq, ...QUOTES[(seq - 1) % QUOTES.length] });
}

/** POST /ext/echo: echoes the request (secret headers redacted). */
function echo(ctx) {
  const parsed = parseJsonBody(ctx.body);
  sendJson(ctx.res, 200, {
    method: ctx.method,
    path: ctx.pathname,
    query: Object.fromEntries(ctx.query),
    headers: redactHeaders(ctx.headers),
    body: parsed.ok ? (parsed.value ?? null) : ctx.body.toString('utf8'),
  });
}

const ROUTES = [
  ...RECEIVER_PATHS.map((path) => ['POST', new RegExp(`^${path.replace(/[/.-]/g, '\\$&')}$`), receive]),
  ['GET', /^\/ext\/weather$/, weather],
  ['GET', /^\/ext\/quote$/, quote],
  ['POST', /^\/ext\/echo$/, echo],
];

module.exports = { ROUTES, RECEIVER_PATHS, createDeliveries };
