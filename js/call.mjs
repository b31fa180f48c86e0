// `TimeoutManager.prototype.call` and `invokeExternalService`, written in JavaScript so that the
// waiting stays in JS: here `fetch`, the body read, the per-attempt `AbortController` and timer,
// and the retry sleeps; in Rust (src/timeout_manager/call.rs) every decision, through synchronous
// step calls that return a code for the next step:
//   code > 0   send an attempt with a timeout of `code` ms (`__callRequest` is the request)
//   code === 0 finished: `__callResult` returns the result or throws the GuardError
//   code < 0   sleep `-code - 1` ms, then `__callSlept`
//   NaN        credentials must be fetched first: `__callAuthorize` resolves to the next code
// A successful call crosses into wasm five times and allocates no wasm-bindgen closure or promise
// (the async Rust version cost ~70 µs a call on a loopback request; see README "Benchmarks").

/** Adds `call` and `invokeExternalService` to the wasm-bindgen `TimeoutManager` class. */
export function installCall(TimeoutManager) {
  define(TimeoutManager.prototype, 'call', function call(endpointId, request) {
    return drive(this, this.__callOpen(endpointId, request));
  });
  define(TimeoutManager.prototype, 'invokeExternalService', function invokeExternalService(endpointId, fallbackTemplate) {
    return drive(this, this.__invokeOpen(endpointId, fallbackTemplate));
  });
}

function define(proto, name, value) {
  Object.defineProperty(proto, name, { configurable: true, writable: true, value });
}

/** Runs call `handle` of `manager` to its end (it starts in a microtask, after `call` returns). */
async function drive(manager, handle) {
  try {
    await undefined;
    let code = manager.__callStart(handle);
    for (;;) {
      if (code > 0) {
        code = await attempt(manager, handle, code);
      } else if (code < 0) {
        await sleep(-code - 1);
        code = manager.__callSlept(handle);
      } else if (code === 0) {
        return manager.__callResult(handle);
      } else {
        code = await manager.__callAuthorize(handle);
      }
    }
  } catch (error) {
    manager.__callDrop(handle);
    throw error;
  }
}

/**
 * One attempt: `fetch` and the body read, aborted after `timeoutMs`; feeds the outcome to Rust and
 * returns the next code.
 */
async function attempt(manager, handle, timeoutMs) {
  const request = JSON.parse(manager.__callRequest(handle));
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  let status;
  let retryAfter;
  let contentType;
  let body;
  try {
    const init = { method: request.method, headers: headerObject(request.headers), signal: controller.signal };
    if (request.body !== undefined) init.body = request.body;
    const response = await send(manager, request.url, init);
    status = response.status;
    retryAfter = header(response, 'retry-after');
    contentType = header(response, 'content-type');
    body = await response.text();
  } catch (error) {
    return manager.__callFailed(handle, controller.signal.aborted, timedOut, error);
  } finally {
    clearTimeout(timer);
  }
  return manager.__callResponse(handle, status, retryAfter, typeof body === 'string' ? body : '', contentType);
}

/** `[[name, value], ...]` as the plain object `fetch` takes (a repeated name: the last wins). */
function headerObject(pairs) {
  const headers = {};
  for (const [name, value] of pairs) headers[name] = value;
  return headers;
}

/** The injected `fetch`, or `globalThis.fetch` looked up now (never written as a direct call:
 * the inline entry must not seem to fetch its wasm). */
function send(manager, url, init) {
  const custom = manager.__customFetch();
  if (custom !== undefined) return Reflect.apply(custom, undefined, [url, init]);
  const global = globalThis.fetch;
  if (typeof global !== 'function') throw new Error('fetch is not available on globalThis');
  return Reflect.apply(global, globalThis, [url, init]);
}

/** A response header, or undefined when missing or unreadable. */
function header(response, name) {
  try {
    const value = response.headers.get(name);
    return typeof value === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}

function sleep(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms);
  });
}
