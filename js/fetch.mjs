// The only place that touches `fetch`. `perform(fetchFn, exchange, timeoutMs, signal)` never
// throws and never hangs past `timeoutMs`: whatever `fetch`, the response, its headers or its body
// do (throw, resolve to undefined, a string, a throwing getter, an endless body), the answer is a
// plain outcome for the core:
//   { kind: 3, status, retryAfter, contentType, text }   an HTTP answer
//   { kind: 11 | 12 | 13 | 14, text }                      timeout | network | too large | unusable
//   { cancelled: true }                                    `signal` fired
// Redirects: `exchange.redirect` is 'follow' (nothing secret aboard) or 'manual'; with 'manual'
// a 3xx is followed (at most 5 hops) only to a URL that starts with `exchange.within` once
// resolved (`.` and `..` removed by URL parsing); any other 3xx is handed back as it is.
// Bodies are streamed and cancelled past `exchange.maxBytes`.

const TIMEOUT = 11;
const NETWORK = 12;
const TOO_LARGE = 13;
const MALFORMED = 14;
const MAX_HOPS = 5;

/** Thrown inside `perform` only, to end it with an outcome. */
class Outcome {
  constructor(value) {
    this.value = value;
  }
}

/** One request's abort controller and its one timer. */
class Attempt {
  constructor(timeoutMs) {
    this.controller = new AbortController();
    this.timedOut = false;
    this.timer = setTimeout(expire, timeoutMs, this);
  }

  /** The outcome of a request that ended with `error` (`kind`), or by its timeout or the signal. */
  ended(kind, error) {
    if (this.controller.signal.aborted) return this.timedOut ? { kind: TIMEOUT, text: '' } : { cancelled: true };
    return { kind, text: message(error) };
  }
}

function expire(attempt) {
  attempt.timedOut = true;
  attempt.controller.abort();
}

export async function perform(fetchFn, exchange, timeoutMs, signal) {
  const attempt = new Attempt(timeoutMs);
  const { controller } = attempt;
  const watch = signal !== undefined && signal !== null;
  const onAbort = watch ? () => controller.abort() : undefined;
  if (watch) {
    if (signal.aborted) controller.abort();
    else signal.addEventListener('abort', onAbort, { once: true });
  }
  const native = typeof fetchFn !== 'function';
  try {
    let { url, method, body } = exchange;
    let headers = exchange.headers;
    for (let hop = 0; ; hop += 1) {
      if (controller.signal.aborted) return attempt.ended(NETWORK, undefined);
      const init = { method, headers: headerObject(headers), signal: controller.signal, redirect: exchange.redirect };
      if (body !== undefined) init.body = body;
      let response;
      try {
        const sent = call(fetchFn, url, init);
        // The global fetch honours the signal; an injected one may not.
        response = await (native ? sent : raceAbort(sent, controller.signal));
      } catch (error) {
        return attempt.ended(NETWORK, error);
      }
      const status = read(response, 'status');
      if (read(response, 'type') === 'opaqueredirect') {
        return { kind: NETWORK, text: 'a redirect was not followed: it would carry credentials elsewhere' };
      }
      if (!Number.isInteger(status) || status < 100 || status > 599) {
        return { kind: MALFORMED, text: `fetch resolved to ${describe(response)}, not a response with a status` };
      }
      if (exchange.redirect === 'manual' && status >= 300 && status < 400 && hop < MAX_HOPS) {
        const next = resolve(header(response, 'location'), url);
        if (next !== undefined && typeof exchange.within === 'string' && next.startsWith(exchange.within)) {
          discard(response);
          if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
            method = 'GET';
            body = undefined;
            headers = headers.filter(([name]) => name.toLowerCase() !== 'content-type');
          }
          url = next;
          continue;
        }
      }
      const text = await readBody(response, exchange.maxBytes, native ? undefined : controller.signal);
      return {
        kind: 3,
        status,
        retryAfter: header(response, 'retry-after'),
        contentType: header(response, 'content-type'),
        text,
      };
    }
  } catch (error) {
    if (error instanceof Outcome) return error.value;
    return attempt.ended(NETWORK, error);
  } finally {
    clearTimeout(attempt.timer);
    if (watch) signal.removeEventListener('abort', onAbort);
  }
}

/** The injected `fetch`, or `globalThis.fetch` looked up now (never written as a direct call:
 * the inline entry must not seem to fetch its wasm). */
function call(fetchFn, url, init) {
  const f = typeof fetchFn === 'function' ? fetchFn : globalThis.fetch;
  if (typeof f !== 'function') throw new Error('fetch is not available on globalThis');
  return Promise.resolve(Reflect.apply(f, fetchFn === f ? undefined : globalThis, [url, init]));
}

/** `promise`, or a rejection as soon as `signal` aborts (an injected fetch may ignore it). */
function raceAbort(promise, signal) {
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/**
 * The body as text, at most `maxBytes` bytes: read whole when a `content-length` within the limit
 * announces an uncompressed body (the fast native path; fetch ends the body there), streamed
 * otherwise (the stream is cancelled past the limit, counted in decoded bytes). `signal` (an injected fetch's) bounds every wait; the global
 * fetch's own signal does that itself.
 */
async function readBody(response, maxBytes, signal) {
  const declared = header(response, 'content-length');
  const length = declared === undefined ? Number.NaN : Number(declared);
  if (Number.isFinite(length) && length > maxBytes) {
    discard(response);
    throw new Outcome({ kind: TOO_LARGE, text: '' });
  }
  const stream = read(response, 'body');
  // A compressed body's content-length counts encoded bytes: only an identity body is read whole.
  const encoding = header(response, 'content-encoding');
  const identity = encoding === undefined || encoding.trim().toLowerCase() === 'identity';
  const announced = identity && Number.isFinite(length) && length >= 0;
  if (!announced && stream !== null && typeof stream === 'object' && typeof stream.getReader === 'function') {
    const reader = stream.getReader();
    const decoder = new TextDecoder();
    const parts = [];
    let total = 0;
    for (;;) {
      const chunk = reader.read();
      const { done, value } = await (signal === undefined ? chunk : raceAbort(chunk, signal));
      if (done) break;
      // ArrayBuffer.isView, not instanceof: in a vm sandbox the chunks come from another realm.
      if (!ArrayBuffer.isView(value)) throw new Outcome({ kind: MALFORMED, text: 'a body chunk is not bytes' });
      total += value.byteLength;
      if (total > maxBytes) {
        reader.cancel().catch(() => {});
        throw new Outcome({ kind: TOO_LARGE, text: '' });
      }
      parts.push(decoder.decode(value, { stream: true }));
    }
    parts.push(decoder.decode());
    return parts.join('');
  }
  if (stream === null && typeof read(response, 'text') !== 'function') return '';
  const textFn = read(response, 'text');
  if (typeof textFn !== 'function') throw new Outcome({ kind: MALFORMED, text: 'the response has no body reader' });
  const reading = Promise.resolve(Reflect.apply(textFn, response, []));
  const text = await (signal === undefined ? reading : raceAbort(reading, signal));
  if (typeof text !== 'string') throw new Outcome({ kind: MALFORMED, text: 'the body is not text' });
  // A string takes at least one byte per UTF-16 unit: longer is over the limit for sure.
  if (text.length > maxBytes) throw new Outcome({ kind: TOO_LARGE, text: '' });
  return text;
}

/** `value[key]`, or undefined when it cannot be read (a throwing getter, not an object). */
function read(value, key) {
  try {
    return value !== null && (typeof value === 'object' || typeof value === 'function') ? value[key] : undefined;
  } catch {
    return undefined;
  }
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

function discard(response) {
  try {
    const body = response.body;
    if (body && typeof body.cancel === 'function') body.cancel().catch(() => {});
  } catch {
    // nothing to release
  }
}

/** `location` resolved against `base`, or undefined. */
function resolve(location, base) {
  if (typeof location !== 'string') return undefined;
  try {
    return new URL(location, base).href;
  } catch {
    return undefined;
  }
}

/** `[[name, value], ...]` as the plain object `fetch` takes (a repeated name: the last wins). */
function headerObject(pairs) {
  const headers = {};
  for (const [name, value] of pairs) headers[name] = value;
  return headers;
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : typeof value;
}

function message(error) {
  try {
    const text = error instanceof Error ? error.message : String(error);
    const cause = error && error.cause && error.cause.message;
    return typeof cause === 'string' && cause !== '' ? `${text} (${cause})` : text;
  } catch {
    return 'fetch failed';
  }
}
