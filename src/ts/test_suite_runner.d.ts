/** A test execution payload as users write it (camelCase; the seed's snake_case names are accepted). */
export type TestExecutionInput = TestExecution | { [key: string]: unknown };

/** Options of `new TestSuiteRunner(...)`. */
export interface TestSuiteRunnerOptions {
  /** Wire dialect: the real platform (default) or the seed document's paths. */
  api?: 'cognigy-v2' | 'seed-v1';
  /** API base URL; `http://` only on loopback unless `allowInsecureHttp`. */
  baseUrl: string;
  /**
   * Credentials for the platform API. Needed by every method that makes a platform request (`run`,
   * `runPlaybook`, `runSimulation`, `submit`, `waitForCompletion`, `fetchResults`, and `runEndpoint`
   * with `nlu`); without it they throw `GuardError(CONFIG)` before sending anything. A `runEndpoint`
   * without `nlu` sends only REST Endpoint messages (the URL token authorizes them) and needs none.
   * OAuth scopes default to `test:execute test:read webhook:write` with seed-v1.
   */
  auth?: { apiKey: string } | { clientId: string; clientSecret: string; scopes?: string[]; tokenUrl?: string };
  /** First poll interval (default 2000 ms); grows ×1.5 per poll. */
  pollIntervalMs?: number;
  /** Longest poll interval (default 15000 ms). */
  maxPollIntervalMs?: number;
  /** Overall deadline of a run; default executionTimeoutSeconds + 120 s (seed-v1), 1120 s (playbooks). */
  deadlineMs?: number;
  /** A `fetch` replacement. */
  fetch?: FetchFunction;
  /** A clock replacement (epoch ms). */
  now?: () => number;
  /** Receives the audit record of every finished run. */
  onAudit?: (record: SuiteAuditRecord) => void;
  allowInsecureHttp?: boolean;
  /** Runs beyond this many wait in a queue (default 10, Cognigy's limit of concurrent playbook runs). */
  maxConcurrentRuns?: number;
}

/** A progress event. */
export interface ProgressEvent {
  phase: 'submitted' | 'polling' | 'results' | 'done';
  polls: number;
  /** The platform's status (`queued`, `running`, `active`, `completed`, `done`, ...). */
  status: string;
  elapsedMs: number;
  completed?: number;
  total?: number;
}

/** Options of `listPlaybooks` and `listSimulations`. */
export interface ListOptions {
  /** Aborting it stops the read and rejects `CANCELLED`. */
  signal?: AbortSignalType;
}

/** A playbook as `GET /new/v2.0/playbooks` lists it (the members `run-playbook` needs; others kept). */
export interface PlaybookListItem {
  _id: string;
  name?: string;
  flowId?: string;
  localeId?: string;
  entrypoint?: string;
  stepCount?: number;
  [key: string]: unknown;
}

/** A Simulator scenario as `GET /testing/simulations` lists it (the members `runSimulation` needs; others kept). */
export interface SimulationListItem {
  referenceId: string;
  name?: string;
  mission?: string;
  flowReferenceId?: string;
  [key: string]: unknown;
}

/** Options of `waitForCompletion`. */
export interface WaitOptions {
  onProgress?: (event: ProgressEvent) => void;
  /** Aborting it cancels the run (a playbook task is cancelled on the platform) and rejects `CANCELLED`. */
  signal?: AbortSignalType;
}

/** Options of aggregation. */
export interface AggregateOptionsInput {
  /** Pass rate the gate requires (default 0.95). */
  passThreshold?: number;
  /** The intents the bot knows (default: the expected ones; the flow's intents for playbooks). */
  knownIntents?: string[];
  knownEntities?: string[];
  /** Intent coverage the audit record's coverageDelta is measured against (default 0.80). */
  baselineIntentCoverage?: number;
}

/** Options of `aggregateResults`. */
export interface AggregateResultsOptions extends AggregateOptionsInput {
  /** List every case in `cases` (default true); `false` leaves `cases` empty, which saves copying them to JS. */
  cases?: boolean;
}

/** Options of `run` and `runPlaybook`. */
export interface RunOptions extends WaitOptions, AggregateOptionsInput {
  /** CI webhook: POSTed `{ execution_id, status, pass_rate, coverage, timestamp }`, up to 3 attempts. */
  webhookUrl?: string;
  /** An earlier SuiteReport (or its JSON text): the report then carries `comparison`. */
  baseline?: SuiteReport | string;
  /** With `baseline`: any regression fails the gate (default false). */
  failOnRegression?: boolean;
}

/** The Cognigy Simulator scenario to run (`runSimulation`). */
export interface SimulationSpec {
  /** The scenario's `referenceId`. */
  simulationReferenceId: string;
  /** The project (every Simulator request names it). */
  projectId: string;
  /** The flow the runs talk to (`runConfig.flowReferenceId`). */
  flowReferenceId: string;
  /** The locale (`runConfig.localeReferenceId`). */
  localeReferenceId: string;
  /** The endpoint reference (`runConfig.entrypoint`). */
  entrypoint?: string;
  /** Runs of the batch, 1..=10 (default 1). */
  numberOfRuns?: number;
  runName?: string;
}

/** Where `runEndpoint` reads NLU scores (`POST {baseUrl}/new/v2.0/projects/{projectId}/nlu/scores`). */
export interface EndpointNluOptions {
  projectId: string;
  flowReferenceId: string;
  localeReferenceId: string;
  /** Below this top score the prediction is `none` (0..=1, default 0). */
  minScore?: number;
}

/** A case of `runEndpoint` finished (its `onProgress` event). */
export interface EndpointCaseEvent {
  phase: 'case';
  index: number;
  status: 'passed' | 'failed' | 'unverified' | 'errored';
  /** 1 for the first run of the case, more for its reruns (`retryFailed`). */
  attempt: number;
  /** Cases run at least once so far. */
  completed: number;
  total: number;
  elapsedMs: number;
}

/** Options of `runEndpoint`. */
export interface EndpointRunOptions extends Omit<RunOptions, 'onProgress'> {
  /** The REST Endpoint URL (its token is a secret: it never appears whole in an error, report or log). */
  endpointUrl: string;
  /** The `userId` of every message (default `cognigy-guard`). */
  userId?: string;
  /** Cases in flight at once (1..=32, default 4). */
  concurrency?: number;
  /** NLU scores for `expectedIntent`; a case that expects an intent without it is `CONFIG`. */
  nlu?: EndpointNluOptions;
  /** Dot-separated path of the entity names in the answer's `data` (default `slots`). */
  entitiesPath?: string;
  /** Rerun rounds of failed cases (0..=5, default 0); a case that then passes is listed in `flaky`. */
  retryFailed?: number;
  onProgress?: (event: EndpointCaseEvent) => void;
}

/** A case whose outcome changed between a baseline and now. */
export interface ChangedCase {
  inputText: string;
  index: number;
  baselineStatus: string;
  status: string;
  reasons: string[];
}

/** `compareReports(current, baseline)` and a report's `comparison`. */
export interface ReportComparison {
  /** Passed in the baseline, failed now (matched by input text). */
  regressions: ChangedCase[];
  /** Failed in the baseline, passed now. */
  fixed: ChangedCase[];
  passRateDelta: number;
  coverageDelta: number;
  /** `null` unless both reports have `nlu`. */
  macroF1Delta: number | null;
  matched: number;
  unmatched: number;
}

/** The NLU report of an endpoint run. */
export interface NluReport {
  /** Cases scored (those that expect an intent). */
  total: number;
  accuracy: number;
  macroF1: number;
  perIntent: { intent: string; precision: number; recall: number; f1: number; support: number }[];
  /** Rows: expected intent, columns: predicted (`none`: below `minScore`). */
  confusion: { labels: string[]; matrix: number[][] };
}

/** A case that failed and then passed in a rerun. */
export interface FlakyCase {
  index: number;
  inputText: string;
  attempts: number;
  /** Why its first attempt failed. */
  reasons: string[];
}

/**
 * One chunk of an endpoint run for `aggregateEndpointChunks`: its `runEndpoint` report, or a compact
 * copy (only these members; `nlu: true` in place of the NLU report when the chunk ran with `nlu`).
 */
export interface EndpointChunk {
  executionId?: string;
  suiteId?: string;
  /** Not `completed` (e.g. `timeout`): the merged gate fails. */
  status?: string;
  /** When given, `cases` must list this many. */
  total?: number;
  /** Every case of the chunk, numbered from 0 (members left out take their defaults). */
  cases: Partial<CaseResult>[];
  flaky?: FlakyCase[];
  nlu?: NluReport | boolean | null;
}

/** The playbook to run (cognigy-v2). */
export interface PlaybookSpec {
  playbookId: string;
  entrypoint: string;
  flowId: string;
  localeId: string;
  /** The playbook's name, when known: the report's `suiteId` (else `playbookId`), JUnit's suite name. */
  name?: string;
}

/** `submit`'s answer. */
export interface SubmittedExecution {
  executionId: string;
  status: 'queued';
}

/** `waitForCompletion`'s answer. */
export interface ExecutionStatusResult {
  executionId: string;
  status: 'completed' | 'failed' | 'timeout';
  progress?: { completed: number; total: number };
  polls: number;
}

/** Raw seed-v1 results (`GET /api/v1/executions/{id}/results`). */
export interface SeedResults {
  execution_id?: string;
  status?: string;
  test_results: Json[];
  [key: string]: Json | undefined;
}

/** How a suite exercised one intent or entity. */
export interface NameStats {
  name: string;
  cases: number;
  passed: number;
  failed: number;
  known: boolean;
}

/** One case of a report. */
export interface CaseResult {
  index: number;
  inputText: string;
  status: 'passed' | 'failed' | 'unverified' | 'errored';
  reasons: string[];
  matchedIntent: string | null;
  expectedIntent: string | null;
  intentVerified: boolean;
  entitiesExpected: string[];
  entitiesExtracted: string[];
  latencyMs: number | null;
  allowedLatencyMs: number | null;
}

/** The audit record of a run. */
export interface SuiteAuditRecord {
  auditId: string;
  executionId: string;
  submissionTime: string;
  executionLatencySeconds: number;
  passRate: number;
  coverageAnalysis: { intentCoverage: number; entityCoverage: number };
  governanceStatus: 'compliant' | 'non_compliant';
  mlopsMetrics: { failureRate: number; unverifiedRate: number; coverageDelta: number; baselineIntentCoverage: number };
}

/** The result of a suite run. A case with no assertions is `unverified`, never `passed`. */
export interface SuiteReport {
  executionId?: string;
  /** The suite's stable name, the same on every run: seed-v1 the payload's (or the results') `suite_id`; playbook its `name` when given, else its id. JUnit names the suite and every classname by it. */
  suiteId?: string;
  /** seed-v1: completed | failed | timeout; cognigy-v2: done | error | cancelled (a run that did not complete fails the gate). */
  status?: string;
  total: number;
  passed: number;
  failed: number;
  unverified: number;
  /** Submitted cases that never ran (the run ended, e.g. `timeout`, before them). */
  errored: number;
  passRate: number;
  passThreshold: number;
  gate: 'passed' | 'failed';
  /** `seedIntentCoverage`: the seed's own metric (share of cases with any matched intent), for comparison. */
  coverage: { intentCoverage: number; entityCoverage: number; seedIntentCoverage: number; intents: NameStats[]; entities: NameStats[] };
  failures: { index: number; inputText: string; reasons: string[] }[];
  latency: { p50: number | null; p95: number | null; max: number | null; overBudget: number };
  cases: CaseResult[];
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  polls?: number;
  webhook?: { delivered: boolean; attempts: number; idempotencyKey: string };
  audit?: SuiteAuditRecord;
  /** Why the platform ended the run: a playbook task's `failReason` (`error`), or the `error.message` of a seed-v1 execution's results or last status (`failed`, `timeout`). */
  failReason?: string;
  /** Endpoint runs with `nlu`. */
  nlu?: NluReport;
  /** Endpoint runs: cases that passed only in a rerun. */
  flaky?: FlakyCase[];
  /** With the `baseline` option. */
  comparison?: ReportComparison;
}

