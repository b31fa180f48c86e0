'use strict';
// Rate limiters per route: a sliding window of `limit` requests per `windowMs`; excess requests get 429.

const { compileRoute } = require('./faults');

function createRateLimits() {
  let limiters = [];

  /** Adds or replaces the limiter for `route` (same selector syntax as fault scripts). Throws on bad input. */
  function set(route, limit, windowMs) {
    const matcher = compileRoute(route);
    if (!(Number.isInteger(limit) && limit >= 0)) throw new Error('limit must be an integer >= 0');
    if (!(Number.isInteger(windowMs) && windowMs >= 1)) throw new Error('windowMs must be an integer >= 1');
    const limiter = { route: matcher.route, matches: matcher.matches, limit, windowMs, hits: [], rejected: 0 };
    limiters = limiters.filter((l) => l.route !== limiter.route).concat(limiter);
    return describe(limiter);
  }

  /**
   * Counts a request against the first matching limiter. Returns null when allowed, else
   * `{ retryAfterSeconds }` (at least 1: when the oldest request in the window leaves it).
   */
  function check(method, path, now = Date.now()) {
    const limiter = limiters.find((l) => l.matches(method, path));
    if (!limiter) return null;
    limiter.hits = limiter.hits.filter((at) => at > now - limiter.windowMs);
    if (limiter.hits.length < limiter.limit) {
      limiter.hits.push(now);
      return null;
    }
    limiter.rejected += 1;
    const freeAt = limiter.hits.length ? limiter.hits[0] + limiter.windowMs : now + limiter.windowMs;
    return { retryAfterSeconds: Math.max(1, Math.ceil((freeAt - now) / 1000)) };
  }

  function clear(route) {
    const before = limiters.length;
    limiters = route === undefined ? [] : limiters.filter((l) => l.route !== String(route).trim());
    return before - limiters.length;
  }

  function describe(l) {
    return { route: l.route, limit: l.limit, windowMs: l.windowMs, inWindow: l.hits.length, rejected: l.rejected };
  }

  return { set, check, clear, list: () => limiters.map(describe) };
}

module.exports = { createRateLimits };
