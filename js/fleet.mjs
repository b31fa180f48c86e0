// `CircuitBreaker.execute` for a breaker with a `store` (docs/API.md "Shared state"): the I/O around
// the core's shared-record decisions (core/src/breaker/shared.rs, via the `__fleet*` wasm calls).
// Before a call: read the record (one round trip) and decide on it; a half-open admission takes a
// fleet-wide probe by compare-and-set. After: write back only when the record changed (a success
// while closed with no failure recorded writes nothing). A lost compare-and-set reads the winner's
// record, decides again on it and retries, at most RETRIES times. While a lease is held (the last
// record read or written was closed with no failure, at most `leaseMs` ago) successes cost no round
// trip at all. The store failing never fails a call: the breaker then decides on its own state.

/** Compare-and-set attempts per operation before it is decided locally (a refusal for an admission). */
const RETRIES = 5;
/** `__fleetApply` operation codes. */
const ACQUIRE = 0;
const SUCCESS = 1;
const FAILURE = 2;
const NO_PERMIT = -1;

/** Decides `op` on the record `read.record` (a malformed one counts as none and is overwritten). */
function decide(breaker, read, op, started, period, probe) {
  try {
    return breaker.__fleetApply(read.record, false, op, started, period, probe);
  } catch {
    return breaker.__fleetApply(null, false, op, started, period, probe);
  }
}

/** Takes `record` as the breaker's shared state and renews the lease when it is quiet. */
function adopt(breaker, fleet, version, record) {
  let quiet = false;
  try {
    quiet = breaker.__fleetAdopt(record);
  } catch {
    quiet = breaker.__fleetAdopt(null);
  }
  fleet.read = { version, record };
  fleet.leaseUntil = quiet ? Date.now() + fleet.leaseMs : 0;
}

/**
 * Applies `op` through the store: decide, write when changed, on conflict decide again on the
 * winner's record. Resolves to the decision, or to `null` when the store failed or kept
 * conflicting (the caller then decides locally).
 */
async function throughStore(breaker, fleet, read, op, started, period, probe) {
  for (let attempt = 0; attempt < RETRIES; attempt += 1) {
    const decision = decide(breaker, read, op, started, period, probe);
    if (!decision.changed) {
      adopt(breaker, fleet, read.version, read.record);
      return decision;
    }
    let written;
    try {
      written = await fleet.store.casBreaker(fleet.name, read.version, decision.record);
    } catch {
      return null;
    }
    if (written.written) {
      adopt(breaker, fleet, written.version, decision.record);
      return decision;
    }
    read = { version: written.version, record: written.record };
  }
  return null;
}

async function admit(breaker, fleet, refuse, startedAt) {
  if (Date.now() < fleet.leaseUntil) {
    const permit = breaker.__admit();
    if (permit >= 0) {
      return { started: startedAt(), period: breaker.__fleetPeriod(), probe: NO_PERMIT, leased: true, permit };
    }
  }
  let decision = null;
  try {
    const read = await fleet.store.readBreaker(fleet.name);
    decision = await throughStore(breaker, fleet, read, ACQUIRE, 0, NO_PERMIT, NO_PERMIT);
  } catch {
    decision = null;
  }
  const local = decision === null;
  if (local) {
    fleet.leaseUntil = 0;
    decision = breaker.__fleetApply(null, true, ACQUIRE, 0, NO_PERMIT, NO_PERMIT);
  }
  if (!decision.allowed) {
    breaker.__fleetCount(0, 0);
    throw refuse(breaker.__refusedForMs());
  }
  return { started: decision.at, period: decision.period, probe: decision.probe, leased: false, local };
}

async function settle(breaker, fleet, admission, ok) {
  const { started, period, probe } = admission;
  if (ok && admission.leased && Date.now() < fleet.leaseUntil) {
    breaker.__settle(started, true, admission.permit);
    return;
  }
  breaker.__fleetCount(ok ? SUCCESS : FAILURE, started);
  const op = ok ? SUCCESS : FAILURE;
  if (!ok) fleet.leaseUntil = 0;
  const decision = admission.local
    ? null
    : await throughStore(breaker, fleet, fleet.read, op, started, period, probe);
  if (decision === null) {
    fleet.leaseUntil = 0;
    breaker.__fleetApply(null, true, op, started, period, probe);
  }
}

/**
 * `execute(fn)` of a breaker with a store; `fleet` is its `__fleet()` plus the I/O state, `refuse(ms)`
 * builds the `GuardError(CIRCUIT_OPEN)` of a refusal, `startedAt()` reads the start instant of the
 * call `__admit` just admitted.
 */
export async function executeShared(breaker, fleet, fn, refuse, startedAt) {
  const admission = await admit(breaker, fleet, refuse, startedAt);
  let value;
  try {
    value = await fn();
  } catch (error) {
    await settle(breaker, fleet, admission, false);
    throw error;
  }
  await settle(breaker, fleet, admission, true);
  return value;
}

/** The I/O state of a breaker with a store (`false` without one). */
export function fleetOf(breaker) {
  let options;
  try {
    options = breaker.__fleet();
  } catch {
    // A freed breaker: its own admission reports the error.
    return false;
  }
  if (options === undefined) return false;
  return { ...options, leaseUntil: 0, read: { version: '0', record: null } };
}
