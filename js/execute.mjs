// `CircuitBreaker.prototype.execute`, written in JavaScript so that the waiting stays in JS. A
// guarded call crosses into wasm at most twice (`__admit`, `__settle`: plain numbers and
// booleans) and allocates no wasm-bindgen closure or promise. `__admit` answers the call's permit
// (it names the breaker state the call was admitted in, so an outcome settled in another state
// never counts as a probe) and writes the start instant into a slot of wasm memory read through a
// `Float64Array`. While the breaker is quiet (closed, no slow-call and no failure-rate rule) a
// call is admitted and its success left in the breaker's pending slots without a crossing (see
// `__pendingView` in src/circuit_breaker.rs): every wasm method applies them first, at the
// instant the crossings would have used. A failure always crosses. A `fn` that returns a value
// that is no object (not a thenable) is settled at once. The breaker logic itself stays in Rust.
// (`.then` rather than `async`/`await`: measurably cheaper per call, see bench/.)
// A refusal is built here, not in wasm, and without a stack trace unless `captureStack: true` is
// passed: capturing the stack was most of the cost of a rejection (README "Benchmarks").

import { executeShared, fleetOf } from './fleet.mjs';
import { GuardError } from './guard-error.mjs';

/** The `GuardError(CIRCUIT_OPEN)` of a refusal with `retryAfterMs`; frames only when `captureStack`. */
function refusal(retryAfterMs, captureStack) {
  const message = `circuit open; retry in ${retryAfterMs} ms`;
  if (captureStack) return new GuardError('CIRCUIT_OPEN', message, { retryAfterMs });
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GuardError('CIRCUIT_OPEN', message, { retryAfterMs });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

// The slots of `__pendingView()` (`Pending` in src/circuit_breaker.rs).
const QUIET = 0;
const SUCCESSES = 1;
const ADMITTED = 2;
const NEXT_PERMIT = 3;
const INSTANT = 4;
const PERMITS = 5;

/**
 * The breaker's pending slots, or `undefined` for a freed breaker (wasm-bindgen's handle
 * `__wbg_ptr` is then 0; its own crossing reports the error). Made again once detached.
 */
function pendingOf(breaker) {
  if (breaker.__wbg_ptr === 0) return undefined;
  let pending = breaker.__pending;
  if (pending === undefined || pending.length === 0) pending = breaker.__pending = breaker.__pendingView();
  return pending;
}

/**
 * Records the success of the call admitted at `started` with `permit`: left in the breaker's
 * pending slots (no crossing) while they say quiet and have room, else settled with `__settle`.
 */
function succeeded(breaker, started, permit) {
  const pending = pendingOf(breaker);
  if (pending !== undefined && pending[QUIET] === 1) {
    const count = pending[SUCCESSES];
    if (count < pending.length - PERMITS) {
      pending[PERMITS + count] = permit;
      pending[SUCCESSES] = count + 1;
      return;
    }
  }
  breaker.__settle(started, true, permit);
}

/** Adds `execute(fn, { captureStack }?)` to the wasm-bindgen `CircuitBreaker` class. */
export function installExecute(CircuitBreaker) {
  // The slot `__admit` writes the admitted call's start instant to; a view is detached (length 0)
  // once the wasm memory grows, and is then made again.
  let admitted = new Float64Array(0);
  const startedAt = () => {
    if (admitted.length === 0) admitted = CircuitBreaker.__admittedView();
    return admitted[0];
  };
  Object.defineProperty(CircuitBreaker.prototype, 'execute', {
    configurable: true,
    writable: true,
    value: function execute(fn, options) {
      if (typeof fn !== 'function') {
        return Promise.reject(new TypeError('CircuitBreaker.execute needs a function'));
      }
      // A breaker with a `store` shares its state (./fleet.mjs); looked up once per instance.
      let fleet = this.__fleetIo;
      if (fleet === undefined) fleet = this.__fleetIo = fleetOf(this);
      if (fleet !== false) {
        const captureStack = options != null && options.captureStack === true;
        return executeShared(this, fleet, fn, (ms) => refusal(ms, captureStack), startedAt);
      }
      let permit;
      let started;
      const pending = pendingOf(this);
      if (pending !== undefined && pending[QUIET] === 1) {
        // Quiet: admitted here, the wasm applies it before anything else.
        const admitted = pending[ADMITTED];
        permit = pending[NEXT_PERMIT] + admitted;
        pending[ADMITTED] = admitted + 1;
        started = pending[INSTANT];
      } else {
        permit = this.__admit();
        if (permit < 0) {
          return Promise.reject(refusal(this.__refusedForMs(), options != null && options.captureStack === true));
        }
        started = startedAt();
      }
      let result;
      try {
        result = fn();
      } catch (error) {
        this.__settle(started, false, permit);
        return Promise.reject(error);
      }
      if (result === null || (typeof result !== 'object' && typeof result !== 'function')) {
        succeeded(this, started, permit);
        return Promise.resolve(result);
      }
      return Promise.resolve(result).then(
        (value) => {
          succeeded(this, started, permit);
          return value;
        },
        (error) => {
          this.__settle(started, false, permit);
          throw error;
        },
      );
    },
  });
}
