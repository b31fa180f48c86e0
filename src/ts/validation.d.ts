/** One problem found in an input. */
export interface Issue {
  /** Where: e.g. `testCases[12].outcome.allowedLatencyMs`; `""` for the root. */
  path: string;
  /** Stable code, e.g. `OUT_OF_RANGE`, `REQUIRED`, `BUDGET_EXCEEDED`. */
  code: string;
  message: string;
}

/** The result of a validation: never thrown, always returned. */
export type Validation<T> =
  | { ok: true; value: T; warnings: Issue[] }
  | { ok: false; errors: Issue[]; warnings: Issue[] };

/** Options of the validation functions. */
export interface ValidateOptions {
  /** Return the normalised value (default true); `false` answers only the verdict, about twice as fast. */
  value?: boolean;
}

/** A validation's answer without its value (`{ value: false }`). */
export type Verdict =
  | { ok: true; warnings: Issue[] }
  | { ok: false; errors: Issue[]; warnings: Issue[] };

/** Any JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** A TimeoutConfig as users write it (camelCase; the seed's snake_case names are accepted too). */
export interface TimeoutConfigInput {
  endpointId?: string;
  maxWaitTimeMs?: number;
  slaThresholdMs?: number;
  /** A JSON object, or a string holding one (the seed's form). */
  fallbackTemplate?: { [key: string]: Json } | string;
  retryAttempts?: number;
  backoffMs?: number;
  [alias: string]: unknown;
}

/** A validated TimeoutConfig. */
export interface TimeoutConfig {
  endpointId: string;
  maxWaitTimeMs: number;
  slaThresholdMs: number;
  fallbackTemplate: { [key: string]: Json };
  retryAttempts: number;
  backoffMs: number;
}

/** The expected outcome of a test case. */
export interface Outcome {
  expectedIntent?: string;
  expectedEntities?: string[];
  expectedResponseContains?: string;
  allowedLatencyMs: number;
}

/** One test case. */
export interface TestCase {
  inputText: string;
  contextVariables: { [key: string]: Json };
  outcome: Outcome;
}

/** A validated TestExecutionPayload. */
export interface TestExecution {
  suiteId: string;
  testCases: TestCase[];
  executionTimeoutSeconds: number;
}

/** The seed's `PUT .../externalServices/{id}/configuration` body. */
export interface SeedTimeoutPayload {
  endpointId: string;
  timeoutConfiguration: { maxWaitTimeMs: number; retryAttempts: number; backoffMs: number };
  fallbackConfiguration: { template: string; routeTo: 'notification_queue' };
  slaConfiguration: { thresholdMs: number; alertEnabled: boolean };
}

/** Error codes of `GuardError`. */
export type GuardErrorCode =
  | 'VALIDATION' | 'CONFIG' | 'AUTH' | 'RATE_LIMITED' | 'HTTP' | 'NETWORK' | 'TIMEOUT'
  | 'DEADLINE' | 'CIRCUIT_OPEN' | 'BAD_RESPONSE' | 'CANCELLED';
