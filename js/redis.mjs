// `cognigy-guard/redis`: the shared-state store on Redis (docs/API.md "Shared state"). Only I/O: it
// reads and compare-and-sets the versioned breaker records whose content the core decides
// (core/src/breaker/shared.rs). The `redis` npm client is an optional peer dependency, loaded on
// first use.
import { createHash } from 'node:crypto';
import { GuardError } from './guard-error.mjs';

/**
 * The compare-and-set, in one server-side script: KEYS[1] is the record's hash, ARGV[1] the
 * version read ('0': none), ARGV[2] the new record. Returns { 1, newVersion, record } when written,
 * { 0, currentVersion, currentRecord } when another process wrote first.
 */
const CAS_SCRIPT = `
local current = redis.call('HGET', KEYS[1], 'ver') or '0'
if current ~= ARGV[1] then
  return { 0, current, redis.call('HGET', KEYS[1], 'rec') or '' }
end
local nextVersion = tostring(tonumber(current) + 1)
redis.call('HSET', KEYS[1], 'ver', nextVersion, 'rec', ARGV[2])
return { 1, nextVersion, ARGV[2] }
`;

const DEFAULT_TIMEOUT_MS = 250;
/** Bound of an operation until the first connection worked (loading the client and connecting). */
const FIRST_CONNECT_MS = 2000;
const MAX_RECONNECT_DELAY_MS = 2000;

/** The request key as it appears in a key name: hashed, so no URL (or query secret) is written. */
function digest(requestKey) {
  return createHash('sha256').update(requestKey).digest('hex').slice(0, 32);
}

function configError(message) {
  return new GuardError('CONFIG', `createRedisStore: ${message}`);
}

/** Rejects after `ms` unless `promise` settles first. */
function within(promise, ms) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`store did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * A store on Redis for `new CircuitBreaker({ store, name })`.
 * @param {{ url?: string, client?: object, keyPrefix?: string, timeoutMs?: number,
 *           onEvent?: (event: { type: 'store_unavailable' | 'store_recovered', at: number, message?: string }) => void }} options
 */
export function createRedisStore(options = {}) {
  if (options === null || typeof options !== 'object') throw configError('options must be an object');
  const { url, client: given, keyPrefix = 'cognigy-guard:', timeoutMs = DEFAULT_TIMEOUT_MS, onEvent } = options;
  if ((url === undefined) === (given === undefined)) throw configError('give exactly one of `url` and `client`');
  if (url !== undefined && (typeof url !== 'string' || !/^rediss?:\/\//.test(url))) {
    throw configError('`url` must be a redis:// or rediss:// URL');
  }
  if (given !== undefined && (given === null || typeof given.evalSha !== 'function')) {
    throw configError('`client` must be a node-redis client (createClient from the `redis` package)');
  }
  if (typeof keyPrefix !== 'string' || keyPrefix.length === 0 || keyPrefix.length > 200) {
    throw configError('`keyPrefix` must be a non-empty string of at most 200 characters');
  }
  if (!Number.isInteger(timeoutMs) || timeoutMs < 1 || timeoutMs > 60000) {
    throw configError('`timeoutMs` must be a whole number of ms in [1, 60000]');
  }
  if (onEvent !== undefined && typeof onEvent !== 'function') throw configError('`onEvent` must be a function');

  let client = given ?? null;
  let connecting = null;
  let sha = null;
  let errors = 0;
  let available = true;
  let closed = false;
  let everReady = false;

  const emit = (type, message) => {
    if (!onEvent) return;
    try {
      onEvent(message === undefined ? { type, at: Date.now() } : { type, at: Date.now(), message });
    } catch {
      // An observer's error never fails a call.
    }
  };

  async function connected() {
    if (closed) throw new Error('store closed');
    if (client === null) {
      const redis = await import('redis').catch(() => {
        throw configError('the `redis` package is not installed (npm install redis)');
      });
      client = redis.createClient({
        url,
        // Fail fast while disconnected: a call never waits for Redis to come back.
        disableOfflineQueue: true,
        socket: {
          connectTimeout: Math.max(timeoutMs, 1000),
          reconnectStrategy: (retries) => Math.min(50 * 2 ** Math.min(retries, 10), MAX_RECONNECT_DELAY_MS),
        },
      });
      // Reported through the calls' own failures; an unhandled 'error' would end the process.
      client.on('error', () => {});
    }
    if (!client.isOpen) {
      connecting ??= client.connect().finally(() => {
        connecting = null;
      });
      await connecting;
    }
    if (!client.isReady) throw new Error('store not ready');
    return client;
  }

  /** Runs `command(client)` within the timeout, tracking availability. */
  async function io(command) {
    try {
      const result = await within(connected().then(command), everReady ? timeoutMs : Math.max(timeoutMs, FIRST_CONNECT_MS));
      everReady = true;
      if (!available) {
        available = true;
        emit('store_recovered');
      }
      return result;
    } catch (error) {
      if (error instanceof GuardError) throw error;
      errors += 1;
      if (available) {
        available = false;
        emit('store_unavailable', String(error?.message ?? error));
      }
      throw error;
    }
  }

  const breakerKey = (name) => `${keyPrefix}breaker:${name}`;
  const cacheKey = (endpointId, requestKey) => `${keyPrefix}cache:${endpointId}:${digest(requestKey)}`;

  async function evalCas(c, key, version, record) {
    sha ??= await c.scriptLoad(CAS_SCRIPT);
    const args = { keys: [key], arguments: [version, record] };
    try {
      return await c.evalSha(sha, args);
    } catch (error) {
      // A restarted server forgot the script: load it again once.
      if (!String(error?.message).startsWith('NOSCRIPT')) throw error;
      sha = await c.scriptLoad(CAS_SCRIPT);
      return c.evalSha(sha, args);
    }
  }

  return {
    /** The prefix of every key this store writes. */
    keyPrefix,
    /** `{ errors, available }`: failed or timed-out store operations so far, and whether the last one worked. */
    status() {
      return { errors, available };
    },
    /** The breaker record `name`: `{ version, record }` (`'0'` and `null` when none yet). One round trip. */
    async readBreaker(name) {
      const [version, record] = await io((c) => c.hmGet(breakerKey(name), ['ver', 'rec']));
      return { version: version ?? '0', record: record ?? null };
    },
    /**
     * The breaker record `name` and the shared cache entry of `endpointId`'s request `requestKey`, in
     * one round trip: `{ version, record, cached, cachedTtlMs }` (`cached`: the answer body text or
     * `null`; `cachedTtlMs`: its remaining life).
     */
    async readCall(name, endpointId, requestKey) {
      const key = cacheKey(endpointId, requestKey);
      const [[version, record], cached, ttl] = await io((c) => c.multi().hmGet(breakerKey(name), ['ver', 'rec']).get(key).pTTL(key).exec());
      return { version: version ?? '0', record: record ?? null, cached: cached ?? null, cachedTtlMs: Number(ttl) };
    },
    /** Shares the answer body text `body` of `endpointId`'s request `requestKey` for `ttlMs`. One round trip. */
    async writeCache(endpointId, requestKey, body, ttlMs) {
      await io((c) => c.set(cacheKey(endpointId, requestKey), body, { PX: Math.max(1, Math.round(ttlMs)) }));
    },
    /**
     * Writes `record` for `name` if its version is still `version`: `{ written, version, record }`,
     * with the current version and record when another process wrote first. One round trip.
     */
    async casBreaker(name, version, record) {
      const [written, current, text] = await io((c) => evalCas(c, breakerKey(name), version, record));
      return { written: Number(written) === 1, version: String(current), record: text === '' ? null : String(text) };
    },
    /** Closes the connection this store opened (a given `client` is left to its owner). */
    async close() {
      closed = true;
      if (given === undefined && client?.isOpen) await client.quit().catch(() => client.destroy());
    },
    /** The JSON form, as it appears in options JSON: no URL (it may carry a password). */
    toJSON() {
      return { store: 'redis', keyPrefix };
    },
  };
}
