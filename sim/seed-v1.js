'use strict';
// The seed-v1 profile: the REST paths the two seed documents use (Bearer tokens, snake_case bodies).

const bot = require('./bot');
const { sendJson, sendError, parseJsonBody, isPlainObject, randomId } = require('./http');

/** Simulated time an execution stays queued, and the simulated time each case takes to run. */
const QUEUE_MS = 1000;
const CASE_MS = 1000;

const MAX_CASES = 500;
const TIMEOUT_RANGE = [30, 1800];
const LATENCY_RANGE = [100, 5000];

/** Per-simulator seed-v1 state. */
function createSeedState() {
  return { services: new Map(), executions: new Map(), idempotency: new Map(), invocations: 0 };
}

function isIntegerIn(value, [min, max]) {
  return Number.isInteger(value) && value >= min && value <= max;
}

function nonEmptyString(value) {
  return typeof value === 'string' && value.trim() !== '';
}

function optional(value, check) {
  return value === undefined || value === null || check(value);
}

/** Collects validation issues `{ field, message }`; `need(ok, field, message)` records one unless ok, returns ok. */
function issueCollector(prefix = '') {
  const issues = [];
  const need = (ok, field, message) => {
    if (!ok) issues.push({ field: prefix + field, message });
    return ok;
  };
  return { issues, need };
}

function answerValidation(ctx, issues) {
  const head = issues.slice(0, 3).map((i) => `${i.field}: ${i.message}`).join('; ');
  const more = issues.length > 3 ? ` (and ${issues.length - 3} more)` : '';
  return sendError(ctx.res, ctx.pathname, 400, {
    code: 'validation_error',
    message: `invalid request body: ${head}${more}`,
    details: issues,
  });
}

/** Reads the JSON body; answers 400 and returns undefined when it is not a JSON object. */
function jsonObjectBody(ctx) {
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) {
    sendError(ctx.res, ctx.pathname, 400, { code: 'invalid_json', message: parsed.message });
    return undefined;
  }
  if (!isPlainObject(parsed.value)) {
    sendError(ctx.res, ctx.pathname, 400, { code: 'invalid_body', message: 'request body must be a JSON object' });
    return undefined;
  }
  return parsed.value;
}

/** Checks the Bearer token; answers 401/403 and returns false when refused. */
function authorized(ctx, anyOfScopes) {
  const refusal = ctx.sim.auth.checkBearer(ctx.headers, anyOfScopes);
  if (!refusal) return true;
  sendError(ctx.res, ctx.pathname, refusal.status, refusal);
  return false;
}

// ---- external services -------------------------------------------------------------------------------

function timeoutPayloadIssues(body, pathId) {
  const { issues, need } = issueCollector();
  need(nonEmptyString(body.endpointId), 'endpointId', 'is required (non-empty string)');
  if (nonEmptyString(body.endpointId)) need(body.endpointId === pathId, 'endpointId', `must equal the id in the path (${pathId})`);
  const timeout = body.timeoutConfiguration;
  if (need(isPlainObject(timeout), 'timeoutConfiguration', 'is required (object)')) {
    need(isIntegerIn(timeout.maxWaitTimeMs, [1000, 30000]), 'timeoutConfiguration.maxWaitTimeMs', 'must be an integer in 1000..30000');
    need(optional(timeout.retryAttempts, (v) => isIntegerIn(v, [0, 5])), 'timeoutConfiguration.retryAttempts', 'must be an integer in 0..5');
    need(optional(timeout.backoffMs, (v) => isIntegerIn(v, [0, 10000])), 'timeoutConfiguration.backoffMs', 'must be an integer in 0..10000');
  }
  const fallback = body.fallbackConfiguration;
  if (need(isPlainObject(fallback), 'fallbackConfiguration', 'is required (object)')) {
    let parsedTemplate;
    try {
      parsedTemplate = typeof fallback.template === 'string' ? JSON.parse(fallback.template) : undefined;
    } catch {
      parsedTemplate = undefined;
    }
    need(isPlainObject(parsedTemplate), 'fallbackConfiguration.template', 'must be a string holding a JSON object');
    need(optional(fallback.routeTo, nonEmptyString), 'fallbackConfiguration.routeTo', 'must be a non-empty string');
  }
  const sla = body.slaConfiguration;
  if (need(isPlainObject(sla), 'slaConfiguration', 'is required (object)')) {
    need(isIntegerIn(sla.thresholdMs, [500, 25000]), 'slaConfiguration.thresholdMs', 'must be an integer in 500..25000');
    need(optional(sla.alertEnabled, (v) => typeof v === 'boolean'), 'slaConfiguration.alertEnabled', 'must be a boolean');
  }
  return issues;
}

/**
 * Checks the token's scopes, parses the JSON object body and validates it with `issuesOf(body, pathId)`.
 * Returns the body, or undefined after answering 401/403/400.
 */
function validatedBody(ctx, anyOfScopes, issuesOf, pathId) {
  if (!authorized(ctx, anyOfScopes)) return undefined;
  const body = jsonObjectBody(ctx);
  if (!body) return undefined;
  const issues = issuesOf(body, pathId);
  if (issues.length === 0) return body;
  answerValidation(ctx, issues);
  return undefined;
}

function configureService(ctx, [id]) {
  const body = validatedBody(ctx, ['externalService:write'], timeoutPayloadIssues, id);
  if (!body) return;
  const updatedAt = new Date().toISOString();
  ctx.sim.seed.services.set(id, { configuration: body, updatedAt });
  sendJson(ctx.res, 200, { endpointId: id, status: 'configured', configuration: body, updatedAt });
}

function serviceData(id, invocation) {
  const h = bot.hash(id);
  if (/weather/i.test(id)) {
    const city = bot.CITIES[h % bot.CITIES.length];
    return { city, temperatureC: 5 + (h % 25), condition: ['sunny', 'cloudy', 'rainy', 'windy'][h % 4], invocation };
  }
  return { endpointId: id, value: h % 1000, invocation };
}

function invokeService(ctx, [id]) {
  if (!authorized(ctx, ['externalService:write', 'bot:read'])) return;
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) return sendError(ctx.res, ctx.pathname, 400, { code: 'invalid_json', message: parsed.message });
  if (!ctx.sim.seed.services.has(id)) {
    return sendError(ctx.res, ctx.pathname, 404, { code: 'not_found', message: `external service ${id} is not configured` });
  }
  const invocation = ++ctx.sim.seed.invocations;
  sendJson(ctx.res, 200, { endpointId: id, data: serviceData(id, invocation), latencyMs: 20 + (bot.hash(`${id}#${invocation}`) % 180) });
}

// ---- test-suite executions ------------------------------------------------------------------------------

function caseIssues(testCase, at) {
  if (!isPlainObject(testCase)) return [{ field: at, message: 'must be an object' }];
  const { issues, need } = issueCollector(`${at}.`);
  need(nonEmptyString(testCase.input_text), 'input_text', 'is required (non-empty string)');
  need(optional(testCase.context_variables, isPlainObject), 'context_variables', 'must be an object');
  const outcome = testCase.outcome;
  if (!need(isPlainObject(outcome), 'outcome', 'is required (object)')) return issues;
  need(isIntegerIn(outcome.allowed_latency_ms, LATENCY_RANGE), 'outcome.allowed_latency_ms', `is required, an integer in ${LATENCY_RANGE.join('..')}`);
  need(optional(outcome.expected_intent, (v) => typeof v === 'string'), 'outcome.expected_intent', 'must be a string');
  need(
    optional(outcome.expected_entities, (v) => Array.isArray(v) && v.every((e) => typeof e === 'string')),
    'outcome.expected_entities',
    'must be an array of strings',
  );
  need(optional(outcome.expected_response_contains, (v) => typeof v === 'string'), 'outcome.expected_response_contains', 'must be a string');
  return issues;
}

function executionIssues(body, pathSuiteId) {
  const { issues, need } = issueCollector();
  need(nonEmptyString(body.suite_id), 'suite_id', 'is required (non-empty string)');
  if (nonEmptyString(body.suite_id)) need(body.suite_id === pathSuiteId, 'suite_id', `must equal the suite id in the path (${pathSuiteId})`);
  need(
    isIntegerIn(body.execution_timeout_seconds, TIMEOUT_RANGE),
    'execution_timeout_seconds',
    `is required, an integer in ${TIMEOUT_RANGE.join('..')}`,
  );
  const cases = body.test_cases;
  if (
    need(Array.isArray(cases), 'test_cases', 'is required (array)') &&
    need(cases.length >= 1 && cases.length <= MAX_CASES, 'test_cases', `must hold 1..${MAX_CASES} cases (got ${cases.length})`)
  ) {
    cases.forEach((c, i) => issues.push(...caseIssues(c, `test_cases[${i}]`)));
  }
  return issues;
}

/**
 * Where an execution stands after `elapsed` simulated ms: `{ status, completed }`. It is queued for
 * QUEUE_MS, then runs one case per CASE_MS; it ends `failed` at its failure point (suite ids starting with
 * "fail": half-way), `timeout` at execution_timeout_seconds when it would need longer, else `completed`.
 */
function executionProgress(execution, elapsed) {
  const total = execution.results.length;
  const finishAt = QUEUE_MS + total * CASE_MS;
  const ends = [{ at: finishAt, status: 'completed', completed: total }];
  if (execution.failAt !== null) ends.push({ at: QUEUE_MS + execution.failAt * CASE_MS, status: 'failed', completed: execution.failAt });
  if (execution.timeoutMs < finishAt) {
    const completed = Math.max(0, Math.min(total, Math.floor((execution.timeoutMs - QUEUE_MS) / CASE_MS)));
    ends.push({ at: execution.timeoutMs, status: 'timeout', completed });
  }
  const end = ends.reduce((first, e) => (e.at < first.at ? e : first));
  if (elapsed < QUEUE_MS) return { status: 'queued', completed: 0 };
  if (elapsed < end.at) return { status: 'running', completed: Math.min(total, Math.floor((elapsed - QUEUE_MS) / CASE_MS)) };
  return { status: end.status, completed: end.completed };
}

function submitExecution(ctx, [suiteId]) {
  const body = validatedBody(ctx, ['test:execute'], executionIssues, suiteId);
  if (!body) return;
  const seed = ctx.sim.seed;
  const key = ctx.headers['idempotency-key'];
  if (key && seed.idempotency.has(key)) {
    return sendJson(ctx.res, 202, { execution_id: seed.idempotency.get(key), status: 'queued' });
  }
  const results = body.test_cases.map((c, i) => bot.evaluateCase(c, i));
  const execution = {
    id: randomId('exec_', 10),
    suiteId,
    createdAt: Date.now(),
    timeoutMs: body.execution_timeout_seconds * 1000,
    failAt: suiteId.startsWith('fail') ? Math.max(1, Math.floor(results.length / 2)) : null,
    results,
  };
  seed.executions.set(execution.id, execution);
  if (key) seed.idempotency.set(key, execution.id);
  sendJson(ctx.res, 202, { execution_id: execution.id, status: 'queued' }, { Location: `/api/v1/executions/${execution.id}/status` });
}

function findExecution(ctx, id) {
  const execution = ctx.sim.seed.executions.get(id);
  if (!execution) sendError(ctx.res, ctx.pathname, 404, { code: 'not_found', message: `execution ${id} not found` });
  return execution;
}

function executionStatus(ctx, [id]) {
  if (!authorized(ctx, ['test:read'])) return;
  const execution = findExecution(ctx, id);
  if (!execution) return;
  const { status, completed } = executionProgress(execution, ctx.sim.elapsed(execution.createdAt));
  sendJson(ctx.res, 200, { execution_id: id, suite_id: execution.suiteId, status, progress: { completed, total: execution.results.length } });
}

function executionResults(ctx, [id]) {
  if (!authorized(ctx, ['test:read'])) return;
  const execution = findExecution(ctx, id);
  if (!execution) return;
  const { status, completed } = executionProgress(execution, ctx.sim.elapsed(execution.createdAt));
  if (status === 'queued' || status === 'running') {
    return sendError(ctx.res, ctx.pathname, 409, { code: 'execution_not_finished', message: `execution ${id} is still ${status}` });
  }
  const body = { execution_id: id, suite_id: execution.suiteId, status, test_results: execution.results.slice(0, completed) };
  if (status === 'failed') body.error = { code: 'bot_error', message: `the bot stopped answering at case ${completed}` };
  if (status === 'timeout') body.error = { code: 'execution_timeout', message: 'execution_timeout_seconds elapsed before every case ran' };
  sendJson(ctx.res, 200, body);
}

/** Routes: `[method, path regex (captures are URL-decoded params), handler(ctx, params)]`. */
const ROUTES = [
  ['PUT', /^\/api\/v1\/externalServices\/([^/]+)\/configuration$/, configureService],
  ['POST', /^\/api\/v1\/externalServices\/([^/]+)\/invoke$/, invokeService],
  ['POST', /^\/api\/v1\/test-suites\/([^/]+)\/executions$/, submitExecution],
  ['GET', /^\/api\/v1\/executions\/([^/]+)\/status$/, executionStatus],
  ['GET', /^\/api\/v1\/executions\/([^/]+)\/results$/, executionResults],
];

module.exports = { ROUTES, QUEUE_MS, CASE_MS, MAX_CASES, createSeedState, executionProgress };
