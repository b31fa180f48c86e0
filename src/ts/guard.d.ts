/** Circuit breaker state. */
export type CircuitState = 'closed' | 'open' | 'half_open';

/** Options of a circuit breaker (all optional; defaults and ranges in docs/API.md). */
export interface CircuitBreakerOptions {
  failureThreshold?: number;
  resetTimeoutMs?: number;
  halfOpenMaxCalls?: number;
  successThreshold?: number;
  failureRateThreshold?: number;
  slidingWindowSize?: number;
  minimumCalls?: number;
  slowCallMs?: number;
  openBackoffMultiplier?: number;
  maxResetTimeoutMs?: number;
  halfOpenTimeoutMs?: number;
  /** Clock in ms since the epoch (default `Date.now`). */
  now?: () => number;
  /**
   * Shared state (`createRedisStore` from `cognigy-guard/redis`): every breaker with the same
   * store, prefix and `name` is one breaker for `execute` (docs/API.md "Shared state").
   */
  store?: SharedStore;
  /** The name the breaker is shared under (required with `store`, 1 to 200 characters). */
  name?: string;
  /** With `store`: how long a closed record with no failure is trusted without reading it (default 1000, at most 10000). */
  leaseMs?: number;
}

/** A store of shared state (`createRedisStore` from `cognigy-guard/redis`). */
export interface SharedStore {
  /** The prefix of every key the store writes. */
  readonly keyPrefix: string;
  /** Failed or timed-out store operations so far, and whether the latest one worked. */
  status(): { errors: number; available: boolean };
  /** Closes the connection the store opened (a given `client` stays open). */
  close(): Promise<void>;
}

/** `execute` is defined in JavaScript (js/execute.mjs) and merged into the class. */
export interface CircuitBreaker {
  /**
   * Runs `fn()` under the breaker: rejects `GuardError(CIRCUIT_OPEN)` without calling it when
   * refused; otherwise records its success (with its latency) or failure and settles like it.
   * The refusal carries no stack frames unless `options.captureStack` is true (capturing them
   * costs more than the rest of the refusal).
   */
  execute<T>(fn: () => T | PromiseLike<T>, options?: ExecuteOptions): Promise<Awaited<T>>;
}

/** Options of `CircuitBreaker.execute`. */
export interface ExecuteOptions {
  /** Capture a stack trace in the `GuardError(CIRCUIT_OPEN)` of a refusal (default false). */
  captureStack?: boolean;
}

/** The answer of `tryAcquire()`. */
export interface Admission {
  allowed: boolean;
  state: CircuitState;
  /** When refused: ms until a call may be admitted again (0 when allowed). */
  retryAfterMs: number;
  /**
   * When allowed: the call's permit, to pass to `recordSuccess`, `recordFailure` or `release`, so
   * that a call admitted in one state period and settled in another never counts as a probe.
   */
  permit?: number;
}

/** Why a breaker changed state. */
export type TransitionReason =
  | 'failure_threshold' | 'failure_rate' | 'slow_calls' | 'reset_timeout_elapsed' | 'probe_failed'
  | 'probe_expired' | 'success_threshold' | 'forced_open' | 'reset';

/** One state transition. */
export interface BreakerTransition {
  at: string;
  atMs: number;
  from: CircuitState;
  to: CircuitState;
  reason: TransitionReason;
  failureCount: number;
  /** On a transition to closed: ms since the outage began; `null` otherwise. */
  recoveryLatencyMs: number | null;
}

/** Counters of a breaker. */
export interface CircuitBreakerStats {
  state: CircuitState;
  calls: number;
  successes: number;
  failures: number;
  rejections: number;
  consecutiveFailures: number;
  slowCalls: number;
  expiredProbes: number;
  opens: number;
  recoveries: number;
  lastRecoveryLatencyMs: number | null;
  meanRecoveryLatencyMs: number | null;
  maxRecoveryLatencyMs: number | null;
}

/** A versioned breaker snapshot (opaque apart from `v` and `state`). */
export interface CircuitBreakerSnapshot {
  v: 1;
  state: CircuitState;
  [field: string]: Json;
}

/** `{ apiKey }` (X-API-Key) or OAuth2 client credentials. */
export type GuardAuth =
  | { apiKey: string }
  | { clientId: string; clientSecret: string; scopes?: string[]; tokenUrl?: string };

/** Options of a TimeoutManager. */
export interface TimeoutManagerOptions {
  /** Wire profile (default `'cognigy-v2'`). */
  api?: 'cognigy-v2' | 'seed-v1';
  baseUrl: string;
  auth?: GuardAuth;
  /** Dashboard base URL; `syncMetrics()` posts to `{webhookUrl}/metrics/timeout-sync`. */
  webhookUrl?: string;
  /** Extra headers for the dashboard (e.g. its own `Authorization`); Cognigy credentials are never sent there. */
  webhookHeaders?: { [name: string]: string };
  /** Options of every endpoint's breaker. */
  breaker?: Omit<CircuitBreakerOptions, 'now' | 'store' | 'name' | 'leaseMs'>;
  /** Default 300000. */
  cacheTtlMs?: number;
  /** Default 1000. */
  cacheMaxEntries?: number;
  /** Bound of a whole call, retries included (default 20000). */
  deadlineMs?: number;
  /** A `fetch` replacement (default: `globalThis.fetch`, looked up per request). */
  fetch?: FetchFunction;
  now?: () => number;
  /** Called with each audit record; a throwing sink is ignored. */
  onAudit?: (record: AuditRecord) => void;
  /** A `snapshot()` to restore. */
  state?: ManagerSnapshot;
  /** Allow http:// to non-loopback hosts (default false). */
  allowInsecureHttp?: boolean;
  /** Shared state (`createRedisStore` from `cognigy-guard/redis`): endpoint breakers and the cache shared by a fleet. */
  store?: SharedStore;
}

/** The result of `configureTimeout`. */
export interface ConfigureResult {
  endpointId: string;
  config: TimeoutConfig;
  warnings: Issue[];
  /** The platform's answer (`seed-v1`), `null` on `cognigy-v2`. */
  remote: Json;
}

/** A fallback template: an object or a string holding one. */
export type FallbackTemplate = { [key: string]: Json } | string;

/** What `call` sends. A URL starting with `/` is resolved against `baseUrl`; Cognigy credentials are attached only to URLs under `baseUrl`. */
export interface CallRequest {
  url: string;
  /** GET (default), POST, PUT, DELETE, PATCH. */
  method?: string;
  headers?: { [name: string]: string };
  /** JSON body (a string is sent as is); not allowed with GET. */
  body?: Json;
  /** Per-attempt timeout instead of the policy's `maxWaitTimeMs`. */
  timeoutMs?: number;
  /** Template for this call instead of the policy's. */
  fallbackTemplate?: FallbackTemplate;
  /** Key of this request's last-known-good answer; default: method + absolute URL for GET
   * (other methods are not cached without it). */
  cacheKey?: string;
}

/** Why the live call of a degraded answer failed. */
export interface CallError {
  /** A `GuardErrorCode`: `TIMEOUT`, `CIRCUIT_OPEN`, `HTTP`, `NETWORK`, ... */
  code: string;
  message: string;
  /** The upstream status, when it answered. */
  status?: number;
}

/** A live answer of a guarded call. */
export interface LiveCallResult {
  data: Json;
  /** The upstream status. */
  status: number;
  source: 'live';
  degraded: false;
  circuit: CircuitState;
  attempts: number;
  latencyMs: number;
  /** Whether it came slower than the policy's `slaThresholdMs`. */
  slaBreached: boolean;
  error?: undefined;
}

/** A degraded answer: the last good answer (`cache`) or the fallback template (`fallback`). */
export interface DegradedCallResult {
  data: Json;
  status: null;
  source: 'cache' | 'fallback';
  degraded: true;
  circuit: CircuitState;
  attempts: number;
  latencyMs: number;
  slaBreached: false;
  /** Why the live call failed. */
  error: CallError;
}

/** The result of a guarded call (`degraded` tells which). */
export type CallResult = LiveCallResult | DegradedCallResult;

/** The async methods are defined in JavaScript (js/manager.mjs, run by the one driver) and merged into the class. */
export interface TimeoutManager {
  /**
   * A guarded call: `{ data, status, source, degraded, circuit, attempts, latencyMs,
   * slaBreached, error? }`. Never rejects for an upstream failure (the endpoint's template is
   * the last resort); rejects `GuardError(CONFIG)` for an unknown endpoint or a bad request.
   */
  call(endpointId: string, request: CallRequest): Promise<CallResult>;
  /**
   * Seed parity: `POST {baseUrl}/api/v1/externalServices/{id}/invoke` through the same guarded
   * machinery (`seed-v1` only), with an optional fallback template for this call.
   */
  invokeExternalService(endpointId: string, fallbackTemplate?: FallbackTemplate): Promise<CallResult>;
}

/** A degraded answer that was served. */
export interface Notification {
  endpointId: string;
  action: 'cache_served' | 'fallback_injected';
  source: 'cache' | 'fallback';
  reason: string;
  timestamp: string;
}

/** The result of `syncMetrics()`. */
export interface SyncResult {
  delivered: number;
  pending: number;
  dropped: number;
  ok: boolean;
  status: number | null;
  error?: CallError;
}

/** Metrics of one endpoint. */
export interface EndpointMetrics {
  state: CircuitState;
  calls: number;
  successes: number;
  failures: number;
  timeouts: number;
  rejections: number;
  fallbacks: number;
  cacheHits: number;
  slaBreaches: number;
  opens: number;
  latency: { count: number; sumMs: number; p50: number | null; p95: number | null; p99: number | null; max: number | null };
  recoveryLatency: { recoveries: number; last: number | null; mean: number | null; max: number | null };
}

/** The result of `metrics()`. */
export interface ManagerMetrics {
  endpoints: { [endpointId: string]: EndpointMetrics };
  outbox: { pending: number; dropped: number };
  notifications: { pending: number; dropped: number };
  /** With a `store`: its operations that failed or timed out. */
  storeErrors?: number;
}

/** One hash-chained audit record. */
export interface AuditRecord {
  seq: number;
  eventType: string;
  timestamp: string;
  details: Json;
  prevHash: string;
  hash: string;
}

/** `{ seq, hash }` of the last audit record (`auditHead()`, or a snapshot's `audit`). */
export interface AuditHead {
  seq: number;
  hash: string;
}

/** The result of `verifyAuditLog`. */
export interface AuditVerification {
  ok: boolean;
  brokenAt?: number;
  index?: number;
  reason?: string;
}

/** A versioned TimeoutManager snapshot. */
export interface ManagerSnapshot {
  v: 1;
  [part: string]: Json;
}

/**
 * The environment's `AbortSignal` type when it declares one (the DOM lib or @types/node), else the
 * members the package uses (the runtime check is `instanceof AbortSignal`).
 */
export type AbortSignalType = typeof globalThis extends { AbortSignal: { prototype: infer S } } ? S : {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void): void;
  removeEventListener(type: 'abort', listener: () => void): void;
};

/** What the package passes to `fetch`. */
export interface FetchInit {
  method: string;
  headers: { [name: string]: string };
  body?: string;
  signal: AbortSignalType;
}

/** What the package reads from a `fetch` response. */
export interface FetchResponse {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  text(): Promise<string>;
}

/** A `fetch` replacement; the global `fetch` fits. */
export type FetchFunction = (url: string, init: FetchInit) => Promise<FetchResponse>;
