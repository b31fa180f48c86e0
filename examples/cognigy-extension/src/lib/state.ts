// The TimeoutManager snapshot that survives between executions. Cognigy runs every node execution
// in a fresh process, so the breakers and the last-known-good cache live in the conversation's
// context (api.addToContext) and are handed back as `state` to the next execution's manager.
import type { ManagerSnapshot } from 'cognigy-guard/inline';
import { jsonBytes } from './limits';

/** Default size budget of the saved snapshot (JSON bytes): well under the 62 KB api.* limit. */
export const STATE_BUDGET_BYTES = 24_000;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Obj = { [key: string]: Json };

const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);

/** A value read from the context that looks like a snapshot of ours (else undefined). */
export function restorable(value: unknown): ManagerSnapshot | undefined {
  if (!isObj(value) || value.v !== 1 || !Array.isArray(value.endpoints)) return undefined;
  // Cognigy hands back a plain copy; a deep copy keeps the library from seeing shared objects.
  return JSON.parse(JSON.stringify(value)) as ManagerSnapshot;
}

/**
 * Shrinks a snapshot for storage, in this order, until it fits `budget`:
 * 1. every endpoint's `fallbackTemplate` becomes `{}` (each node configures its endpoint again
 *    before calling, so the template comes from the node's config, not from the state);
 * 2. the metrics outbox goes (this extension has no dashboard to deliver it to);
 * 3. cache entries go, other endpoints' first, then the largest;
 * 4. the audit chain head goes.
 * Breakers are never dropped: they are what must survive.
 */
export function compactSnapshot(snapshot: ManagerSnapshot, keepEndpoint: string, budget = STATE_BUDGET_BYTES): { state: ManagerSnapshot; bytes: number; trimmed: string[] } {
  const state = JSON.parse(JSON.stringify(snapshot)) as Obj;
  const trimmed: string[] = [];
  if (Array.isArray(state.endpoints)) {
    for (const endpoint of state.endpoints) {
      if (isObj(endpoint) && isObj(endpoint.policy)) endpoint.policy.fallbackTemplate = {};
    }
  }
  if ('outbox' in state) {
    delete state.outbox;
    trimmed.push('outbox');
  }
  let bytes = jsonBytes(state);
  const cache = isObj(state.cache) && Array.isArray(state.cache.entries) ? state.cache.entries : null;
  if (bytes > budget && cache) {
    const order = cache
      .map((entry, index) => ({ index, own: isObj(entry) && entry.endpointId === keepEndpoint, size: jsonBytes(entry) }))
      .sort((a, b) => Number(a.own) - Number(b.own) || b.size - a.size);
    const drop = new Set<number>();
    for (const item of order) {
      if (bytes <= budget) break;
      drop.add(item.index);
      bytes -= item.size;
    }
    (state.cache as Obj).entries = cache.filter((_, i) => !drop.has(i));
    trimmed.push(`cache:${drop.size}`);
    bytes = jsonBytes(state);
  }
  if (bytes > budget && 'audit' in state) {
    delete state.audit;
    trimmed.push('audit');
    bytes = jsonBytes(state);
  }
  return { state: state as ManagerSnapshot, bytes, trimmed };
}
