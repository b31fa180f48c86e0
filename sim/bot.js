'use strict';
// The simulated bot: a deterministic function of the user's text. Both API profiles use it, and tests
// import it to compute the expected results independently of the HTTP layer.

/** Intent rules, first match wins. Each keyword is matched as a whole word (case-insensitive). */
const INTENT_RULES = [
  { intent: 'intent_password_reset', keywords: ['password', 'reset', 'locked out', 'log in', 'login'] },
  { intent: 'intent_refund', keywords: ['refund', 'money back', 'reimburse'] },
  { intent: 'intent_order_pizza', keywords: ['order', 'pizza', 'pizzas', 'delivery'] },
  { intent: 'intent_weather', keywords: ['weather', 'forecast', 'rain', 'sunny', 'temperature'] },
  { intent: 'intent_business_hours', keywords: ['hours', 'open', 'opening', 'close', 'closing'] },
  { intent: 'intent_greeting', keywords: ['hello', 'hi', 'hey', 'good morning', 'good evening', 'greetings'] },
];

const FALLBACK_INTENT = 'intent_fallback';

/** Every intent the bot can answer with (the fallback included). */
const INTENTS = [...INTENT_RULES.map((rule) => rule.intent), FALLBACK_INTENT];

/** Cities the bot recognises as the `city` entity. */
const CITIES = ['Amsterdam', 'Berlin', 'Dusseldorf', 'London', 'Madrid', 'New York', 'Paris', 'Rome', 'Tokyo', 'Vienna', 'Zurich'];

/** Entity extractors, in the order their names appear in `extracted_entities`. */
const ENTITY_RULES = [
  { name: 'user_id', match: (text) => (/\b(my (account|password|profile)|user)\b/i.test(text) ? 'current_user' : null) },
  { name: 'email', match: (text) => firstMatch(text, /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/) },
  { name: 'number', match: (text) => firstMatch(text.replace(/\S+@\S+/g, ' '), /\b\d+(?:\.\d+)?\b/) },
  { name: 'city', match: (text) => CITIES.find((city) => wordRegex(city).test(text)) || null },
  { name: 'size', match: (text) => firstMatch(text, /\b(small|medium|large)\b/i, (m) => m.toLowerCase()) },
  { name: 'date', match: (text) => firstMatch(text, /\b(today|tomorrow|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b/i, (m) => m.toLowerCase()) },
];

/** Every entity name the bot can extract. */
const ENTITIES = ENTITY_RULES.map((rule) => rule.name);

/** Latency above which a case counts as slow in the simulated distribution. */
const SLOW_LATENCY_MS = 800;

function firstMatch(text, regex, map = (m) => m) {
  const found = regex.exec(text);
  return found ? map(found[0]) : null;
}

function escapeRegex(text) {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function wordRegex(phrase) {
  return new RegExp(`\\b${escapeRegex(phrase).replace(/ /g, '\\s+')}\\b`, 'i');
}

const KEYWORD_REGEXES = new Map(INTENT_RULES.map((rule) => [rule.intent, rule.keywords.map(wordRegex)]));

/** FNV-1a 32-bit hash of the UTF-8 bytes of `text` (unsigned). */
function hash(text) {
  let h = 0x811c9dc5;
  for (const byte of Buffer.from(String(text), 'utf8')) {
    h ^= byte;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

function responseText(intent, entities) {
  switch (intent) {
    case 'intent_password_reset':
      return 'I have sent a password reset link to the email address on your account.';
    case 'intent_refund':
      return 'I have opened a refund request; the money will be back on your card within 5 business days.';
    case 'intent_order_pizza':
      return entities.size
        ? `Great, I will order a ${entities.size} pizza for you.`
        : 'Great, let us order a pizza. What size would you like?';
    case 'intent_weather':
      return entities.city
        ? `The weather in ${entities.city} is sunny with 21 degrees.`
        : 'Which city would you like the weather for?';
    case 'intent_business_hours':
      return 'We are open from 9am to 5pm, Monday to Friday.';
    case 'intent_greeting':
      return 'Hello! How can I help you today?';
    default:
      return 'Sorry, I did not understand that. Could you rephrase it?';
  }
}

/**
 * What the bot answers to `text`: `{ intent, confidence, entities: [names], entityValues: {name: value},
 * responseText, latencyMs }`. Pure and deterministic.
 */
function respond(text) {
  const input = String(text ?? '').trim();
  const h = hash(input);
  const rule = INTENT_RULES.find((r) => KEYWORD_REGEXES.get(r.intent).some((re) => re.test(input)));
  const intent = rule ? rule.intent : FALLBACK_INTENT;
  const confidence = rule ? 0.75 + (h % 24) / 100 : 0.2 + (h % 26) / 100;
  const entityValues = {};
  for (const entity of ENTITY_RULES) {
    const value = entity.match(input);
    if (value !== null) entityValues[entity.name] = value;
  }
  // About one case in seven is slow (above SLOW_LATENCY_MS); the others answer in 60..599 ms.
  const slow = (h >>> 8) % 7 === 0;
  const latencyMs = slow ? SLOW_LATENCY_MS + 50 + (h % 1500) : 60 + (h % 540);
  return {
    intent,
    confidence: Math.round(confidence * 100) / 100,
    entities: Object.keys(entityValues),
    entityValues,
    responseText: responseText(intent, entityValues),
    latencyMs,
  };
}

function present(value) {
  return value !== undefined && value !== null && value !== '';
}

/**
 * The seed-v1 `test_results[]` entry for one submitted case (snake_case, as on the wire).
 * Assertions: `intent` when an intent is expected, one `entity` per expected entity, `response_contains`
 * (case-insensitive substring) when expected, and always `latency` (passed when latency <= allowed).
 */
function evaluateCase(testCase, caseIndex) {
  const outcome = (testCase && testCase.outcome) || {};
  const answer = respond(testCase && testCase.input_text);
  const assertions = [];
  if (present(outcome.expected_intent)) {
    assertions.push({
      type: 'intent',
      expected: outcome.expected_intent,
      actual: answer.intent,
      passed: answer.intent === outcome.expected_intent,
    });
  }
  for (const entity of Array.isArray(outcome.expected_entities) ? outcome.expected_entities : []) {
    assertions.push({ type: 'entity', expected: entity, actual: answer.entities, passed: answer.entities.includes(entity) });
  }
  if (present(outcome.expected_response_contains)) {
    const expected = String(outcome.expected_response_contains);
    assertions.push({
      type: 'response_contains',
      expected,
      actual: answer.responseText,
      passed: answer.responseText.toLowerCase().includes(expected.toLowerCase()),
    });
  }
  assertions.push({
    type: 'latency',
    expected: outcome.allowed_latency_ms,
    actual: answer.latencyMs,
    passed: answer.latencyMs <= outcome.allowed_latency_ms,
  });
  return {
    case_index: caseIndex,
    input_text: testCase && testCase.input_text,
    matched_intent: answer.intent,
    intent_confidence: answer.confidence,
    extracted_entities: answer.entities,
    response_text: answer.responseText,
    latency_ms: answer.latencyMs,
    assertions,
  };
}

/** Case status as WIRE.md defines it: 'failed' | 'unverified' | 'passed'. */
function caseStatus(result) {
  const assertions = result.assertions || [];
  if (assertions.some((a) => !a.passed)) return 'failed';
  if (!assertions.some((a) => a.type !== 'latency')) return 'unverified';
  return 'passed';
}

/** The intent name a cognigy-v2 flow uses for a bot intent (`intent_order_pizza` → `orderPizza`); null for fallback. */
function flowIntentName(intent) {
  if (intent === FALLBACK_INTENT) return null;
  return intent.replace(/^intent_/, '').replace(/_([a-z])/g, (_, c) => c.toUpperCase());
}

function evaluateAssert(assert, answer) {
  const params = assert.params || {};
  let actual = null;
  let ok = false;
  switch (assert.type) {
    case 'assertIntent':
      actual = flowIntentName(answer.intent);
      ok = actual === params.intent;
      break;
    case 'assertSlot':
      actual = answer.entityValues[params.slot] ?? null;
      ok = actual !== null;
      break;
    case 'assertText': {
      actual = answer.responseText;
      const wanted = String(params.text ?? '');
      ok = params.fuzzy ? actual.toLowerCase().includes(wanted.toLowerCase()) : actual === wanted;
      break;
    }
    default:
      // assertData / assertState / assertContext: the simulated bot keeps no data, state or context.
      ok = false;
  }
  const negate = Boolean(assert.negate);
  return { type: assert.type, status: ok !== negate ? 'successful' : 'failed', params, negate, actual };
}

/**
 * The cognigy-v2 `stepResults[]` entry for one playbook step `{ text, asserts: [{ type, params, negate }] }`.
 * A step fails when one of its asserts fails; a step without asserts is 'successful' (and unverified).
 */
function evaluateStep(step) {
  const answer = respond(step.text);
  const asserts = (step.asserts || []).map((a) => evaluateAssert(a, answer));
  return {
    status: asserts.some((a) => a.status === 'failed') ? 'failed' : 'successful',
    text: step.text,
    data: {},
    timeout: step.timeout || 20000,
    latencyMs: answer.latencyMs,
    asserts,
  };
}

/**
 * NLU scores of `sentence` against a flow's intent names, from the same rules as `respond`: the intent the
 * bot recognises (when the flow has it) scores the bot's confidence; every other intent a lower, deterministic
 * score (below 0.2 when an intent was recognised, below the fallback's confidence otherwise).
 * Returns `[{ name, score }]`, highest score first (ties by name).
 */
function nluScores(sentence, intentNames) {
  const answer = respond(sentence);
  const top = flowIntentName(answer.intent);
  const ceiling = top === null ? answer.confidence : 0.2;
  // Other intents: whole hundredths in 0 .. ceiling - 0.01, from a hash of the sentence and the name.
  const other = (name) => Math.floor(((hash(`${sentence}\u0000${name}`) % 1000) / 1000) * Math.round(ceiling * 100)) / 100;
  return intentNames
    .map((name) => ({ name, score: name === top ? answer.confidence : other(name) }))
    .sort((x, y) => y.score - x.score || (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
}

/** Entity values the bot keeps in a conversation (slots), merged over its turns. */
function newMemory() {
  return { slots: {}, lastIntent: null, turns: 0 };
}

/**
 * One REST Endpoint turn of a conversation: the bot answers `text` with the slots of `memory` (which it
 * updates). A turn the bot does not understand that only names an entity continues the previous intent
 * ("large" after "I want a pizza"). Returns `{ intent, slots, outputs: [text, ...] }`: the answer texts of
 * the turn, a second one listing the slots remembered from earlier turns when there are any.
 */
function converse(memory, text) {
  const answer = respond(text);
  const remembered = Object.keys(memory.slots).filter((name) => !(name in answer.entityValues));
  const continues = answer.intent === FALLBACK_INTENT && answer.entities.length > 0 && memory.lastIntent !== null;
  const intent = continues ? memory.lastIntent : answer.intent;
  Object.assign(memory.slots, answer.entityValues);
  memory.lastIntent = intent === FALLBACK_INTENT ? memory.lastIntent : intent;
  memory.turns += 1;
  const outputs = [responseText(intent, memory.slots)];
  if (remembered.length > 0) outputs.push(`I remember: ${remembered.map((name) => `${name} ${memory.slots[name]}`).join(', ')}.`);
  return { intent, slots: { ...memory.slots }, outputs };
}

module.exports = {
  INTENTS,
  ENTITIES,
  CITIES,
  FALLBACK_INTENT,
  SLOW_LATENCY_MS,
  hash,
  respond,
  evaluateCase,
  caseStatus,
  flowIntentName,
  evaluateStep,
  nluScores,
  newMemory,
  converse,
};
