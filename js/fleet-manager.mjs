// A `TimeoutManager` call with a `store` (docs/API.md "Shared state"): the I/O around the operation the
// driver runs; the decisions are the core's (core/src/breaker/shared.rs, via the `__fleet*` wasm
// calls of src/timeout_manager.rs). Before: one round trip reads the endpoint's breaker record and
// the shared cache entry of the request; the breaker adopts the record, and a half-open admission
// takes a fleet-wide probe by compare-and-set. After: the call's outcomes are applied to the record
// and written back by compare-and-set only when it changed (on conflict: applied again to the
// winner's record, at most RETRIES times); a live answer is shared when the store had no fresh copy.
// The store failing never fails a call: the operation then runs on the local state alone.

const RETRIES = 5;
const NO_PERMIT = -1;

/** Runs `store` operation `op`, reporting its result to the manager (storeErrors, audit); `null` on failure. */
async function attempt(manager, op) {
  try {
    const result = await op();
    manager.__fleetStoreResult(true, undefined);
    return result;
  } catch (error) {
    manager.__fleetStoreResult(false, String(error?.message ?? error));
    return null;
  }
}

/** Takes a fleet-wide admission on `read`: `{ read, begin }` with the record the call is based on. */
async function admit(manager, store, name, endpointId, read) {
  for (let i = 0; i < RETRIES; i += 1) {
    const begin = manager.__fleetBegin(endpointId, read.record);
    if (begin === undefined || !begin.changed) return { read, begin };
    const written = await attempt(manager, () => store.casBreaker(name, read.version, begin.record));
    if (written === null) return null;
    // The probe is taken fleet-wide; the local breaker keeps the record before it, so its own
    // admission of this call finds the slot free.
    if (written.written) return { read: { version: written.version, record: begin.record }, begin };
    read = { version: written.version, record: written.record };
  }
  return null;
}

/** Applies the call's outcomes to the record and writes it back. */
async function writeBack(manager, store, name, endpointId, read, begin) {
  const { period = NO_PERMIT, probe = NO_PERMIT, counters } = begin;
  for (let i = 0; i < RETRIES; i += 1) {
    const end = manager.__fleetEnd(endpointId, read.record, period, probe, counters);
    if (end === undefined) return;
    if (!end.changed) {
      manager.__fleetAdopt(endpointId, read.record);
      return;
    }
    const written = await attempt(manager, () => store.casBreaker(name, read.version, end.record));
    if (written === null) return;
    if (written.written) {
      manager.__fleetAdopt(endpointId, end.record);
      return;
    }
    read = { version: written.version, record: written.record };
  }
}

/** `run()` (the driven operation) of endpoint `endpointId` with the fleet's state around it. */
export async function sharedCall(manager, store, endpointId, requestKey, run) {
  const name = `endpoint:${endpointId}`;
  const read = await attempt(manager, () => store.readCall(name, endpointId, requestKey ?? ''));
  if (read === null) return run();
  if (requestKey !== undefined && read.cached !== null) manager.__fleetCache(endpointId, requestKey, read.cached);
  const admitted = await admit(manager, store, name, endpointId, read);
  if (admitted === null || admitted.begin === undefined) return run();
  let result;
  try {
    result = await run();
  } finally {
    await writeBack(manager, store, name, endpointId, admitted.read, admitted.begin);
  }
  const ttl = manager.__fleetCacheTtl();
  const stale = read.cached === null || read.cachedTtlMs < ttl / 2;
  if (requestKey !== undefined && result.source === 'live' && ttl > 0 && stale) {
    const body = manager.__fleetCached(endpointId, requestKey);
    if (body !== undefined) await attempt(manager, () => store.writeCache(endpointId, requestKey, body, ttl));
  }
  return result;
}
