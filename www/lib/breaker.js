// Reads one endpoint's circuit breaker (state, history, stats) out of a TimeoutManager. The manager's
// snapshot() is JSON-safe; we look the endpoint up in it rather than reaching into internals.
import { normState } from './charts.js';

function findEndpoint(node, id, depth = 0) {
  if (!node || typeof node !== 'object' || depth > 4) return null;
  if (Array.isArray(node)) {
    const hit = node.find((item) => item && (item.endpointId === id || item.id === id));
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

/**
 * The breaker of `endpointId`: `{ state, history, stats }` (history entries as in API.md), or a state
 * taken from the last call's `circuit` when the snapshot does not name the endpoint.
 * @param {any} manager a TimeoutManager
 * @param {string} endpointId
 * @param {{ circuit?: unknown }} [lastCall]
 * @returns {{ state: string, history: any[], stats: Record<string, unknown> }}
 */
export function endpointBreaker(manager, endpointId, lastCall) {
  let breaker = null;
  try {
    breaker = findBreaker(findEndpoint(manager.snapshot(), endpointId));
  } catch {
    breaker = null;
  }
  const fallbackState = lastCall && (typeof lastCall.circuit === 'string' ? lastCall.circuit : lastCall.circuit?.state);
  const history = Array.isArray(breaker?.history) ? breaker.history : [];
  const state = normState(breaker?.state ?? history.at(-1)?.to ?? fallbackState ?? 'closed');
  return { state, history, stats: breaker?.stats || {} };
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
