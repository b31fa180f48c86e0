// The classes and functions every entry exports. scripts/build.mjs puts this file after the option
// and result types of src/ts/*.d.ts into pkg/types/index.d.ts, the declarations of every entry.
// Kept by hand so that no wasm-bindgen internal (initSync, InitOutput, start, the `__` methods)
// and nothing beyond the default `lib` (no DOM, no @types/node, no esnext `Symbol.dispose`) is public.

/** What every failure throws or rejects with. `name` is `'GuardError'`. */
export declare class GuardError extends Error {
  constructor(code: GuardErrorCode, message: string, details?: GuardErrorDetails);
  readonly name: 'GuardError';
  code: GuardErrorCode;
}
/** The optional fields, set only where they apply. */
export interface GuardError extends GuardErrorDetails {}

/** The optional fields of a `GuardError`. */
export interface GuardErrorDetails {
  /** HTTP status, where one applies. */
  status?: number;
  /** The wait the server asked for before retrying, in ms. */
  retryAfterMs?: number;
  /** Attempts made. */
  attempts?: number;
  /** The guarded endpoint. */
  endpointId?: string;
  /** Validation issues (`VALIDATION`). */
  errors?: Issue[];
  /** The RFC 7807 problem body the server returned. */
  problem?: { [key: string]: Json };
}

/** A circuit breaker for any async work. */
export declare class CircuitBreaker {
  /** A closed breaker. Throws `GuardError(CONFIG)` for invalid options. */
  constructor(options?: CircuitBreakerOptions);
  /** Rebuilds a breaker from `snapshot()` output with (possibly new) options. */
  static fromSnapshot(snapshot: CircuitBreakerSnapshot, options?: CircuitBreakerOptions): CircuitBreaker;
  /** `'closed' | 'open' | 'half_open'`, with due timers applied. */
  readonly state: CircuitState;
  /** Asks to make one call: `{ allowed, state, retryAfterMs, permit? }` (`permit` when allowed). */
  tryAcquire(): Admission;
  /**
   * Reports a successful call that took `latencyMs`, admitted with `permit` (from `tryAcquire`).
   * Without a permit the call is taken as the current period's (half-open: the oldest probe's).
   * Throws `GuardError(CONFIG)` for a `permit` that is not a whole number.
   */
  recordSuccess(latencyMs?: number | null, permit?: number | null): void;
  /** Reports a failed call admitted with `permit` (see `recordSuccess`). */
  recordFailure(permit?: number | null): void;
  /** Returns the unused `permit` (without one: the oldest probe's slot, when half-open). */
  release(permit?: number | null): void;
  /** Opens the breaker now. */
  forceOpen(): void;
  /** Closes the breaker now and forgets failures. */
  reset(): void;
  /** The recorded transitions, oldest first. */
  history(): BreakerTransition[];
  /** Counters and recovery latencies. */
  stats(): CircuitBreakerStats;
  /** A versioned JSON-safe snapshot (restore with `CircuitBreaker.fromSnapshot`). */
  snapshot(): CircuitBreakerSnapshot;
  /** Releases the WebAssembly memory of this breaker at once (otherwise when it is garbage-collected). */
  free(): void;
}

/**
 * Guarded external calls: per-endpoint timeout policies, circuit breakers, retries, cache and
 * fallback templates, metrics for a dashboard, and a hash-chained audit log.
 */
export declare class TimeoutManager {
  /** Validates the options; throws `GuardError(CONFIG | AUTH)` for bad ones (no request is made). */
  constructor(options: TimeoutManagerOptions);
  /**
   * Validates `config` and registers the endpoint's policy; with `seed-v1` also `PUT`s it
   * (429 retried per `Retry-After`, 3 attempts at most, within `deadlineMs`).
   */
  configureTimeout(config: TimeoutConfigInput | TimeoutConfig): Promise<ConfigureResult>;
  /** Removes and returns the queued notifications about degraded answers, oldest first. */
  flushNotifications(): Notification[];
  /**
   * Delivers the pending metric events to `{webhookUrl}/metrics/timeout-sync` (with
   * `Idempotency-Key`); events leave only on a 2xx. Never rejects for a dashboard failure.
   */
  syncMetrics(): Promise<SyncResult>;
  /** Per-endpoint metrics: `{ endpoints: { [id]: EndpointMetrics }, outbox, notifications }`. */
  metrics(): ManagerMetrics;
  /** The metrics in Prometheus text exposition format. */
  prometheus(): string;
  /** The breaker transitions of one endpoint, oldest first; `GuardError(CONFIG)` for an unknown endpoint. */
  history(endpointId: string): BreakerTransition[];
  /** The hash-chained audit records kept in memory, oldest first. */
  auditLog(): AuditRecord[];
  /** A versioned JSON-safe snapshot (no secrets) to pass as `state` to a new `TimeoutManager`. */
  snapshot(): ManagerSnapshot;
  /** Refuses further calls (they reject `GuardError(CANCELLED)`). */
  close(): void;
  /** Releases the WebAssembly memory of this manager at once (otherwise when it is garbage-collected). */
  free(): void;
}

/** Runs bot test suites: seed-v1 executions (`run`) and cognigy-v2 playbooks (`runPlaybook`). */
export declare class TestSuiteRunner {
  /** Creates a runner; throws `GuardError(CONFIG)` for bad options. */
  constructor(options: TestSuiteRunnerOptions);
  /** The API profile in use. */
  readonly api: 'cognigy-v2' | 'seed-v1';
  /**
   * Validates `payload` (never submits an invalid one), submits it, waits, aggregates, sends
   * the CI webhook and writes the audit record (`seed-v1`).
   */
  run(payload: TestExecutionInput, options?: RunOptions): Promise<SuiteReport>;
  /**
   * Schedules a playbook, waits for its run, reads the flow's intents for coverage, then
   * aggregates, notifies and audits like `run` (`cognigy-v2`). Aborting `signal` cancels the
   * platform task and rejects with `CANCELLED`.
   */
  runPlaybook(playbook: PlaybookSpec, options?: RunOptions): Promise<SuiteReport>;
  /**
   * Runs the validated seed `payload` against a REST Endpoint, case by case (a fresh `sessionId`
   * each, at most `concurrency` at once), with NLU scores for expected intents; the report adds
   * `nlu` and `flaky`. Aborting `signal` stops every request and rejects with `CANCELLED`.
   */
  runEndpoint(payload: TestExecutionInput, options: EndpointRunOptions): Promise<SuiteReport>;
  /**
   * Schedules a Cognigy Simulator batch of a scenario (`cognigy-v2`), polls it until it ends and
   * reports each run as a case (passed when it met its success criteria).
   */
  runSimulation(simulation: SimulationSpec, options?: RunOptions): Promise<SuiteReport>;
  /** The tenant's playbooks (`GET /new/v2.0/playbooks`, every page, following `nextCursor`), as the API answers them (`cognigy-v2`; needs `auth`). */
  listPlaybooks(options?: ListOptions): Promise<PlaybookListItem[]>;
  /** The Simulator scenarios of a project (`GET /testing/simulations`, every page, following `pagination.next`), as the API answers them (`cognigy-v2`; needs `auth`). */
  listSimulations(projectId: string, options?: ListOptions): Promise<SimulationListItem[]>;
  /** Validates and submits `payload`; resolves `{ executionId }` (`seed-v1`). */
  submit(payload: TestExecutionInput): Promise<SubmittedExecution>;
  /** Polls execution `id` until it is `completed`, `failed` or `timeout` (`seed-v1`). */
  waitForCompletion(id: string, options?: WaitOptions): Promise<ExecutionStatusResult>;
  /** Reads the raw results of execution `id` (`seed-v1`). */
  fetchResults(id: string): Promise<SeedResults>;
  /** Releases the WebAssembly memory of this runner at once (otherwise when it is garbage-collected). */
  free(): void;
}

/**
 * A validation function: never throws; answers the normalised value by default, only the verdict
 * with `{ value: false }`.
 */
export interface Validator<In, T> {
  (input: In, options?: { value?: true }): Validation<T>;
  (input: In, options: { value: false }): Verdict;
  (input: In, options: ValidateOptions): Validation<T> | Verdict;
}

/** Validates a TimeoutConfig given as any JS value. */
export declare const validateTimeoutConfig: Validator<unknown, TimeoutConfig>;
/** Validates a TimeoutConfig given as JSON text or its UTF-8 bytes. */
export declare const validateTimeoutConfigJson: Validator<string | Uint8Array, TimeoutConfig>;
/** Validates a TestExecutionPayload given as any JS value. */
export declare const validateTestExecution: Validator<unknown, TestExecution>;
/** Validates a TestExecutionPayload given as JSON text or its UTF-8 bytes. */
export declare const validateTestExecutionJson: Validator<string | Uint8Array, TestExecution>;
/** The seed's wire payload for a TimeoutConfig; throws `GuardError(VALIDATION)` with every issue in `errors`. */
export declare function buildTimeoutPayload(config: TimeoutConfigInput | TimeoutConfig): SeedTimeoutPayload;
/**
 * Aggregates raw results (seed-v1 `{ test_results }` or a playbook run `{ stepResults }`), as an
 * object, its JSON text or the text's UTF-8 bytes, into a SuiteReport. Pure. `cases: false` leaves
 * `cases` empty.
 */
export declare function aggregateResults(raw: unknown, options?: AggregateResultsOptions): SuiteReport;
/**
 * Merges the reports of an endpoint run made in chunks (each the `runEndpoint` report of a slice of
 * consecutive cases, in order, with its `cases`, or a compact copy), as objects or their JSON text,
 * into the one report of the run: counts, gate, coverage, latency, `nlu` and `flaky` over every
 * case, cases numbered across the chunks. The gate fails when a chunk's status is not `completed`.
 * Pure; throws `GuardError(CONFIG)` for no chunks or a chunk without its cases.
 */
export declare function aggregateEndpointChunks(chunks: (SuiteReport | EndpointChunk)[] | string, options?: AggregateResultsOptions): SuiteReport;
/** Compares a SuiteReport with a baseline (objects or JSON text): regressions, fixes and deltas. Pure. */
export declare function compareReports(current: SuiteReport | string, baseline: SuiteReport | string): ReportComparison;
/** Renders a SuiteReport as JUnit XML. */
export declare function toJUnitXml(report: SuiteReport): string;
/** Checks a chain of audit records: `{ ok, brokenAt?, index?, reason? }`. */
export declare function verifyAuditLog(records: AuditRecord[]): AuditVerification;
/** The package version. */
export declare function version(): string;
/** Bytes of WebAssembly linear memory held now (it grows in 64 KiB pages, never shrinks). */
export declare function wasmMemoryBytes(): number;
