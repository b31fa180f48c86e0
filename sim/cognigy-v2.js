'use strict';
// The cognigy-v2 profile: the real platform's playbook, task and flow endpoints under /new/v2.0.

const bot = require('./bot');
const { sendJson, sendError, parseJsonBody, isPlainObject } = require('./http');
const { readWindow } = require('./paging');

/** Simulated time a task stays queued, each playbook step takes, and a cancel takes. */
const QUEUE_MS = 1000;
const STEP_MS = 1000;
const CANCEL_MS = 500;

/** Concurrent playbook runs per tenant (queued, active and cancelling tasks count). */
const MAX_CONCURRENT_RUNS = 10;
const MAX_LIMIT = 100;
const DEFAULT_LIMIT = 25;

/** Active-state polls that answer without `data.playbookRunId` before it shows up. */
const POLLS_BEFORE_RUN_ID = 2;

const LOCALE_ID = '650000000000000000000c01';
const ENTRYPOINT = '650000000000000000000e01';
/** The user every sample resource and task is created by. */
const USER_ID = '650000000000000000000901';
/** Unix seconds of the sample resources' `createdAt` / `lastChanged`. */
const SAMPLES_CREATED_AT = 1735689600;

function objectId(kind, index) {
  return `65000000000000000${kind}${String(index).padStart(6, '0')}`;
}

const MAIN_FLOW_INTENTS = [
  'greeting',
  'orderPizza',
  'passwordReset',
  'businessHours',
  'weather',
  'refund',
  'trackOrder',
  'cancelOrder',
  'talkToAgent',
  'changeAddress',
];
const FAQ_FLOW_INTENTS = Array.from({ length: 120 }, (_, i) => `faqTopic${String(i + 1).padStart(3, '0')}`);

/** The two sample flows; the FAQ flow has more intents than one page can hold. */
const FLOWS = [
  { _id: objectId('f', 1), name: 'Pizza Bot Main Flow', intents: MAIN_FLOW_INTENTS },
  { _id: objectId('f', 2), name: 'FAQ Flow', intents: FAQ_FLOW_INTENTS },
].map((flow, f) => ({ ...flow, intents: flow.intents.map((name, i) => ({ _id: objectId('a', (f + 1) * 1000 + i + 1), name })) }));

const intent = (name, negate = false) => ({ type: 'assertIntent', params: { intent: name }, negate });
const slot = (name) => ({ type: 'assertSlot', params: { slot: name }, negate: false });
const text = (wanted) => ({ type: 'assertText', params: { text: wanted, fuzzy: true }, negate: false });

/** The three sample playbooks: all passing, some failures, one step without asserts. */
const PLAYBOOKS = [
  {
    _id: objectId('b', 1),
    name: 'Pizza order happy path',
    description: 'Every step passes.',
    steps: [
      { text: 'Hi there', asserts: [intent('greeting'), text('hello')] },
      { text: 'I want to order a large pizza', asserts: [intent('orderPizza'), slot('size'), text('pizza')] },
      { text: 'What are your opening hours?', asserts: [intent('businessHours'), text('open from')] },
    ],
  },
  {
    _id: objectId('b', 2),
    name: 'Support regressions',
    description: 'Two steps fail: the refund question is expected to be orderPizza, and the weather question names no city.',
    steps: [
      { text: 'I need to reset my password', asserts: [intent('passwordReset'), text('password reset link')] },
      { text: 'Can I get a refund for my pizza', asserts: [intent('orderPizza')] },
      { text: 'What is the weather like?', asserts: [intent('weather'), slot('city')] },
      { text: 'Tell me a joke', asserts: [intent('greeting', true)] },
    ],
  },
  {
    _id: objectId('b', 3),
    name: 'Smoke test with an unverified step',
    description: 'The second step has no asserts.',
    steps: [
      { text: 'Hello', asserts: [intent('greeting')] },
      { text: 'What is the weather in Berlin?', asserts: [] },
    ],
  },
].map((p, b) => ({
  ...p,
  flowId: FLOWS[0]._id,
  localeId: LOCALE_ID,
  entrypoint: ENTRYPOINT,
  steps: p.steps.map((step, s) => ({
    _id: objectId('1', (b + 1) * 100 + s + 1),
    ...step,
    asserts: step.asserts.map((a, i) => ({ _id: objectId('2', (b + 1) * 10000 + (s + 1) * 100 + i + 1), ...a })),
  })),
}));

/** Per-simulator cognigy-v2 state. */
function createV2State() {
  return { tasks: new Map(), nextId: 1 };
}

function answerProblem(ctx, status, code, message, details, headers) {
  return sendError(ctx.res, ctx.pathname, status, { code, message, details, headers });
}

/** Unix seconds of the real instant `ms`. */
const unixSeconds = (ms) => Math.floor(ms / 1000);

function authorized(ctx) {
  const refusal = ctx.sim.auth.checkApiKeyOrBearer(ctx.headers);
  if (!refusal) return true;
  answerProblem(ctx, refusal.status, refusal.code, refusal.message, {}, refusal.headers);
  return false;
}

/** Wraps a handler with the API key / Bearer check. */
function guarded(handler) {
  return (ctx, params) => authorized(ctx) && handler(ctx, params);
}

// ---- pagination ------------------------------------------------------------------------------------------

/**
 * Answers one page of `items` per `limit` and `skip`, or per the cursor in `next` or `previous` (a
 * `nextCursor` / `previousCursor` this API issued; it overrides skip), as the official client sends them.
 */
function answerPage(ctx, items) {
  const read = readWindow(ctx.query, { defaultLimit: DEFAULT_LIMIT, maxLimit: MAX_LIMIT });
  if (!read.ok) return answerProblem(ctx, 400, 'invalid_query', `invalid query: ${read.details.map((d) => d.field).join(', ')}`, read.details);
  const page = read.window.page(items);
  sendJson(ctx.res, 200, { items: page.items, total: page.total, nextCursor: page.next, previousCursor: page.previous });
}

const ENTITY_META = { createdAt: SAMPLES_CREATED_AT, lastChanged: SAMPLES_CREATED_AT, createdBy: USER_ID, lastChangedBy: USER_ID };

function listPlaybooks(ctx) {
  answerPage(
    ctx,
    PLAYBOOKS.map(({ _id, name, description, flowId, localeId, entrypoint, steps }) => ({
      _id,
      name,
      description,
      flowId,
      localeId,
      entrypoint,
      stepCount: steps.length,
      ...ENTITY_META,
    })),
  );
}

function getPlaybook(ctx, [playbookId]) {
  const playbook = PLAYBOOKS.find((p) => p._id === playbookId);
  if (!playbook) return answerProblem(ctx, 404, 'playbook_not_found', `playbook ${playbookId} not found`);
  sendJson(ctx.res, 200, { ...playbook, ...ENTITY_META });
}

function listFlows(ctx) {
  answerPage(ctx, FLOWS.map(({ _id, name }) => ({ _id, referenceId: _id, name, isTrainingOutOfDate: false, ...ENTITY_META })));
}

function listFlowIntents(ctx, [flowId]) {
  const flow = FLOWS.find((f) => f._id === flowId);
  if (!flow) return answerProblem(ctx, 404, 'flow_not_found', `flow ${flowId} not found`);
  answerPage(ctx, flow.intents.map(({ _id, name }) => ({ _id, referenceId: _id, name, tags: [], isRejectIntent: false, isDisabled: false })));
}

// ---- tasks and runs ---------------------------------------------------------------------------------------

function nextObjectId(sim, kind) {
  return objectId(kind, sim.v2.nextId++);
}

/**
 * Where a task stands now: `{ status, stepsDone }`. Queued for QUEUE_MS, active one step per
 * STEP_MS, then done; a task whose flow does not exist ends in `error` after the queue; a cancelled task is
 * `cancelling` for CANCEL_MS (simulated) after the cancel request, then `cancelled`.
 */
function taskProgress(sim, task) {
  const total = task.steps.length;
  const stepsAt = (elapsed) => Math.max(0, Math.min(total, Math.floor((elapsed - QUEUE_MS) / STEP_MS)));
  const elapsed = sim.elapsed(task.createdAt);
  if (task.cancelRequestedAt !== null) {
    const stepsDone = stepsAt((task.cancelRequestedAt - task.createdAt) * sim.timeScale);
    const status = sim.elapsed(task.cancelRequestedAt) < CANCEL_MS ? 'cancelling' : 'cancelled';
    return { status, stepsDone };
  }
  if (elapsed < QUEUE_MS) return { status: 'queued', stepsDone: 0 };
  if (task.failReason) return { status: 'error', stepsDone: 0 };
  const stepsDone = stepsAt(elapsed);
  const status = elapsed < QUEUE_MS + total * STEP_MS ? 'active' : 'done';
  return { status, stepsDone };
}

const RUNNING = ['queued', 'active', 'cancelling'];

function schedulePlaybook(ctx, [playbookId]) {
  const playbook = PLAYBOOKS.find((p) => p._id === playbookId);
  if (!playbook) return answerProblem(ctx, 404, 'playbook_not_found', `playbook ${playbookId} not found`);
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) return answerProblem(ctx, 400, 'invalid_json', parsed.message);
  const body = parsed.value;
  if (!isPlainObject(body)) return answerProblem(ctx, 400, 'invalid_body', 'request body must be a JSON object');
  const details = ['entrypoint', 'flowId', 'localeId']
    .filter((field) => typeof body[field] !== 'string' || body[field].trim() === '')
    .map((field) => ({ field, message: 'is required (non-empty string)' }));
  if (details.length) return answerProblem(ctx, 400, 'validation_error', `missing: ${details.map((d) => d.field).join(', ')}`, details);

  const { sim } = ctx;
  const running = [...sim.v2.tasks.values()].filter((t) => RUNNING.includes(taskProgress(sim, t).status));
  if (running.length >= MAX_CONCURRENT_RUNS) {
    const remainingMs = Math.min(...running.map((t) => (QUEUE_MS + t.steps.length * STEP_MS - sim.elapsed(t.createdAt)) / sim.timeScale));
    const retryAfter = String(Math.max(1, Math.ceil(remainingMs / 1000)));
    return answerProblem(ctx, 429, 'too_many_runs', `at most ${MAX_CONCURRENT_RUNS} playbook runs may run at once`, {}, { 'Retry-After': retryAfter });
  }
  const task = {
    _id: nextObjectId(sim, 'd'),
    playbookId,
    runId: nextObjectId(sim, 'c'),
    createdAt: Date.now(),
    activePolls: 0,
    cancelRequestedAt: null,
    flowId: body.flowId,
    localeId: body.localeId,
    entrypoint: body.entrypoint,
    failReason: FLOWS.some((f) => f._id === body.flowId) ? null : `Flow ${body.flowId} not found`,
    steps: playbook.steps.map(bot.evaluateStep),
  };
  sim.v2.tasks.set(task._id, task);
  // The answer is the task as created (queued), as the platform answers a schedule: however long
  // building it took, a fast time scale must not show it already active.
  sendJson(ctx.res, 200, taskBody(sim, task, { status: 'queued', stepsDone: 0 }));
}

/**
 * A task as the platform answers it: `{ _id, name, status, currentStep, totalStep, failReason, data,
 * createdAt, lastChanged (unix seconds), lastRunAt, lastFinishedAt (ISO dates or null), createdBy,
 * lastChangedBy }`. `data.playbookRunId` is there once the run id is known (see getTask).
 */
function taskBody(sim, task, { status, stepsDone }) {
  const queuedUntil = task.createdAt + QUEUE_MS / sim.timeScale;
  const ran = status !== 'queued' && !(task.cancelRequestedAt !== null && task.cancelRequestedAt < queuedUntil);
  const finished = ['done', 'cancelled', 'error'].includes(status);
  const finishedAt = task.cancelRequestedAt !== null ? task.cancelRequestedAt + CANCEL_MS / sim.timeScale : queuedUntil + (task.failReason ? 0 : (task.steps.length * STEP_MS) / sim.timeScale);
  const data = {};
  if (status === 'done' || task.activePolls > POLLS_BEFORE_RUN_ID) data.playbookRunId = task.runId;
  const changedAt = finished ? finishedAt : ran ? queuedUntil : task.createdAt;
  return {
    _id: task._id,
    name: 'runPlaybook',
    status,
    currentStep: stepsDone,
    totalStep: task.steps.length,
    failReason: status === 'error' ? task.failReason : '',
    data,
    createdAt: unixSeconds(task.createdAt),
    lastChanged: unixSeconds(changedAt),
    lastRunAt: ran ? new Date(queuedUntil).toISOString() : null,
    lastFinishedAt: finished ? new Date(finishedAt).toISOString() : null,
    createdBy: USER_ID,
    lastChangedBy: USER_ID,
  };
}

function findTask(ctx, taskId) {
  const task = ctx.sim.v2.tasks.get(taskId);
  if (!task) answerProblem(ctx, 404, 'task_not_found', `task ${taskId} not found`);
  return task;
}

function getTask(ctx, [taskId]) {
  const task = findTask(ctx, taskId);
  if (!task) return;
  const progress = taskProgress(ctx.sim, task);
  if (progress.status === 'active') task.activePolls += 1;
  sendJson(ctx.res, 200, taskBody(ctx.sim, task, progress));
}

/** `GET /new/v2.0/tasks`: every task, newest first, paged like the other lists (polls are not counted). */
function listTasks(ctx) {
  const { sim } = ctx;
  const tasks = [...sim.v2.tasks.values()].reverse();
  answerPage(ctx, tasks.map((task) => taskBody(sim, task, taskProgress(sim, task))));
}

function cancelTask(ctx, [taskId]) {
  const task = findTask(ctx, taskId);
  if (!task) return;
  const { status } = taskProgress(ctx.sim, task);
  if (status === 'queued' || status === 'active') task.cancelRequestedAt = Date.now();
  else if (status !== 'cancelling') return answerProblem(ctx, 409, 'task_finished', `task ${taskId} is already ${status}`);
  sendJson(ctx.res, 200, taskBody(ctx.sim, task, taskProgress(ctx.sim, task)));
}

function getRun(ctx, [playbookId, runId]) {
  const task = [...ctx.sim.v2.tasks.values()].find((t) => t.runId === runId && t.playbookId === playbookId);
  const progress = task && taskProgress(ctx.sim, task);
  if (!task || progress.status === 'error') return answerProblem(ctx, 404, 'run_not_found', `playbook run ${runId} not found`);
  const stepResults = task.steps.slice(0, progress.stepsDone);
  const runStatus = {
    queued: 'queued',
    active: 'running',
    cancelling: 'cancelled',
    cancelled: 'cancelled',
    done: stepResults.some((s) => s.status === 'failed') ? 'failed' : 'successful',
  }[progress.status];
  const playbook = PLAYBOOKS.find((p) => p._id === playbookId);
  sendJson(ctx.res, 200, {
    _id: runId,
    playbookId,
    taskId: task._id,
    status: runStatus,
    flowId: task.flowId,
    localeId: task.localeId,
    entrypoint: task.entrypoint,
    createdAt: unixSeconds(task.createdAt),
    lastChanged: unixSeconds(Date.now()),
    createdBy: USER_ID,
    stepResults: stepResults.map((result, s) => ({
      _id: playbook.steps[s]._id,
      ...result,
      asserts: result.asserts.map((a, i) => ({ _id: playbook.steps[s].asserts[i]._id, ...a })),
    })),
  });
}

/** Routes: `[method, path regex (captures are URL-decoded params), handler(ctx, params)]`. */
const ROUTES = [
  ['GET', /^\/new\/v2\.0\/playbooks$/, listPlaybooks],
  ['GET', /^\/new\/v2\.0\/playbooks\/([^/]+)$/, getPlaybook],
  ['POST', /^\/new\/v2\.0\/playbooks\/([^/]+)\/schedule$/, schedulePlaybook],
  ['GET', /^\/new\/v2\.0\/playbooks\/([^/]+)\/runs\/([^/]+)$/, getRun],
  ['GET', /^\/new\/v2\.0\/tasks$/, listTasks],
  ['GET', /^\/new\/v2\.0\/tasks\/([^/]+)$/, getTask],
  ['POST', /^\/new\/v2\.0\/tasks\/([^/]+)\/cancel$/, cancelTask],
  ['GET', /^\/new\/v2\.0\/flows$/, listFlows],
  ['GET', /^\/new\/v2\.0\/flows\/([^/]+)\/intents$/, listFlowIntents],
].map(([method, path, handler]) => [method, path, guarded(handler)]);

module.exports = {
  ROUTES,
  guarded,
  PLAYBOOKS,
  FLOWS,
  LOCALE_ID,
  ENTRYPOINT,
  USER_ID,
  QUEUE_MS,
  STEP_MS,
  CANCEL_MS,
  MAX_CONCURRENT_RUNS,
  POLLS_BEFORE_RUN_ID,
  createV2State,
};
