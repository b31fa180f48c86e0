// Reads one endpoint's circuit breaker out of a TimeoutManager: the live state and counters come from
// `metrics()`, the state history from the audit log's `circuit_state_change` records (each carries the
// transition as docs/API.md describes it:
// `{ at, from, to, reason, failureCount, recoveryLatencyMs }`).
import { normState } from './charts.js';

/**
 * The breaker of `endpointId`: `{ state, history, metrics }`.
 * @param {any} manager a TimeoutManager
 * @param {string} endpointId
 * @returns {{ state: string, history: Array<{ at: string, atMs: number, from: string, to: string, reason: string, recoveryLatencyMs: number | null }>, metrics: Record<string, any> }}
 */
export function endpointBreaker(manager, endpointId) {
  const metrics = manager.metrics().endpoints?.[endpointId] || {};
  const history = manager.auditLog()
    .filter((r) => r.eventType === 'circuit_state_change' && r.details?.endpointId === endpointId)
    .map((r) => ({ ...r.details, atMs: Date.parse(r.details.at) }));
  return { state: normState(metrics.state ?? 'closed'), history, metrics };
}
