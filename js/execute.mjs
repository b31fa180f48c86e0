// `CircuitBreaker.prototype.execute`, written in JavaScript so that the waiting stays in JS: a
// guarded call crosses into wasm three times (`__admit`, `__permit`, `__settle`: plain numbers and
// booleans; the permit names the breaker state the call was admitted in, so an outcome settled in
// another state never counts as a probe) and allocates no wasm-bindgen closure or promise. The
// breaker logic itself stays in Rust.
// (`.then` rather than `async`/`await`: measurably cheaper per call, see bench/.)

import { executeShared, fleetOf } from './fleet.mjs';

/** Adds `execute(fn)` to the wasm-bindgen `CircuitBreaker` class. */
export function installExecute(CircuitBreaker) {
  Object.defineProperty(CircuitBreaker.prototype, 'execute', {
    configurable: true,
    writable: true,
    value: function execute(fn) {
      if (typeof fn !== 'function') {
        return Promise.reject(new TypeError('CircuitBreaker.execute needs a function'));
      }
      // A breaker with a `store` shares its state (./fleet.mjs); looked up once per instance.
      let fleet = this.__fleetIo;
      if (fleet === undefined) fleet = this.__fleetIo = fleetOf(this);
      if (fleet !== false) return executeShared(this, fleet, fn);
      const started = this.__admit();
      if (started !== started) return Promise.reject(this.__refusal()); // NaN: refused
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
