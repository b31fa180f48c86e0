// Declarations of `cognigy-guard/redis` (js/redis.mjs).
import type { SharedStore } from './index.js';

/** Options of `createRedisStore`: exactly one of `url` and `client`. */
export interface RedisStoreOptions {
  /** `redis://` or `rediss://` URL; the store then opens (and `close()` closes) its own connection. */
  url?: string;
  /** A node-redis client (`createClient` from the `redis` package), connected or not; its owner closes it. */
  client?: unknown;
  /** Prefix of every key (default `'cognigy-guard:'`). */
  keyPrefix?: string;
  /** Bound of one store operation in ms (default 250): a slower store counts as unavailable for that call. */
  timeoutMs?: number;
  /** Called when the store becomes unavailable and when it recovers. */
  onEvent?: (event: { type: 'store_unavailable' | 'store_recovered'; at: number; message?: string }) => void;
}

/** A store on Redis for `new CircuitBreaker({ ..., store, name })`. Throws `GuardError(CONFIG)` for bad options. */
export function createRedisStore(options: RedisStoreOptions): SharedStore;
