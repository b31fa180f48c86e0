'use strict';
// A Cognigy REST Endpoint (`POST /endpoint/:urlToken`) answered by the simulated bot, with a memory per
// session, and NLU scores (`POST /new/v2.0/projects/:projectId/nlu/scores`) from the same rules.

const bot = require('./bot');
const { sendJson, sendError, parseJsonBody, isPlainObject } = require('./http');
const { FLOWS, LOCALE_ID, guarded } = require('./cognigy-v2');

/** The sample project whose NLU scores the simulator answers. */
const PROJECT_ID = '650000000000000000000a01';
/** The default URL token of the REST Endpoint (`/endpoint/demo-endpoint-token`). */
const DEMO_ENDPOINT_TOKEN = 'demo-endpoint-token';
/** Session log entries kept (oldest dropped). */
const MAX_LOG_ENTRIES = 10000;

/** Per-simulator endpoint state: conversations, the session log and the in-flight counter. */
function createEndpointState() {
  return { sessions: new Map(), log: [], seq: 0, dropped: 0, inFlight: 0, maxInFlight: 0, requests: 0 };
}

/**
 * Counts a request to `/endpoint/*` as in flight from now until its answer is sent or its connection closes
 * (fault delays included): the server calls this before faults apply.
 */
function trackInFlight(sim, res) {
  const state = sim.endpoint;
  state.inFlight += 1;
  state.requests += 1;
  state.maxInFlight = Math.max(state.maxInFlight, state.inFlight);
  let done = false;
  const finish = () => {
    if (done) return;
    done = true;
    state.inFlight -= 1;
  };
  res.once('finish', finish);
  res.once('close', finish);
}

/** Answers 400 and returns null. */
function refuse(ctx, message, details) {
  sendError(ctx.res, ctx.pathname, 400, { code: 'bad_request', message, details });
  return null;
}

/** Checks `{ userId, sessionId, text?, data? }`; answers 400 and returns null when it is not that. */
function messageBody(ctx) {
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) return refuse(ctx, parsed.message);
  const body = parsed.value;
  if (!isPlainObject(body)) return refuse(ctx, 'request body must be a JSON object');
  const details = ['userId', 'sessionId']
    .filter((field) => typeof body[field] !== 'string' || body[field] === '')
    .map((field) => ({ field, message: 'is required (non-empty string)' }));
  if (body.text !== undefined && typeof body.text !== 'string') details.push({ field: 'text', message: 'must be a string' });
  if (body.data !== undefined && !isPlainObject(body.data)) details.push({ field: 'data', message: 'must be an object' });
  if (body.text === undefined && body.data === undefined) details.push({ field: 'text', message: 'text or data is required' });
  if (details.length) return refuse(ctx, `invalid message: ${details.map((d) => d.field).join(', ')}`, details);
  return body;
}

function record(state, entry) {
  state.seq += 1;
  state.log.push({ seq: state.seq, at: new Date().toISOString(), ...entry });
  if (state.log.length > MAX_LOG_ENTRIES) {
    state.log.shift();
    state.dropped += 1;
  }
}

/**
 * `POST /endpoint/:urlToken` `{ userId, sessionId, text, data }` → after the bot's latency (scaled by
 * timeScale) `{ text, data: { ...data, slots, turn }, outputStack: [{ text, data: {}, source: 'bot' }],
 * userId, sessionId }`; `text` joins the outputs with a space. A new `sessionId` (per URL token and user)
 * starts a new conversation. An unknown token is 404.
 */
async function message(ctx, [urlToken]) {
  const { sim } = ctx;
  if (!sim.options.endpointTokens.includes(urlToken)) {
    return sendError(ctx.res, ctx.pathname, 404, { code: 'endpoint_not_found', message: 'no endpoint with this URL token' });
  }
  const body = messageBody(ctx);
  if (!body) return;
  const state = sim.endpoint;
  const key = JSON.stringify([urlToken, body.userId, body.sessionId]);
  const newSession = !state.sessions.has(key);
  if (newSession) state.sessions.set(key, bot.newMemory());
  const memory = state.sessions.get(key);
  const text = body.text ?? '';
  const turn = bot.converse(memory, text);
  const latencyMs = bot.respond(text).latencyMs;
  if (!(await sim.sleep(latencyMs / sim.timeScale))) return;
  const data = { ...(body.data || {}), slots: turn.slots, turn: memory.turns };
  record(state, {
    userId: body.userId,
    sessionId: body.sessionId,
    newSession,
    turn: memory.turns,
    text,
    data: body.data ?? null,
    intent: turn.intent,
    slots: turn.slots,
    outputs: turn.outputs,
  });
  sendJson(ctx.res, 200, {
    text: turn.outputs.join(' '),
    data,
    outputStack: turn.outputs.map((output) => ({ text: output, data: {}, source: 'bot' })),
    userId: body.userId,
    sessionId: body.sessionId,
  });
}

function answerProblem(ctx, status, message, details) {
  sendError(ctx.res, ctx.pathname, status, { code: 'nlu_scores', message, details });
}

/**
 * `POST /new/v2.0/projects/:projectId/nlu/scores` `{ flowReferenceId, localeReferenceId, sentence }` →
 * `{ scores: [{ id, name, score, negated: false, flow }] }`, highest first, one per intent of the flow
 * (see `bot.nluScores`). An unknown project, flow or locale is 404; a missing field 400.
 */
function nluScores(ctx, [projectId]) {
  const parsed = parseJsonBody(ctx.body);
  if (!parsed.ok) return answerProblem(ctx, 400, parsed.message);
  const body = parsed.value;
  if (!isPlainObject(body)) return answerProblem(ctx, 400, 'request body must be a JSON object');
  const details = ['flowReferenceId', 'localeReferenceId', 'sentence']
    .filter((field) => typeof body[field] !== 'string' || (field !== 'sentence' && body[field] === ''))
    .map((field) => ({ field, message: 'is required (string)' }));
  if (details.length) return answerProblem(ctx, 400, `missing: ${details.map((d) => d.field).join(', ')}`, details);
  if (projectId !== PROJECT_ID) return answerProblem(ctx, 404, `project ${projectId} not found`);
  const flow = FLOWS.find((f) => f._id === body.flowReferenceId);
  if (!flow) return answerProblem(ctx, 404, `flow ${body.flowReferenceId} not found`);
  if (body.localeReferenceId !== LOCALE_ID) return answerProblem(ctx, 404, `locale ${body.localeReferenceId} not found`);
  const ids = new Map(flow.intents.map((i) => [i.name, i._id]));
  const scores = bot.nluScores(body.sentence, [...ids.keys()]);
  sendJson(ctx.res, 200, { scores: scores.map(({ name, score }) => ({ id: ids.get(name), name, score, negated: false, flow: flow._id })) });
}

/** The inspection answer of `GET /__sim/endpoint[?sessionId=&userId=]`. */
function describe(sim, { sessionId, userId } = {}) {
  const state = sim.endpoint;
  const entries = state.log.filter((e) => (!sessionId || e.sessionId === sessionId) && (!userId || e.userId === userId));
  return {
    log: entries,
    count: entries.length,
    dropped: state.dropped,
    sessions: state.sessions.size,
    requests: state.requests,
    inFlight: state.inFlight,
    maxInFlight: state.maxInFlight,
  };
}

/** Forgets conversations and the log, and restarts the counters (requests still in flight stay counted). */
function clear(sim) {
  const state = sim.endpoint;
  Object.assign(state, { sessions: new Map(), log: [], seq: 0, dropped: 0, requests: 0, maxInFlight: state.inFlight });
}

/** Routes: `[method, path regex, handler(ctx, params)]`. */
const ROUTES = [
  [
    'POST',
    /^\/endpoint\/([^/]+)$/,
    (ctx, params) =>
      message(ctx, params).catch((err) => sendError(ctx.res, ctx.pathname, 500, { code: 'internal_error', message: `simulator error: ${err.message}` })),
  ],
  ['POST', /^\/new\/v2\.0\/projects\/([^/]+)\/nlu\/scores$/, guarded(nluScores)],
];

module.exports = { ROUTES, PROJECT_ID, DEMO_ENDPOINT_TOKEN, createEndpointState, trackInFlight, describe, clear };
