import { createNodeDescriptor, type INodeFunctionBaseParams } from '@cognigy/extension-tools';
import {
  TestSuiteRunner, aggregateEndpointChunks, aggregateResults, validateTestExecution, type SuiteReport,
} from 'cognigy-guard/inline';
import type { ApiKeyConnection, EndpointConnection, OAuthConnection } from '../connections';
import { MAX_ENDPOINT_CASES, compactChunk, endpointSecrets, fingerprint, resumable, type EndpointResume } from '../lib/endpointChunks';
import {
  EXECUTION_BUDGET_MS, LimitedApi, MAX_API_OBJECT_BYTES, SAFETY_MARGIN_MS, authFrom, errorInfo, jsonBytes,
  numberField, objectField, truncate,
} from '../lib/limits';
import type { NodeCognigy } from './guardedHttpRequest';
import { PATH_COLOR, TEXT_COLOR, childPath, takePath } from '../lib/paths';

/** The node's paths: the gate passed, the gate failed, the run still running (seed-v1, endpoint), an error. */
export const SUITE_PATHS = {
  passed: 'runTestSuiteOnPassed',
  failed: 'runTestSuiteOnFailed',
  running: 'runTestSuiteOnRunning',
  error: 'runTestSuiteOnError',
} as const;
export const HEADER_COLOR = '#4a3f8f';

/** What the node runs: a Cognigy Playbook, a seed-v1 execution, or a suite against a bot's REST Endpoint. */
export type SuiteApi = 'seed-v1' | 'cognigy-v2' | 'endpoint';

export interface RunTestSuiteConfig {
  api?: SuiteApi;
  baseUrl?: string;
  authType?: 'apiKey' | 'oauth' | 'none';
  apiKeyConnection?: ApiKeyConnection;
  oauthConnection?: OAuthConnection;
  suite?: unknown;
  /** The REST Endpoint URL: from the Connection, else from the field. */
  endpointConnection?: EndpointConnection;
  endpointUrl?: string;
  /** NLU scores for expected intents (all three, or none). */
  nluProjectId?: string;
  nluFlowReferenceId?: string;
  nluLocaleReferenceId?: string;
  /** Cases each execution runs (endpoint). */
  casesPerExecution?: number;
  /** Reruns of failed cases within an execution (endpoint). */
  retryFailed?: number;
  playbookId?: string;
  entrypoint?: string;
  flowId?: string;
  localeId?: string;
  /** Percent (0..100), as on the admin page; default 95. */
  passThreshold?: number;
  pollIntervalMs?: number;
  budgetMs?: number;
  contextKey?: string;
  allowInsecureHttp?: boolean;
}

export interface RunTestSuiteParams extends INodeFunctionBaseParams {
  config: RunTestSuiteConfig;
}

/** What the node writes under `contextKey`: the aggregate, never the per-case report. */
export interface SuiteSummary {
  api: SuiteApi;
  /**
   * `finished`: a report; `running`: the seed-v1 execution outlived this execution's budget, or an
   * endpoint suite has cases left (run the node again to collect or continue it); `error`.
   */
  state: 'finished' | 'running' | 'error';
  executionId?: string;
  suiteId?: string;
  status?: string;
  gate: 'passed' | 'failed' | 'pending';
  passRate?: number;
  passThreshold?: number;
  total?: number;
  passed?: number;
  failed?: number;
  unverified?: number;
  coverage?: { intentCoverage: number; entityCoverage: number; intents: number; entities: number };
  latency?: SuiteReport['latency'];
  polls?: number;
  durationMs?: number;
  failures?: { index: number; inputText: string; reasons: string[] }[];
  failuresOmitted?: number;
  failReason?: string;
  submittedAt?: string;
  /** Endpoint runs with NLU scores: accuracy and macro-F1 over the scored cases. */
  nlu?: { accuracy: number; macroF1: number; total: number };
  /** Endpoint runs: cases that failed and then passed in a rerun. */
  flaky?: number;
  /** Endpoint runs: cases run so far of the suite's. */
  progress?: { done: number; total: number };
  /** Endpoint runs still running: where the next execution continues (per-case results so far, compact). */
  resume?: EndpointResume;
  error?: { code: string; message: string };
  at: string;
}

const MAX_FAILURES_LISTED = 10;

export const runTestSuite = createNodeDescriptor({
  type: 'runTestSuite',
  defaultLabel: 'Run test suite',
  summary: "Runs a bot test suite (seed-v1, or against a bot's REST Endpoint) or a Cognigy Playbook and stores pass rate, coverage and gate in the context",
  fields: [
    { key: 'api', type: 'select', label: 'API', defaultValue: 'cognigy-v2', params: { options: [
      { label: 'Cognigy Playbook (cognigy-v2)', value: 'cognigy-v2' }, { label: 'Test-suite execution API (seed-v1)', value: 'seed-v1' },
      { label: "Test suite against a bot's REST Endpoint", value: 'endpoint' },
    ] } },
    { key: 'baseUrl', type: 'cognigyText', label: 'API base URL', defaultValue: 'https://api-trial.cognigy.ai', params: { required: true } },
    { key: 'authType', type: 'select', label: 'Authentication', defaultValue: 'apiKey', params: { options: [
      { label: 'API key (X-API-Key; cognigy-v2)', value: 'apiKey' }, { label: 'OAuth2 client credentials', value: 'oauth' },
      { label: 'None (REST Endpoint without NLU scores)', value: 'none' },
    ] } },
    { key: 'apiKeyConnection', type: 'connection', label: 'API key', params: { connectionType: 'cognigy-guard-api-key', required: true }, condition: { key: 'authType', value: 'apiKey' } },
    { key: 'oauthConnection', type: 'connection', label: 'OAuth2 client', params: { connectionType: 'cognigy-guard-oauth', required: true }, condition: { key: 'authType', value: 'oauth' } },
    { key: 'suite', type: 'json', label: 'Test execution payload (suite_id, test_cases, execution_timeout_seconds)', defaultValue: {}, condition: { key: 'api', value: ['seed-v1', 'endpoint'] } },
    { key: 'endpointConnection', type: 'connection', label: 'REST Endpoint URL', description: 'The Endpoint URL from the Endpoint settings in Cognigy; its last path segment is a secret token, so it is kept in a Connection', params: { connectionType: 'cognigy-guard-endpoint' }, condition: { key: 'api', value: 'endpoint' } },
    { key: 'endpointUrl', type: 'cognigyText', label: 'REST Endpoint URL (without a Connection)', description: 'Used when no Connection is chosen; never logged or stored', defaultValue: '', condition: { key: 'api', value: 'endpoint' } },
    { key: 'nluProjectId', type: 'cognigyText', label: 'NLU scores: project id (optional)', defaultValue: '', condition: { key: 'api', value: 'endpoint' } },
    { key: 'nluFlowReferenceId', type: 'cognigyText', label: 'NLU scores: flow reference id', defaultValue: '', condition: { key: 'api', value: 'endpoint' } },
    { key: 'nluLocaleReferenceId', type: 'cognigyText', label: 'NLU scores: locale reference id', defaultValue: '', condition: { key: 'api', value: 'endpoint' } },
    { key: 'casesPerExecution', type: 'number', label: 'Cases per execution', description: `Each execution runs this many cases and keeps a resume marker in the context; run the node again (the Still running path) until the suite is done. At most ${MAX_ENDPOINT_CASES} cases per suite.`, defaultValue: 10, params: { min: 1, max: 50 }, condition: { key: 'api', value: 'endpoint' } },
    { key: 'retryFailed', type: 'number', label: 'Reruns of failed cases (flaky detection)', defaultValue: 0, params: { min: 0, max: 2 }, condition: { key: 'api', value: 'endpoint' } },
    { key: 'playbookId', type: 'cognigyText', label: 'Playbook id', defaultValue: '', condition: { key: 'api', value: 'cognigy-v2' } },
    { key: 'entrypoint', type: 'cognigyText', label: 'Entrypoint (endpoint URL token)', defaultValue: '', condition: { key: 'api', value: 'cognigy-v2' } },
    { key: 'flowId', type: 'cognigyText', label: 'Flow id', defaultValue: '', condition: { key: 'api', value: 'cognigy-v2' } },
    { key: 'localeId', type: 'cognigyText', label: 'Locale id', defaultValue: '', condition: { key: 'api', value: 'cognigy-v2' } },
    { key: 'passThreshold', type: 'number', label: 'Gate at pass rate (%)', description: 'The gate passes when at least this share of the cases passed, in percent (0-100), as on the admin page. The summary keeps passRate and passThreshold as fractions (0.95), as the report does.', defaultValue: 95, params: { min: 0, max: 100 } },
    { key: 'pollIntervalMs', type: 'number', label: 'First poll interval (ms)', defaultValue: 1000, params: { min: 100, max: 5000 } },
    { key: 'budgetMs', type: 'number', label: 'Time budget of this execution (ms, at most 18500)', defaultValue: 15000, params: { min: 1000, max: 18500 } },
    { key: 'contextKey', type: 'cognigyText', label: 'Context key of the summary', defaultValue: 'testSuite', params: { required: true } },
    { key: 'allowInsecureHttp', type: 'toggle', label: 'Allow http:// to non-loopback hosts', defaultValue: false },
  ],
  sections: [
    { key: 'connection', label: 'API and credentials', defaultCollapsed: false, fields: ['api', 'baseUrl', 'authType', 'apiKeyConnection', 'oauthConnection'] },
    { key: 'what', label: 'What to run', defaultCollapsed: false, fields: ['suite', 'endpointConnection', 'endpointUrl', 'nluProjectId', 'nluFlowReferenceId', 'nluLocaleReferenceId', 'casesPerExecution', 'retryFailed', 'playbookId', 'entrypoint', 'flowId', 'localeId'] },
    { key: 'run', label: 'Gate, polling and storage', defaultCollapsed: true, fields: ['passThreshold', 'pollIntervalMs', 'budgetMs', 'contextKey', 'allowInsecureHttp'] },
  ],
  form: [
    { type: 'section', key: 'connection' },
    { type: 'section', key: 'what' },
    { type: 'section', key: 'run' },
  ],
  appearance: { color: HEADER_COLOR, textColor: TEXT_COLOR },
  dependencies: { children: [SUITE_PATHS.passed, SUITE_PATHS.failed, SUITE_PATHS.running, SUITE_PATHS.error] },
  tags: ['service'],
  function: async ({ cognigy, config, childConfigs }: RunTestSuiteParams) => {
    await runTestSuiteNode(cognigy as unknown as NodeCognigy, config, childConfigs);
  },
});

export const runTestSuitePaths = [
  childPath(SUITE_PATHS.passed, 'runTestSuite', 'Gate passed', PATH_COLOR.good),
  childPath(SUITE_PATHS.failed, 'runTestSuite', 'Gate failed', PATH_COLOR.bad),
  childPath(SUITE_PATHS.running, 'runTestSuite', 'Still running (run again to collect)', PATH_COLOR.pending),
  childPath(SUITE_PATHS.error, 'runTestSuite', 'Error', PATH_COLOR.warn),
];

/** The path of a summary: gate passed or failed (finished runs), still running, or error. */
export function suitePathOf(summary: SuiteSummary): string {
  if (summary.state === 'running') return SUITE_PATHS.running;
  if (summary.state === 'error') return SUITE_PATHS.error;
  return summary.gate === 'passed' ? SUITE_PATHS.passed : SUITE_PATHS.failed;
}

/** A percentage field: `fallback` when empty, the number when within 0..100, null otherwise. */
function percentField(value: unknown, fallback: number): number | null {
  if (value === undefined || value === null || value === '') return fallback;
  const n = typeof value === 'string' ? Number(value.trim()) : value;
  return typeof n === 'number' && Number.isFinite(n) && n >= 0 && n <= 100 ? n : null;
}

function summarize(api: SuiteApi, report: SuiteReport, extra: Partial<SuiteSummary>): SuiteSummary {
  const failures = report.failures.slice(0, MAX_FAILURES_LISTED).map((f) => ({
    index: f.index,
    inputText: truncate(f.inputText, 200),
    reasons: f.reasons.slice(0, 3).map((r) => truncate(r, 200)),
  }));
  const summary: SuiteSummary = {
    api,
    state: 'finished',
    executionId: report.executionId,
    status: report.status,
    gate: report.gate,
    passRate: report.passRate,
    passThreshold: report.passThreshold,
    total: report.total,
    passed: report.passed,
    failed: report.failed,
    unverified: report.unverified,
    coverage: {
      intentCoverage: report.coverage.intentCoverage,
      entityCoverage: report.coverage.entityCoverage,
      intents: report.coverage.intents.length,
      entities: report.coverage.entities.length,
    },
    latency: report.latency,
    ...(report.polls !== undefined ? { polls: report.polls } : {}),
    ...(report.durationMs !== undefined ? { durationMs: report.durationMs } : {}),
    failures,
    failuresOmitted: report.failures.length - failures.length,
    ...(report.failReason ? { failReason: truncate(report.failReason, 500) } : {}),
    ...(report.nlu ? { nlu: { accuracy: report.nlu.accuracy, macroF1: report.nlu.macroF1, total: report.nlu.total } } : {}),
    ...(report.flaky ? { flaky: report.flaky.length } : {}),
    ...extra,
    at: new Date().toISOString(),
  };
  if (jsonBytes(summary) > MAX_API_OBJECT_BYTES - 1000) {
    summary.failuresOmitted = report.failures.length;
    summary.failures = [];
  }
  return summary;
}

/**
 * Runs the node: writes the summary to the context, then continues at the child of its path
 * (`childConfigs`: the node's children, as Cognigy passes them).
 */
export async function runTestSuiteNode(cognigy: NodeCognigy, config: RunTestSuiteConfig, childConfigs?: RunTestSuiteParams['childConfigs']): Promise<SuiteSummary> {
  const api = new LimitedApi(cognigy.api, secretsOf(config));
  const summary = await suiteRun(cognigy, config, api);
  takePath(api, childConfigs, suitePathOf(summary));
  return summary;
}

/** What is never logged or written: the credentials and (endpoint suites) the endpoint URL and its token. */
function secretsOf(config: RunTestSuiteConfig): string[] {
  const url = config.api === 'endpoint' ? endpointUrlOf(config) : '';
  return [...authFrom(config.authType, config.apiKeyConnection, config.oauthConnection).secrets, ...(url ? endpointSecrets(url) : [])];
}

/** The REST Endpoint URL: the Connection's, else the field's (trimmed; empty when neither). */
function endpointUrlOf(config: RunTestSuiteConfig): string {
  return String(config.endpointConnection?.endpointUrl || config.endpointUrl || '').trim();
}

async function suiteRun(cognigy: NodeCognigy, config: RunTestSuiteConfig, api: LimitedApi): Promise<SuiteSummary> {
  const startedAt = Date.now();
  const apiName: SuiteApi = config.api === 'seed-v1' || config.api === 'endpoint' ? config.api : 'cognigy-v2';
  const contextKey = config.contextKey || 'testSuite';
  const endpointUrl = apiName === 'endpoint' ? endpointUrlOf(config) : '';
  const { auth, problem } = authFrom(config.authType, config.apiKeyConnection, config.oauthConnection);
  const secrets = secretsOf(config);
  const write = (summary: SuiteSummary): SuiteSummary => {
    api.addToContext(contextKey, summary);
    if (summary.state === 'finished') {
      api.log('info', `cognigy-guard suite ${summary.executionId}: ${summary.passed}/${summary.total} passed (${Math.round((summary.passRate ?? 0) * 1000) / 10} %), gate ${summary.gate}`);
    } else if (summary.state === 'running' && summary.progress) {
      api.log('info', `cognigy-guard endpoint suite ${summary.suiteId}: ${summary.progress.done}/${summary.progress.total} cases run; run the node again to continue`);
    } else if (summary.state === 'running') {
      api.log('info', `cognigy-guard suite ${summary.executionId}: still running after this execution's budget; run the node again to collect it`);
    } else {
      api.log('error', `cognigy-guard suite: ${summary.error?.code} ${summary.error?.message}`);
    }
    return summary;
  };
  const failed = (error: { code: string; message: string }, extra: Partial<SuiteSummary> = {}) =>
    write({ api: apiName, state: 'error', gate: 'failed', error, ...extra, at: new Date().toISOString() });
  if (problem) return failed({ code: 'CONFIG', message: problem });
  // An endpoint suite without NLU scores sends only REST Endpoint messages: it needs no credentials.
  if (!auth && apiName !== 'endpoint') return failed({ code: 'CONFIG', message: 'choose an API key or OAuth connection' });
  if (apiName === 'endpoint' && !endpointUrl) return failed({ code: 'CONFIG', message: 'choose a REST Endpoint connection or enter the endpoint URL' });
  // The field is in percent, like the admin page's "Gate at … % pass rate"; the runner takes a fraction.
  const percent = percentField(config.passThreshold, 95);
  if (percent === null) {
    return failed({ code: 'CONFIG', message: `passThreshold must be a percentage from 0 to 100, got ${truncate(JSON.stringify(config.passThreshold), 40)}` });
  }
  if (percent > 0 && percent < 1) {
    // 0.95 is the fraction a gate usually means: refuse it rather than gate at 0.95 % and pass nearly anything.
    return failed({ code: 'CONFIG', message: `passThreshold is a percentage (0-100): ${percent} would gate at ${percent} %; for ${Math.round(percent * 1000) / 10} % enter ${Math.round(percent * 1000) / 10}` });
  }
  const passThreshold = percent / 100;

  // Everything (polls included) ends before Cognigy's 20 s limit, with room left to write the summary.
  const budget = Math.min(
    numberField(config.budgetMs, 15000, 1000, EXECUTION_BUDGET_MS - SAFETY_MARGIN_MS),
    EXECUTION_BUDGET_MS - SAFETY_MARGIN_MS - (Date.now() - startedAt),
  );
  const pollIntervalMs = numberField(config.pollIntervalMs, 1000, 100, 5000);
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), Math.max(1, budget - 500));
  let runner: TestSuiteRunner | undefined;
  try {
    runner = new TestSuiteRunner({
      api: apiName === 'seed-v1' ? 'seed-v1' : 'cognigy-v2',
      baseUrl: String(config.baseUrl ?? '').trim() || originOf(endpointUrl),
      ...(auth ? { auth } : {}),
      pollIntervalMs,
      maxPollIntervalMs: Math.max(pollIntervalMs, 4000),
      // An endpoint slice ends at its deadline with the cases it ran (the rest `errored`), before the abort.
      deadlineMs: apiName === 'endpoint' ? Math.max(500, budget - 1000) : budget,
      allowInsecureHttp: config.allowInsecureHttp === true,
    });

    if (apiName === 'endpoint') {
      return await endpointSlice(cognigy, config, runner, { endpointUrl, passThreshold, signal: controller.signal, contextKey, write, failed });
    }

    if (apiName === 'cognigy-v2') {
      const spec = {
        playbookId: String(config.playbookId ?? '').trim(),
        entrypoint: String(config.entrypoint ?? '').trim(),
        flowId: String(config.flowId ?? '').trim(),
        localeId: String(config.localeId ?? '').trim(),
      };
      const missing = Object.entries(spec).filter(([, v]) => !v).map(([k]) => k);
      if (missing.length) return failed({ code: 'CONFIG', message: `missing ${missing.join(', ')}` });
      // Aborting at the budget cancels the platform task instead of leaving it running.
      const report = await runner.runPlaybook(spec, { passThreshold, signal: controller.signal });
      return write(summarize(apiName, report, {}));
    }

    // seed-v1: submit, or pick up the execution a previous run of this node left running.
    const payload = objectField(config.suite);
    const valid = validateTestExecution(payload);
    if (!valid.ok) {
      return failed({ code: 'VALIDATION', message: truncate(valid.errors.map((e) => `${e.path}: ${e.message}`).join('; '), 500) });
    }
    const suiteId = valid.value.suiteId;
    const previous = cognigy.context?.[contextKey] as Partial<SuiteSummary> | undefined;
    let executionId: string;
    let submittedAt: string;
    if (previous?.state === 'running' && previous.suiteId === suiteId && typeof previous.executionId === 'string') {
      executionId = previous.executionId;
      submittedAt = previous.submittedAt ?? new Date(startedAt).toISOString();
    } else {
      executionId = (await runner.submit(valid.value)).executionId;
      submittedAt = new Date().toISOString();
    }
    let polls = 0;
    try {
      const done = await runner.waitForCompletion(executionId, { signal: controller.signal, onProgress: (e) => { polls = e.polls; } });
      polls = done.polls;
    } catch (e) {
      const info = errorInfo(e, secrets);
      if (info.code === 'CANCELLED' || info.code === 'DEADLINE') {
        return write({ api: apiName, state: 'running', gate: 'pending', executionId, suiteId, submittedAt, polls, at: new Date().toISOString() });
      }
      throw e;
    }
    const report = aggregateResults(await runner.fetchResults(executionId), { passThreshold });
    return write(summarize(apiName, report, {
      suiteId, submittedAt, polls, durationMs: Date.now() - Date.parse(submittedAt),
    }));
  } catch (e) {
    const info = errorInfo(e, secrets);
    if (info.code === 'CANCELLED' && controller.signal.aborted) {
      info.message = apiName === 'endpoint'
        ? `the ${budget} ms budget of this execution ran out; choose fewer cases per execution`
        : `the ${budget} ms budget of this execution ran out; the playbook task was cancelled`;
    }
    return failed(info);
  } finally {
    clearTimeout(timer);
    runner?.free();
  }
}

/** The origin of `url`, or '' when it is no URL (the runner then names the missing baseUrl). */
function originOf(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return '';
  }
}

interface SliceContext {
  endpointUrl: string;
  passThreshold: number;
  signal: AbortSignal;
  contextKey: string;
  write: (summary: SuiteSummary) => SuiteSummary;
  failed: (error: { code: string; message: string }, extra?: Partial<SuiteSummary>) => SuiteSummary;
}

/**
 * One execution of an endpoint suite: runs the next `casesPerExecution` cases (from the resume
 * marker a previous execution left, when it belongs to this suite), then either leaves a new marker
 * (`running`) or, after the last slice, has the core merge every slice into the run's report.
 */
async function endpointSlice(cognigy: NodeCognigy, config: RunTestSuiteConfig, runner: TestSuiteRunner, run: SliceContext): Promise<SuiteSummary> {
  const { endpointUrl, passThreshold, signal, contextKey, write, failed } = run;
  const valid = validateTestExecution(objectField(config.suite));
  if (!valid.ok) {
    return failed({ code: 'VALIDATION', message: truncate(valid.errors.map((e) => `${e.path}: ${e.message}`).join('; '), 500) });
  }
  const suite = valid.value;
  const total = suite.testCases.length;
  if (total > MAX_ENDPOINT_CASES) {
    return failed({ code: 'CONFIG', message: `an endpoint suite here has at most ${MAX_ENDPOINT_CASES} cases (their results must fit the context), got ${total}; run larger suites with the CLI (cognigy-guard run-endpoint)` });
  }
  const nluIds = [config.nluProjectId, config.nluFlowReferenceId, config.nluLocaleReferenceId].map((v) => String(v ?? '').trim());
  const nlu = nluIds.some(Boolean) ? { projectId: nluIds[0], flowReferenceId: nluIds[1], localeReferenceId: nluIds[2] } : undefined;
  if (nlu && !nluIds.every(Boolean)) {
    return failed({ code: 'CONFIG', message: 'NLU scores need the project id, the flow reference id and the locale reference id' });
  }
  const perExecution = numberField(config.casesPerExecution, 10, 1, 50);
  const retryFailed = numberField(config.retryFailed, 0, 0, 2);
  const print = fingerprint(JSON.stringify([suite, nlu ?? null, perExecution, retryFailed]));
  const previous = cognigy.context?.[contextKey] as Partial<SuiteSummary> | undefined;
  const resume: EndpointResume = (previous?.state === 'running' && previous.api === 'endpoint' ? resumable(previous, print) : undefined)
    ?? { v: 1, fingerprint: print, next: 0, total, chunks: [] };
  const from = Math.min(resume.next, total);
  const slice = { ...suite, testCases: suite.testCases.slice(from, from + perExecution) };
  const report = await runner.runEndpoint(slice, {
    endpointUrl, ...(nlu ? { nlu } : {}), retryFailed, passThreshold, signal,
  });
  resume.chunks.push(compactChunk(report));
  resume.next = from + slice.testCases.length;
  const progress = { done: resume.next, total };
  if (resume.next < total) {
    const running: SuiteSummary = {
      api: 'endpoint', state: 'running', gate: 'pending', suiteId: suite.suiteId, progress, resume, at: new Date().toISOString(),
    };
    if (jsonBytes(running) > MAX_API_OBJECT_BYTES - 1000) {
      return failed({ code: 'TOO_LARGE', message: `the results of ${resume.next} cases no longer fit the context (${jsonBytes(running)} bytes); use a smaller suite or shorter utterances` });
    }
    return write(running);
  }
  // The last slice: the core merges every slice's cases into the run's report and decides the gate.
  const merged = aggregateEndpointChunks(resume.chunks, { passThreshold });
  return write(summarize('endpoint', merged, { suiteId: suite.suiteId, progress }));
}
