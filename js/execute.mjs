// `CircuitBreaker.prototype.execute`, written in JavaScript so that the waiting stays in JS: a
// guarded call crosses into wasm three times (`__admit`, `__permit`, `__settle`: plain numbers and
// booleans; the permit names the breaker state the call was admitted in, so an outcome settled in
// another state never counts as a probe) and allocates no wasm-bindgen closure or promise. The
// breaker logic itself stays in Rust.
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

/** Adds `execute(fn, { captureStack }?)` to the wasm-bindgen `CircuitBreaker` class. */
export function installExecute(CircuitBreaker) {
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
        return executeShared(this, fleet, fn, (ms) => refusal(ms, captureStack));
      }
      const started = this.__admit();
      if (started !== started) {
        // NaN: refused
        return Promise.reject(refusal(this.__refusedForMs(), options != null && options.captureStack === true));
      }
      const permit = this.__permit();
      let result;
      try {
        result = fn();
      } catch (error) {
        this.__settle(started, false, permit);
        return Promise.reject(error);
      }
      return Promise.resolve(result).then(
        (value) => {
          this.__settle(started, true, permit);
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
