'use strict';
// The Cognigy Simulator API under /testing: scenarios, scheduling a batch of runs, batches, runs. A run plays
// the scenario's scripted user turns through the simulated bot (one conversation per run) and checks the
// scenario's success criteria against the bot's answers.

const bot = require('./bot');
const { sendJson, sendError, parseJsonBody, isPlainObject } = require('./http');
const { readWindow } = require('./paging');
const { FLOWS, USER_ID, guarded } = require('./cognigy-v2');
const { PROJECT_ID } = require('./endpoint');

/** Simulated time a batch waits before its first run, and each user turn of a run takes. */
const QUEUE_MS = 1000;
const TURN_MS = 1000;
/** Runs one schedule may ask for. */
const MAX_RUNS = 10;
const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const ORGANISATION = '650000000000000000000b01';
/** Unix milliseconds of the sample scenarios' `createdAt` / `lastChanged`. */
const SCENARIOS_CREATED_AT = 1735689600000;
const BATCH_STATUSES = ['STOPPED', 'IN_PROGRESS', 'COMPLETED', 'FAILED'];

const uuid = (kind, n) => `5c1d0000-0000-4000-8${kind}00-${String(n).padStart(12, '0')}`;
const said = (text) => ({ type: 'text', params: { text } });

/**
 * The sample scenarios. `variants` is the simulator's stand-in for an LLM persona: run i of a batch sends the
 * user turns of `variants[i % variants.length]`. Criteria `{ type: 'text', params: { text } }` are met when one
 * bot answer contains `text` (case-insensitive).
 */
const SCENARIOS = [
  {
    name: 'Password reset',
    personaName: 'Locked-out customer',
    persona: 'A customer who cannot log in any more.',
    mission: 'Get a password reset link.',
    successCriteria: [said('password reset link')],
    variants: [['Hi', 'I am locked out, please reset my password']],
  },
  {
    name: 'Weather for a city',
    personaName: 'Traveller',
    persona: 'Someone planning a trip.',
    mission: 'Learn the weather at the destination.',
    successCriteria: [said('sunny')],
    // The second variant never names a city: that run fails.
    variants: [
      ['Hello', 'What is the weather in Berlin?'],
      ['Hey', 'What is the weather like?'],
    ],
  },
  {
    name: 'Talk to a human',
    personaName: 'Impatient caller',
    persona: 'A caller who wants a person, not a bot.',
    mission: 'Get handed over to a human agent.',
    successCriteria: [said('agent'), said('transfer')],
    variants: [['I want to talk to a human']],
  },
].map((scenario, i) => ({
  id: `65000000000000000e${String(i + 1).padStart(6, '0')}`,
  referenceId: uuid('a', i + 1),
  ...scenario,
  organisationReference: ORGANISATION,
  projectReference: PROJECT_ID,
  createdAt: SCENARIOS_CREATED_AT,
  createdBy: USER_ID,
  lastChanged: SCENARIOS_CREATED_AT,
  lastChangedBy: USER_ID,
  maxTurns: 10,
  timeout: 300,
  flowReferenceId: FLOWS[0]._id,
  flowId: FLOWS[0]._id,
}));

/** Per-simulator Simulator API state: batches by reference, in schedule order. */
function createTestingState() {
  return { batches: new Map(), nextId: 1 };
}

function problem(ctx, status, message, details) {
  sendError(ctx.res, ctx.pathname, status, { code: 'testing', message, details });
}

/** The `projectId` query parameter must name the sample project: 400 when missing, 404 when unknown. */
function inProject(handler) {
  return (ctx, params) => {
    const projectId = ctx.query.get('projectId');
    if (!projectId) return problem(ctx, 400, 'projectId is required', [{ field: 'projectId', message: 'is required' }]);
    if (projectId !== PROJECT_ID) return problem(ctx, 404, `project ${projectId} not found`);
    return handler(ctx, params);
  };
}

/** Answers `{ data, pagination: { limit, skip, total, hasNext, hasPrevious, next, previous } }`. */
function answerList(ctx, items) {
  const read = readWindow(ctx.query, { defaultLimit: DEFAULT_LIMIT, maxLimit: MAX_LIMIT });
  if (!read.ok) return problem(ctx, 400, `invalid query: ${read.details.map((d) => d.field).join(', ')}`, read.details);
  const { items: data, total, limit, skip, next, previous } = read.window.page(items);
  sendJson(ctx.res, 200, { data, pagination: { limit, skip, total, hasNext: next !== null, hasPrevious: previous !== null, next, previous } });
}

function scenarioBody({ variants, ...scenario }) {
  return scenario;
}

function findScenario(ctx, reference) {
  const scenario = SCENARIOS.find((s) => s.referenceId === reference);
  if (!scenario) problem(ctx, 404, `scenario ${reference} not found`);
  return scenario;
}

/**
 * Plays run `sequence` (0-based) of a scenario: `{ turns: [{ text, source }], results, success }`, or an
 * `errorInfo` when the batch's flow does not exist.
 */
function playRun(scenario, sequence, flowExists) {
  if (!flowExists) return { userTurns: 0, turns: [], results: [], success: false, error: true };
  const memory = bot.newMemory();
  const script = scenario.variants[sequence % scenario.variants.length];
  const turns = [];
  for (const text of script) {
    turns.push({ text, source: 'user' });
    for (const output of bot.converse(memory, text).outputs) turns.push({ text: output, source: 'bot' });
  }
  const botTexts = turns.filter((t) => t.source === 'bot').map((t) => t.text.toLowerCase());
  const results = scenario.successCriteria.map((criterion) => {
    const met = botTexts.some((text) => text.includes(String(criterion.params.text).toLowerCase()));
    return { ...criterion, success: met, reason: met ? `the bot said "${criterion.params.text}"` : `the bot never said "${criterion.params.text}"` };
  });
  return { userTurns: script.length, turns, results, success: results.every((r) => r.success), error: false };
}

/** When each run of a batch ends (real ms), in order; runs play one after another after the queue. */
function runEnds(sim, batch) {
  let at = batch.createdAt + QUEUE_MS / sim.timeScale;
  return batch.runs.map((run) => {
    at += (Math.max(1, run.userTurns) * TURN_MS) / sim.timeScale;
    return at;
  });
}

/** The batch as listed: `{ id, referenceId, simulationReference, status, runs, completedRuns, failedRuns, ... }`. */
function batchBody(sim, batch) {
  const now = Date.now();
  const ends = runEnds(sim, batch);
  const finished = batch.runs.filter((_, i) => ends[i] <= now);
  const startedAt = batch.createdAt + QUEUE_MS / sim.timeScale;
  const done = finished.length === batch.runs.length;
  const failed = batch.runs.some((r) => r.error);
  let status = 'IN_PROGRESS';
  if (done) status = failed ? 'FAILED' : 'COMPLETED';
  return {
    id: batch.id,
    referenceId: batch.referenceId,
    simulationReference: batch.scenario.referenceId,
    runName: batch.runName,
    status,
    runs: batch.runs.length,
    completedRuns: finished.length,
    failedRuns: finished.filter((r) => !r.success).length,
    createdAt: batch.createdAt,
    startedAt: now >= startedAt ? Math.round(startedAt) : null,
    completedAt: done ? Math.round(ends.at(-1)) : null,
  };
}

/** A finished run as the API answers it. */
function runBody(sim, batch, run, index) {
  const ends = runEnds(sim, batch);
  const startedAt = index === 0 ? batch.createdAt + QUEUE_MS / sim.timeScale : ends[index - 1];
  const met = run.results.filter((r) => r.success).length;
  const criteria = run.results.length;
  const step = run.turns.length > 0 ? (ends[index] - startedAt) / run.turns.length : 0;
  return {
    id: run.id,
    organisationReference: ORGANISATION,
    projectReference: PROJECT_ID,
    simulationReference: batch.scenario.referenceId,
    simulationRunBatchReference: batch.referenceId,
    sequence: index + 1,
    largeLanguageModelReferenceId: null,
    turns: run.turns.map((turn, t) => ({
      id: `${run.id}-t${t + 1}`,
      sequence: t + 1,
      text: turn.text,
      data: { source: turn.source },
      createdAt: Math.round(startedAt + step * (t + 1)),
    })),
    totalTurns: run.turns.length,
    successCriteria: batch.scenario.successCriteria,
    metrics: {
      success: run.success,
      results: run.results,
      successRate: { percentage: criteria ? Math.round((100 * met) / criteria) : 0, numerator: met, denominator: criteria },
      summary: run.error
        ? 'The run could not start.'
        : `${met} of ${criteria} success criteria met in ${run.userTurns} user turns.`,
      isBatchStopped: false,
      isConversationEnded: true,
      errorInfo: run.error ? { message: `flow ${batch.flowReferenceId} not found`, technicalDetails: 'the runConfig names no flow of this project' } : null,
    },
    createdAt: Math.round(startedAt),
    createdBy: USER_ID,
    endPointType: 'rest',
    maxTurns: batch.scenario.maxTurns,
    duration: Math.round((ends[index] - startedAt) * sim.timeScale),
    expiresAt: new Date(batch.createdAt + 30 * 24 * 3600 * 1000).toISOString(),
  };
}

function listScenarios(ctx) {
  answerList(ctx, SCENARIOS.map(scenarioBody));
}

function getScenario(ctx, [reference]) {
  const scenario = findScenario(ctx, reference);
  if (scenario) sendJson(ctx.res, 200, scenarioBody(scenario));
}

/**
 * `POST /testing/simulations/:ref/schedule?projectId=` `{ runConfig: { flowReferenceId, localeReferenceId,
 * entrypoint?, userId?, data? }, numberOfRuns = 1, runName? }` → 200 with the new batch (as `batches` lists it).
 */
function schedule(ctx, [reference]) {
  const scenario = findScenario(ctx, reference);
  if (!scenario) return;
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) return problem(ctx, 400, parsed.message);
  const body = parsed.value ?? {};
  const details = [];
  if (!isPlainObject(body)) return problem(ctx, 400, 'request body must be a JSON object');
  const runConfig = body.runConfig;
  if (!isPlainObject(runConfig)) details.push({ field: 'runConfig', message: 'is required (object)' });
  else {
    for (const field of ['flowReferenceId', 'localeReferenceId']) {
      if (typeof runConfig[field] !== 'string' || runConfig[field] === '') details.push({ field: `runConfig.${field}`, message: 'is required (non-empty string)' });
    }
  }
  const numberOfRuns = body.numberOfRuns ?? 1;
  if (!(Number.isInteger(numberOfRuns) && numberOfRuns >= 1 && numberOfRuns <= MAX_RUNS)) details.push({ field: 'numberOfRuns', message: `must be an integer in 1..${MAX_RUNS}` });
  if (body.runName !== undefined && typeof body.runName !== 'string') details.push({ field: 'runName', message: 'must be a string' });
  if (details.length) return problem(ctx, 400, `invalid schedule: ${details.map((d) => d.field).join(', ')}`, details);

  const { sim } = ctx;
  const n = sim.testing.nextId++;
  const flowExists = FLOWS.some((f) => f._id === runConfig.flowReferenceId);
  const batch = {
    id: `65000000000000000f${String(n).padStart(6, '0')}`,
    referenceId: uuid('b', n),
    scenario,
    flowReferenceId: runConfig.flowReferenceId,
    runName: body.runName ?? `${scenario.name} #${n}`,
    createdAt: Date.now(),
    runs: Array.from({ length: numberOfRuns }, (_, i) => ({ id: uuid('c', n * 100 + i + 1), ...playRun(scenario, i, flowExists) })),
  };
  sim.testing.batches.set(batch.referenceId, batch);
  sendJson(ctx.res, 200, batchBody(sim, batch));
}

function listBatches(ctx, [reference]) {
  const scenario = findScenario(ctx, reference);
  if (!scenario) return;
  const status = ctx.query.get('status');
  if (status !== null && !BATCH_STATUSES.includes(status)) {
    return problem(ctx, 400, `status must be one of ${BATCH_STATUSES.join(', ')}`, [{ field: 'status', message: 'unknown status' }]);
  }
  const batches = [...ctx.sim.testing.batches.values()]
    .filter((b) => b.scenario === scenario)
    .reverse()
    .map((b) => batchBody(ctx.sim, b))
    .filter((b) => status === null || b.status === status);
  answerList(ctx, batches);
}

function findBatch(ctx, reference, batchReference) {
  const scenario = findScenario(ctx, reference);
  if (!scenario) return null;
  const batch = ctx.sim.testing.batches.get(batchReference);
  if (!batch || batch.scenario !== scenario) {
    problem(ctx, 404, `batch ${batchReference} not found`);
    return null;
  }
  return batch;
}

/** Runs of a batch that have finished, in sequence order. */
function finishedRuns(sim, batch) {
  const ends = runEnds(sim, batch);
  const now = Date.now();
  return batch.runs.map((run, i) => ({ run, i })).filter(({ i }) => ends[i] <= now);
}

function listRuns(ctx, [reference, batchReference]) {
  const batch = findBatch(ctx, reference, batchReference);
  if (batch) answerList(ctx, finishedRuns(ctx.sim, batch).map(({ run, i }) => runBody(ctx.sim, batch, run, i)));
}

function getRun(ctx, [reference, batchReference, runReference]) {
  const batch = findBatch(ctx, reference, batchReference);
  if (!batch) return;
  const found = finishedRuns(ctx.sim, batch).find(({ run }) => run.id === runReference);
  if (!found) return problem(ctx, 404, `run ${runReference} not found`);
  sendJson(ctx.res, 200, runBody(ctx.sim, batch, found.run, found.i));
}

/** Routes: `[method, path regex, handler(ctx, params)]`; each needs `?projectId=` and an API key or Bearer. */
const ROUTES = [
  ['GET', /^\/testing\/simulations$/, listScenarios],
  ['GET', /^\/testing\/simulations\/([^/]+)$/, getScenario],
  ['POST', /^\/testing\/simulations\/([^/]+)\/schedule$/, schedule],
  ['GET', /^\/testing\/simulations\/([^/]+)\/batches$/, listBatches],
  ['GET', /^\/testing\/simulations\/([^/]+)\/batches\/([^/]+)\/runs$/, listRuns],
  ['GET', /^\/testing\/simulations\/([^/]+)\/batches\/([^/]+)\/runs\/([^/]+)$/, getRun],
].map(([method, path, handler]) => [method, path, guarded(inProject(handler))]);

module.exports = { ROUTES, SCENARIOS, QUEUE_MS, TURN_MS, MAX_RUNS, createTestingState, playRun };
