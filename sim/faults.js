'use strict';
// Fault scripts: per-route sequences of misbehaviours, consumed one step per matching request.

const { STATUS_CODES } = require('node:http');
const { send, sendError } = require('./http');

/** Step keys that decide what a step does (at least one is required). */
const ACTION_KEYS = ['status', 'delayMs', 'hang', 'reset', 'malformed', 'truncated', 'pass'];
const OPTION_KEYS = ['retryAfter', 'retryAfterDate', 'times'];

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * Compiles a route selector: `"GET /ext/weather"`, `"/ext/"` (any method), `"POST /new/v2.0/*"`.
 * The path matches the request path exactly; `*` matches any run of characters; a pattern ending with
 * `/` or `*` matches as a prefix. The method may be omitted, `*` or `ANY`. The query string is ignored.
 * Throws an Error with a readable message on a bad selector.
 */
function compileRoute(route) {
  if (typeof route !== 'string' || route.trim() === '') throw new Error('route must be a non-empty string');
  const parts = route.trim().split(/\s+/);
  if (parts.length > 2) throw new Error('route must be "METHOD /path" or "/path"');
  const pattern = parts[parts.length - 1];
  let method = parts.length === 2 ? parts[0].toUpperCase() : '*';
  if (method === 'ANY') method = '*';
  if (!/^([A-Z]+|\*)$/.test(method)) throw new Error(`bad method in route: ${parts[0]}`);
  if (!pattern.startsWith('/')) throw new Error('route path must start with /');
  const prefix = pattern.endsWith('*') || pattern.endsWith('/');
  const source = pattern.replace(/\*+$/, '').split('*').map(escapeRegex).join('.*');
  const regex = new RegExp(`^${source}${prefix ? '' : '$'}`);
  return { route: route.trim(), matches: (m, path) => (method === '*' || method === m) && regex.test(path) };
}

function isNonNegativeNumber(value) {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

/** Validates one fault step; returns a list of problems (empty when valid). */
function stepProblems(step, index) {
  const at = `faults[${index}]`;
  if (step === null || typeof step !== 'object' || Array.isArray(step)) return [`${at} must be an object`];
  const problems = [];
  const unknown = Object.keys(step).filter((k) => !ACTION_KEYS.includes(k) && !OPTION_KEYS.includes(k));
  if (unknown.length) problems.push(`${at} has unknown keys: ${unknown.join(', ')}`);
  if (!ACTION_KEYS.some((k) => step[k] !== undefined && step[k] !== false)) {
    problems.push(`${at} needs one of ${ACTION_KEYS.join(', ')}`);
  }
  if (step.status !== undefined && !(Number.isInteger(step.status) && step.status >= 400 && step.status <= 599)) {
    problems.push(`${at}.status must be an integer in 400..599`);
  }
  if (step.delayMs !== undefined && !isNonNegativeNumber(step.delayMs)) problems.push(`${at}.delayMs must be a number >= 0`);
  if (step.retryAfter !== undefined && step.retryAfter !== false && !isNonNegativeNumber(step.retryAfter)) {
    problems.push(`${at}.retryAfter must be a number of seconds >= 0, or false`);
  }
  if (step.retryAfterDate !== undefined && step.retryAfterDate !== true && !isNonNegativeNumber(step.retryAfterDate)) {
    problems.push(`${at}.retryAfterDate must be true or a number of milliseconds >= 0`);
  }
  if (step.times !== undefined && !(Number.isInteger(step.times) && step.times >= 1)) {
    problems.push(`${at}.times must be an integer >= 1`);
  }
  return problems;
}

/**
 * Per-simulator fault scripts. A script is `{ route, faults: [step...], repeat }`:
 * each matching request consumes one step (a step with `times: N` is consumed N times); when the sequence
 * is used up the script loops from its first step if `repeat` is true, otherwise requests pass through to
 * the normal answer (the script stays listed as exhausted). Setting a script for the same route string
 * replaces the previous one; the first non-exhausted matching script (in the order set) wins.
 */
function createFaults() {
  let scripts = [];
  let nextId = 1;

  /** Adds or replaces the script for `route`. Throws an Error (message lists every problem) when invalid. */
  function set(route, faults, { repeat = false } = {}) {
    const matcher = compileRoute(route);
    if (!Array.isArray(faults) || faults.length === 0) throw new Error('faults must be a non-empty array');
    const problems = faults.flatMap(stepProblems);
    if (typeof repeat !== 'boolean') problems.push('repeat must be a boolean');
    if (problems.length) throw new Error(problems.join('; '));
    const script = {
      id: nextId++,
      route: matcher.route,
      matches: matcher.matches,
      steps: faults.map((step) => ({ ...step })),
      repeat,
      index: 0,
      usedInStep: 0,
      hits: 0,
    };
    scripts = scripts.filter((s) => s.route !== script.route).concat(script);
    return describe(script);
  }

  function exhausted(script) {
    return script.index >= script.steps.length;
  }

  /** Consumes and returns the next step for a request, or null when no script applies. */
  function take(method, path) {
    const script = scripts.find((s) => !exhausted(s) && s.matches(method, path));
    if (!script) return null;
    const step = script.steps[script.index];
    script.usedInStep += 1;
    script.hits += 1;
    if (script.usedInStep >= (step.times || 1)) {
      script.index += 1;
      script.usedInStep = 0;
      if (script.repeat && exhausted(script)) script.index = 0;
    }
    return step;
  }

  /** Removes the script for `route`, or every script when `route` is omitted. Returns how many were removed. */
  function clear(route) {
    const before = scripts.length;
    scripts = route === undefined ? [] : scripts.filter((s) => s.route !== String(route).trim());
    return before - scripts.length;
  }

  function describe(script) {
    return {
      id: script.id,
      route: script.route,
      faults: script.steps,
      repeat: script.repeat,
      nextStep: exhausted(script) ? null : script.index,
      exhausted: exhausted(script),
      hits: script.hits,
    };
  }

  function list() {
    return scripts.map(describe);
  }

  return { set, take, clear, list };
}

function retryAfterHeader(step) {
  if (step.retryAfterDate !== undefined) {
    const ms = step.retryAfterDate === true ? (isNonNegativeNumber(step.retryAfter) ? step.retryAfter * 1000 : 1000) : step.retryAfterDate;
    return new Date(Date.now() + ms).toUTCString();
  }
  if (step.retryAfter === false) return null;
  if (isNonNegativeNumber(step.retryAfter)) return String(Math.ceil(step.retryAfter));
  return step.status === 429 ? '1' : null;
}

/** A JSON document cut in the middle: what a broken upstream or proxy sends. */
const MALFORMED_BODY = '{"status":"ok","data":{"items":[{"_id":"65000000000000000000","name":"trunc';

/**
 * Plays one fault step on a request. Resolves true when the step answered (or deliberately never will),
 * false when the request should get its normal answer (a pure delay, or `pass`).
 */
async function applyFault(ctx, step) {
  const { res } = ctx;
  if (step.delayMs) {
    const completed = await ctx.sim.sleep(step.delayMs);
    if (!completed) return true; // the simulator is closing
  }
  if (!res.socket || res.socket.destroyed) return true; // the client gave up meanwhile
  if (step.hang) {
    ctx.sim.hold(res.socket);
    return true;
  }
  if (step.reset) {
    const socket = res.socket;
    if (typeof socket.resetAndDestroy === 'function') socket.resetAndDestroy();
    else socket.destroy();
    return true;
  }
  if (step.malformed) {
    send(res, 200, 'application/json; charset=utf-8', MALFORMED_BODY);
    return true;
  }
  if (step.truncated) {
    const body = Buffer.from(JSON.stringify({ status: 'ok', data: { note: 'this body is cut short', padding: 'x'.repeat(256) } }));
    res.writeHead(200, { 'Content-Type': 'application/json; charset=utf-8', 'Content-Length': body.length + 512 });
    res.write(body.subarray(0, Math.floor(body.length / 2)), () => res.socket && res.socket.destroy());
    return true;
  }
  if (step.status) {
    const retryAfter = retryAfterHeader(step);
    sendError(res, ctx.pathname, step.status, {
      code: 'simulated_fault',
      message: `simulated fault: ${step.status} ${STATUS_CODES[step.status] || ''}`.trim(),
      headers: retryAfter ? { 'Retry-After': retryAfter } : {},
    });
    return true;
  }
  return false;
}

module.exports = { compileRoute, createFaults, applyFault };
