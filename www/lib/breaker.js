// Reads one endpoint's circuit breaker (state, history, stats) out of a TimeoutManager. The manager's
// snapshot() is JSON-safe; we look the endpoint up in it rather than reaching into internals.
import { normState } from './charts.js';

function findEndpoint(node, id, depth = 0) {
  if (!node || typeof node !== 'object' || depth > 4) return null;
  if (Array.isArray(node)) {
    const hit = node.find((item) => item && [item.endpointId, item.id, item.policy?.endpointId].includes(id));
    if (hit) return hit;
    for (const item of node) {
      const found = findEndpoint(item, id, depth + 1);
      if (found) return found;
    }
    return null;
  }
  if (Object.prototype.hasOwnProperty.call(node, id) && node[id] && typeof node[id] === 'object') return node[id];
  for (const value of Object.values(node)) {
    const found = findEndpoint(value, id, depth + 1);
    if (found) return found;
  }
  return null;
}

function findBreaker(entry) {
  if (!entry || typeof entry !== 'object') return null;
  for (const key of ['breaker', 'circuit', 'circuitBreaker']) {
    if (entry[key] && typeof entry[key] === 'object') return entry[key];
  }
  return 'state' in entry ? entry : null;
}

function managerHistory(manager, endpointId, breaker) {
  if (Array.isArray(breaker?.history)) return breaker.history;
  for (const name of ['breakerHistory', 'history']) {
    if (typeof manager[name] !== 'function') continue;
    try {
      const history = manager[name](endpointId);
      if (Array.isArray(history)) return history;
    } catch {
      // not this shape
    }
  }
  return null;
}

/**
 * Records the breaker states a page sees (polling), as history entries `{ atMs, from, to,
 * recoveryLatencyMs }`: the timeline's source when the manager exposes no history of its own.
 * @returns {{ observe(state: string, atMs: number): void, history: any[] }}
 */
export function createObserver() {
  const history = [];
  let last = 'closed';
  let openedAt = null;
  return {
    history,
    observe(state, atMs) {
      if (state === last || state === 'unknown') return;
      if (state === 'open' && openedAt === null) openedAt = atMs;
      const recoveryLatencyMs = state === 'closed' && openedAt !== null ? atMs - openedAt : null;
      if (state === 'closed') openedAt = null;
      history.push({ at: new Date(atMs).toISOString(), atMs, from: last, to: state, reason: 'observed', recoveryLatencyMs });
      last = state;
    },
  };
}

/**
 * The breaker of `endpointId`: `{ state, history, stats }`. The state comes from the manager's snapshot
 * (or the last call's `circuit`); the history from the manager when it has one, else from `observer`.
 * @param {any} manager a TimeoutManager
 * @param {string} endpointId
 * @param {{ lastCall?: { circuit?: unknown }, observer?: ReturnType<typeof createObserver> }} [extra]
 * @returns {{ state: string, history: any[], stats: Record<string, unknown> }}
 */
export function endpointBreaker(manager, endpointId, { lastCall, observer } = {}) {
  let breaker = null;
  try {
    breaker = findBreaker(findEndpoint(manager.snapshot(), endpointId));
  } catch {
    breaker = null;
  }
  const fallbackState = lastCall && (typeof lastCall.circuit === 'string' ? lastCall.circuit : lastCall.circuit?.state);
  const own = managerHistory(manager, endpointId, breaker);
  const state = normState(breaker?.state ?? own?.at(-1)?.to ?? fallbackState ?? 'closed');
  if (observer) observer.observe(state, Date.now());
  const stats = { ...(breaker?.counters || {}), ...(breaker?.stats || {}), consecutiveFailures: breaker?.consecutiveFailures };
  return { state, history: own || observer?.history || [], stats };
}

/**
 * The latest recovery latency (open → closed) in ms from a breaker history, or null.
 * @param {Array<{ recoveryLatencyMs?: number | null }>} history
 * @returns {number | null}
 */
export function lastRecoveryMs(history) {
  const entry = [...history].reverse().find((e) => typeof e.recoveryLatencyMs === 'number');
  return entry ? entry.recoveryLatencyMs : null;
}
