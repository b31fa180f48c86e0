// The one driver: runs every core operation (guarded call, configure, sync, token, suite runs)
// to its end. The wasm says what to do through step codes (src/ops.rs):
//   code > 0   send an exchange: `code % SEND_SPAN` is its timeout in ms, `code / SEND_SPAN`
//              (rounded down) is `2 * shape + fresh`; the exchange of a shape is read once with
//              `__opExchange(handle)` (again when `fresh` says the number is given out anew)
//   code < 0   sleep `-code - 1` ms
//   code === 0 finished: `__opResult(handle)` returns the value or throws the GuardError
// and this loop performs it: `fetch` (only through ./fetch.mjs), timers, the caller's
// AbortSignal (event 2 tells the core, which may still send a cancel request), progress events.
// The wasm is only ever called with numbers, strings and undefined, and it never calls `fetch`
// or a timer, so no JS exception can unwind through a wasm frame.

import { perform } from './fetch.mjs';
import { GuardError } from './guard-error.mjs';

const START = 0;
const WOKE = 1;
const CANCEL = 2;
/** The hooks of a call without options. */
const NO_HOOKS = Object.freeze({});
/** The factor of a send code's shape part (src/ops.rs `SEND_SPAN`). */
const SEND_SPAN = 2 ** 31;
/** Parsed exchanges kept, by shape (src/ops.rs `SHAPES_KEPT`). */
const EXCHANGES_KEPT = 32;

/** The driver over the wasm exports `{ __opAdvance, __opExchange, __opProgress, __opResult,
 * __opDrop }`. */
export function createDriver(wasm) {
  /** Token requests in flight per owner, keyed by their shape: one fetch for every caller. */
  const shared = new WeakMap();
  /** Parsed exchanges by shape (frozen: `perform` only reads them). Shapes are numbered for the
   * whole wasm instance, so one map serves every owner. */
  const parsed = new Map();
  /** Each owner's `fetch` option (`null` without one), read once: it never changes. */
  const fetchOptions = new WeakMap();

  /** The exchange operation `handle` sends as `shape`: parsed once, then reused while kept. */
  function exchangeOf(handle, shape, fresh) {
    let exchange = fresh ? undefined : parsed.get(shape);
    if (exchange === undefined) {
      exchange = JSON.parse(wasm.__opExchange(handle));
      for (const pair of exchange.headers) Object.freeze(pair);
      Object.freeze(exchange.headers);
      Object.freeze(exchange);
      if (parsed.size >= EXCHANGES_KEPT) parsed.clear();
      parsed.set(shape, exchange);
    }
    return exchange;
  }

  function performShared(owner, fetchFn, exchange, shape, timeoutMs, signal) {
    const inflight = mapOf(shared, owner);
    let promise = inflight.get(shape);
    if (promise === undefined) {
      promise = perform(fetchFn, exchange, timeoutMs, undefined).finally(() => inflight.delete(shape));
      inflight.set(shape, promise);
    }
    // Each caller waits only as long as its own timeout and signal allow.
    return waitFor(promise, timeoutMs, signal);
  }

  /**
   * Runs the operation `open()` returns the handle of, for `owner` (a TimeoutManager or
   * TestSuiteRunner), with `options.signal` and `options.onProgress`.
   */
  return async function drive(owner, open, options) {
    const { signal, onProgress } = hooks(options);
    await undefined;
    let handle;
    let fetchFn;
    try {
      handle = open();
      fetchFn = fetchOptions.get(owner);
      if (fetchFn === undefined) {
        fetchFn = owner.__fetchOption() ?? null;
        fetchOptions.set(owner, fetchFn);
      }
    } catch {
      throw new GuardError('CONFIG', 'this object was freed, or is not one of the package');
    }
    let cancelled = false;
    try {
      let code = wasm.__opAdvance(handle, START, 0);
      for (;;) {
        if (onProgress !== undefined) report(wasm.__opProgress(handle), onProgress);
        if (code === 0) break;
        if (!cancelled && signal !== undefined && signal.aborted) {
          cancelled = true;
          code = wasm.__opAdvance(handle, CANCEL, 0);
          continue;
        }
        if (code > 0) {
          const timeoutMs = code % SEND_SPAN;
          const tag = Math.floor(code / SEND_SPAN);
          const shape = Math.floor(tag / 2);
          const exchange = exchangeOf(handle, shape, tag % 2 === 1);
          const own = exchange.abortable && !cancelled ? signal : undefined;
          const outcome = exchange.shared
            ? await performShared(owner, fetchFn, exchange, shape, timeoutMs, own)
            : await perform(fetchFn, exchange, timeoutMs, own);
          if (outcome.cancelled) {
            cancelled = true;
            code = wasm.__opAdvance(handle, CANCEL, 0);
          } else if (outcome.kind === 3) {
            code = wasm.__opAdvance(handle, 3, outcome.status, outcome.retryAfter, outcome.contentType, outcome.text);
          } else {
            code = wasm.__opAdvance(handle, outcome.kind, 0, undefined, undefined, outcome.text);
          }
        } else {
          const aborted = await sleep(-code - 1, cancelled ? undefined : signal);
          if (aborted) cancelled = true;
          code = wasm.__opAdvance(handle, aborted ? CANCEL : WOKE, 0);
        }
      }
    } catch (error) {
      wasm.__opDrop(handle);
      throw new GuardError('CONFIG', `the operation broke off: ${error && error.message}`);
    }
    return wasm.__opResult(handle);
  };
}

/** The `Map` that `perOwner` holds for `owner`, made on first use. */
function mapOf(perOwner, owner) {
  let map = perOwner.get(owner);
  if (map === undefined) {
    map = new Map();
    perOwner.set(owner, map);
  }
  return map;
}

/** `{ signal, onProgress }` of an options object, checked. */
export function hooks(options) {
  if (options === undefined || options === null || typeof options !== 'object') return NO_HOOKS;
  let signal;
  let onProgress;
  try {
    signal = options.signal ?? undefined;
    onProgress = options.onProgress ?? undefined;
  } catch {
    throw new GuardError('CONFIG', 'options could not be read');
  }
  if (signal !== undefined && !isSignal(signal)) throw new GuardError('CONFIG', 'signal must be an AbortSignal');
  if (onProgress !== undefined && typeof onProgress !== 'function') {
    throw new GuardError('CONFIG', 'onProgress must be a function');
  }
  return { signal, onProgress };
}

function isSignal(value) {
  return typeof value === 'object' && typeof value.aborted === 'boolean' && typeof value.addEventListener === 'function';
}

/** Calls `onProgress` with each event of `wire` (JSON text); a throwing callback is ignored. */
function report(wire, onProgress) {
  if (wire === undefined) return;
  for (const event of JSON.parse(wire)) {
    try {
      onProgress(event);
    } catch {
      // A progress callback must not break the run.
    }
  }
}

/** Resolves after `ms`, or at once with `true` when `signal` aborts. */
export function sleep(ms, signal) {
  return new Promise((resolve) => {
    if (signal !== undefined && signal.aborted) {
      resolve(true);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      if (signal !== undefined) signal.removeEventListener('abort', onAbort);
      resolve(false);
    }, ms);
    if (signal !== undefined) signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** `promise`'s outcome, or a timeout / cancellation outcome when either comes first. */
function waitFor(promise, timeoutMs, signal) {
  return new Promise((resolve) => {
    const done = (outcome) => {
      clearTimeout(timer);
      if (signal !== undefined) signal.removeEventListener('abort', onAbort);
      resolve(outcome);
    };
    const onAbort = () => done({ cancelled: true });
    const timer = setTimeout(() => done({ kind: 11, text: '' }), timeoutMs);
    if (signal !== undefined) {
      if (signal.aborted) {
        onAbort();
        return;
      }
      signal.addEventListener('abort', onAbort, { once: true });
    }
    promise.then(done);
  });
}
