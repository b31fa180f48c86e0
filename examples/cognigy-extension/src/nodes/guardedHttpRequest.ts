import { createNodeDescriptor, type INodeFunctionBaseParams } from '@cognigy/extension-tools';
import { TimeoutManager, validateTimeoutConfig, type CallResult, type ManagerSnapshot } from 'cognigy-guard/inline';
import type { ApiKeyConnection, OAuthConnection } from '../connections';
import {
  EXECUTION_BUDGET_MS, LimitedApi, MAX_API_OBJECT_BYTES, SAFETY_MARGIN_MS, authFrom, errorInfo, jsonBytes,
  numberField, objectField, truncate,
} from '../lib/limits';
import { compactSnapshot, restorable } from '../lib/state';
import { PATH_COLOR, TEXT_COLOR, childPath, takePath } from '../lib/paths';

/** The node's paths: a live answer, a degraded one (cache or fallback template), no answer at all. */
export const GUARDED_PATHS = {
  live: 'guardedHttpRequestOnLive',
  degraded: 'guardedHttpRequestOnDegraded',
  error: 'guardedHttpRequestOnError',
} as const;
export const HEADER_COLOR = '#2f6f4f';

export interface GuardedHttpConfig {
  endpointId?: string;
  url?: string;
  method?: string;
  baseUrl?: string;
  headers?: unknown;
  body?: unknown;
  authType?: 'none' | 'apiKey' | 'oauth';
  apiKeyConnection?: ApiKeyConnection;
  oauthConnection?: OAuthConnection;
  maxWaitTimeMs?: number;
  slaThresholdMs?: number;
  retryAttempts?: number;
  backoffMs?: number;
  deadlineMs?: number;
  failureThreshold?: number;
  resetTimeoutMs?: number;
  successThreshold?: number;
  cacheTtlMs?: number;
  fallbackTemplate?: unknown;
  contextKey?: string;
  stateKey?: string;
  allowInsecureHttp?: boolean;
}

export interface GuardedHttpParams extends INodeFunctionBaseParams {
  config: GuardedHttpConfig;
}

/** What the node writes under `contextKey`. */
export interface GuardedHttpResult {
  endpointId: string;
  data: unknown;
  source: CallResult['source'] | 'error';
  degraded: boolean;
  circuit: CallResult['circuit'] | null;
  status: number | null;
  attempts: number;
  latencyMs: number;
  slaBreached: boolean;
  error?: { code: string; message: string; status?: number };
  /** Set when the answer was too large for the context and `data` was left out. */
  dataOmittedBytes?: number;
  at: string;
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'];

export const guardedHttpRequest = createNodeDescriptor({
  type: 'guardedHttpRequest',
  defaultLabel: 'Guarded HTTP request',
  summary: 'Calls a URL with a timeout, retries, a circuit breaker kept across executions, a cache and a fallback',
  fields: [
    { key: 'endpointId', type: 'cognigyText', label: 'Endpoint id', defaultValue: 'ext_svc_weather_01', description: '1-128 characters of A-Z a-z 0-9 _ . - (names the breaker and the cache entry)', params: { required: true } },
    { key: 'method', type: 'select', label: 'Method', defaultValue: 'GET', params: { options: METHODS.map((m) => ({ label: m, value: m })) } },
    { key: 'url', type: 'cognigyText', label: 'URL', defaultValue: 'https://weather.example.com/now?city={{input.slots.city[0].keyphrase}}', description: 'Absolute, or a path relative to the base URL', params: { required: true } },
    { key: 'headers', type: 'json', label: 'Headers', defaultValue: {} },
    { key: 'body', type: 'json', label: 'JSON body (not sent with GET)', defaultValue: {}, condition: { key: 'method', value: 'GET', negate: true } },
    { key: 'authType', type: 'select', label: 'Authentication', defaultValue: 'none', params: { options: [
      { label: 'None', value: 'none' }, { label: 'API key (X-API-Key)', value: 'apiKey' }, { label: 'OAuth2 client credentials', value: 'oauth' },
    ] } },
    { key: 'baseUrl', type: 'cognigyText', label: 'Base URL (credentials are sent only here)', defaultValue: '', description: 'Default: the origin of the URL' },
    { key: 'apiKeyConnection', type: 'connection', label: 'API key', params: { connectionType: 'cognigy-guard-api-key', required: true }, condition: { key: 'authType', value: 'apiKey' } },
    { key: 'oauthConnection', type: 'connection', label: 'OAuth2 client', params: { connectionType: 'cognigy-guard-oauth', required: true }, condition: { key: 'authType', value: 'oauth' } },
    { key: 'maxWaitTimeMs', type: 'number', label: 'Timeout per attempt (maxWaitTimeMs)', defaultValue: 4000, params: { min: 1000, max: 30000 } },
    { key: 'slaThresholdMs', type: 'number', label: 'SLA threshold (ms)', defaultValue: 2000, params: { min: 500, max: 25000 } },
    { key: 'retryAttempts', type: 'number', label: 'Retries', defaultValue: 2, params: { min: 0, max: 5 } },
    { key: 'backoffMs', type: 'number', label: 'Backoff (ms)', defaultValue: 500, params: { min: 0, max: 10000 } },
    { key: 'deadlineMs', type: 'number', label: 'Deadline of the whole call, retries included (ms, at most 20000)', defaultValue: 15000, params: { min: 1000, max: 20000 } },
    { key: 'failureThreshold', type: 'number', label: 'Breaker: failures before it opens', defaultValue: 3, params: { min: 1, max: 100 } },
    { key: 'resetTimeoutMs', type: 'number', label: 'Breaker: open for (ms)', defaultValue: 30000, params: { min: 100, max: 3600000 } },
    { key: 'successThreshold', type: 'number', label: 'Breaker: successes to close again', defaultValue: 1, params: { min: 1, max: 10 } },
    { key: 'cacheTtlMs', type: 'number', label: 'Keep the last good answer for (ms)', defaultValue: 300000, params: { min: 0, max: 86400000 } },
    { key: 'fallbackTemplate', type: 'json', label: 'Fallback template', defaultValue: { message: 'The service is resting. Please try again soon.' } },
    { key: 'contextKey', type: 'cognigyText', label: 'Context key of the result', defaultValue: 'guardedResponse', params: { required: true } },
    { key: 'stateKey', type: 'cognigyText', label: 'Context key of the saved breaker/cache state', defaultValue: 'cognigyGuardState', params: { required: true } },
    { key: 'allowInsecureHttp', type: 'toggle', label: 'Allow http:// to non-loopback hosts', defaultValue: false },
  ],
  sections: [
    { key: 'request', label: 'Request', defaultCollapsed: false, fields: ['endpointId', 'method', 'url', 'headers', 'body'] },
    { key: 'auth', label: 'Authentication', defaultCollapsed: true, fields: ['authType', 'baseUrl', 'apiKeyConnection', 'oauthConnection'] },
    { key: 'policy', label: 'Timeouts and retries', defaultCollapsed: true, fields: ['maxWaitTimeMs', 'slaThresholdMs', 'retryAttempts', 'backoffMs', 'deadlineMs'] },
    { key: 'breaker', label: 'Circuit breaker and cache', defaultCollapsed: true, fields: ['failureThreshold', 'resetTimeoutMs', 'successThreshold', 'cacheTtlMs'] },
    { key: 'output', label: 'Fallback and storage', defaultCollapsed: false, fields: ['fallbackTemplate', 'contextKey', 'stateKey', 'allowInsecureHttp'] },
  ],
  form: [
    { type: 'section', key: 'request' },
    { type: 'section', key: 'auth' },
    { type: 'section', key: 'policy' },
    { type: 'section', key: 'breaker' },
    { type: 'section', key: 'output' },
  ],
  appearance: { color: HEADER_COLOR, textColor: TEXT_COLOR },
  dependencies: { children: [GUARDED_PATHS.live, GUARDED_PATHS.degraded, GUARDED_PATHS.error] },
  tags: ['service'],
  function: async ({ cognigy, config, childConfigs }: GuardedHttpParams) => {
    await runGuardedHttpRequest(cognigy as unknown as NodeCognigy, config, childConfigs);
  },
});

export const guardedHttpPaths = [
  childPath(GUARDED_PATHS.live, 'guardedHttpRequest', 'Live answer', PATH_COLOR.good),
  childPath(GUARDED_PATHS.degraded, 'guardedHttpRequest', 'Degraded (cache or fallback)', PATH_COLOR.warn),
  childPath(GUARDED_PATHS.error, 'guardedHttpRequest', 'Error', PATH_COLOR.bad),
];

/** The path of a result: live, degraded (served from cache or the fallback template) or error. */
export function guardedPathOf(result: GuardedHttpResult): string {
  if (result.source === 'error') return GUARDED_PATHS.error;
  return result.degraded ? GUARDED_PATHS.degraded : GUARDED_PATHS.live;
}

export interface NodeCognigy {
  api: ConstructorParameters<typeof LimitedApi>[0];
  context?: Record<string, unknown>;
}

/**
 * Runs the node: writes the result (and the saved state) to the context, then continues at the child of the
 * result's path (`childConfigs`: the node's children, as Cognigy passes them).
 */
export async function runGuardedHttpRequest(cognigy: NodeCognigy, config: GuardedHttpConfig, childConfigs?: GuardedHttpParams['childConfigs']): Promise<GuardedHttpResult> {
  const api = new LimitedApi(cognigy.api, authFrom(config.authType, config.apiKeyConnection, config.oauthConnection).secrets);
  const result = await guardedRequest(cognigy, config, api);
  takePath(api, childConfigs, guardedPathOf(result));
  return result;
}

async function guardedRequest(cognigy: NodeCognigy, config: GuardedHttpConfig, api: LimitedApi): Promise<GuardedHttpResult> {
  const startedAt = Date.now();
  const contextKey = config.contextKey || 'guardedResponse';
  const stateKey = config.stateKey || 'cognigyGuardState';
  const endpointId = String(config.endpointId ?? '').trim();
  const { auth, secrets, problem } = authFrom(config.authType, config.apiKeyConnection, config.oauthConnection);
  const failed = (error: { code: string; message: string }): GuardedHttpResult => {
    const result: GuardedHttpResult = {
      endpointId, data: null, source: 'error', degraded: true, circuit: null, status: null, attempts: 0,
      latencyMs: Date.now() - startedAt, slaBreached: false, error, at: new Date().toISOString(),
    };
    api.addToContext(contextKey, result);
    api.log('error', `cognigy-guard ${endpointId}: ${error.code} ${error.message}`);
    return result;
  };
  if (problem) return failed({ code: 'CONFIG', message: problem });

  const fallbackTemplate = objectField(config.fallbackTemplate);
  const policy = validateTimeoutConfig({
    endpointId,
    maxWaitTimeMs: numberField(config.maxWaitTimeMs, 4000, 0, 1e9),
    slaThresholdMs: numberField(config.slaThresholdMs, 2000, 0, 1e9),
    retryAttempts: numberField(config.retryAttempts, 2, 0, 1e9),
    backoffMs: numberField(config.backoffMs, 500, 0, 1e9),
    fallbackTemplate: fallbackTemplate ?? config.fallbackTemplate ?? {},
  });
  if (!policy.ok) {
    return failed({ code: 'VALIDATION', message: truncate(policy.errors.map((e) => `${e.path}: ${e.message}`).join('; '), 500) });
  }

  const url = String(config.url ?? '').trim();
  let baseUrl = String(config.baseUrl ?? '').trim();
  if (!baseUrl) {
    try {
      baseUrl = new URL(url).origin;
    } catch {
      return failed({ code: 'CONFIG', message: 'the URL is not absolute and no base URL is set' });
    }
  }
  const method = METHODS.includes(String(config.method).toUpperCase()) ? String(config.method).toUpperCase() : 'GET';
  const headers = objectField(config.headers) as Record<string, string> | undefined;
  const body = method === 'GET' ? undefined : (objectField(config.body) ?? (typeof config.body === 'string' ? config.body : undefined));

  // The whole call, retries included, ends before the 20 s execution budget runs out.
  const remaining = EXECUTION_BUDGET_MS - SAFETY_MARGIN_MS - (Date.now() - startedAt);
  const deadlineMs = Math.max(1, Math.min(numberField(config.deadlineMs, 15000, 1000, EXECUTION_BUDGET_MS), remaining));
  const options = {
    baseUrl,
    ...(auth ? { auth } : {}),
    deadlineMs,
    cacheTtlMs: numberField(config.cacheTtlMs, 300000, 0, 86400000),
    breaker: {
      failureThreshold: numberField(config.failureThreshold, 3, 1, 100),
      resetTimeoutMs: numberField(config.resetTimeoutMs, 30000, 100, 3600000),
      successThreshold: numberField(config.successThreshold, 1, 1, 10),
    },
    allowInsecureHttp: config.allowInsecureHttp === true,
  };

  const saved = restorable(cognigy.context?.[stateKey]);
  let manager: TimeoutManager;
  try {
    manager = new TimeoutManager({ ...options, state: saved });
  } catch (e) {
    if (!saved) return failed(errorInfo(e, secrets));
    // A snapshot from an incompatible version: start afresh rather than fail the conversation.
    api.log('warn', `cognigy-guard ${endpointId}: saved state ignored (${errorInfo(e, secrets).message})`);
    try {
      manager = new TimeoutManager(options);
    } catch (e2) {
      return failed(errorInfo(e2, secrets));
    }
  }

  try {
    await manager.configureTimeout(policy.value);
    let answer: CallResult;
    try {
      answer = await manager.call(endpointId, { url, method, ...(headers ? { headers } : {}), ...(body !== undefined ? { body: body as never } : {}) });
    } catch (e) {
      return failed(errorInfo(e, secrets));
    }
    const result: GuardedHttpResult = {
      endpointId,
      data: answer.data,
      source: answer.source,
      degraded: answer.degraded,
      circuit: answer.circuit,
      status: answer.status,
      attempts: answer.attempts,
      latencyMs: answer.latencyMs,
      slaBreached: answer.slaBreached,
      ...(answer.error ? { error: { ...answer.error, message: errorInfo(answer.error, secrets).message } } : {}),
      at: new Date().toISOString(),
    };
    const size = jsonBytes(result);
    if (size > MAX_API_OBJECT_BYTES - 1000) {
      result.data = null;
      result.dataOmittedBytes = size;
    }
    api.addToContext(contextKey, result);

    const { state } = compactSnapshot(manager.snapshot() as ManagerSnapshot, endpointId);
    api.addToContext(stateKey, state);
    if (answer.degraded) {
      api.log('warn', `cognigy-guard ${endpointId}: served ${answer.source} (${answer.error?.code ?? 'unknown'}), circuit ${answer.circuit}, ${answer.attempts} attempt(s)`);
    }
    return result;
  } catch (e) {
    return failed(errorInfo(e, secrets));
  } finally {
    manager.free();
  }
}
