'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const bot = require('../../sim/bot');

test('intents come from keyword rules, first rule wins', () => {
  const cases = {
    'I need to reset my password': 'intent_password_reset',
    'What are your business hours?': 'intent_business_hours',
    'I want to order a large pizza': 'intent_order_pizza',
    'What is the weather in Berlin?': 'intent_weather',
    'Can I get a refund for my pizza': 'intent_refund',
    'Hello there': 'intent_greeting',
    'Tell me a joke': 'intent_fallback',
    'Is the shop open tomorrow?': 'intent_business_hours',
  };
  for (const [text, intent] of Object.entries(cases)) assert.equal(bot.respond(text).intent, intent, text);
  // Keywords are whole words: "shipping" does not contain the greeting "hi".
  assert.equal(bot.respond('shipping').intent, 'intent_fallback');
});

test('entities come from simple patterns', () => {
  const answer = bot.respond('My account email is jane.doe@example.com, order 42 a large pizza to Paris tomorrow');
  assert.deepEqual(answer.entities, ['user_id', 'email', 'number', 'city', 'size', 'date']);
  assert.equal(answer.entityValues.email, 'jane.doe@example.com');
  assert.equal(answer.entityValues.number, '42');
  assert.equal(answer.entityValues.city, 'Paris');
  assert.equal(answer.entityValues.size, 'large');
  assert.deepEqual(bot.respond('hello').entities, []);
});

test('answers are deterministic and latency has a slow tail', () => {
  assert.deepEqual(bot.respond('What is the weather in Rome?'), bot.respond('What is the weather in Rome?'));
  const latencies = Array.from({ length: 400 }, (_, i) => bot.respond(`sample utterance ${i}`).latencyMs);
  const slow = latencies.filter((ms) => ms > bot.SLOW_LATENCY_MS).length;
  assert.ok(slow > 20 && slow < 120, `slow cases: ${slow}`);
  assert.ok(latencies.every((ms) => Number.isInteger(ms) && ms >= 60));
  assert.equal(bot.hash(''), 0x811c9dc5);
});

test('evaluateCase builds the WIRE.md assertions', () => {
  const text = 'I need to reset my password';
  const result = bot.evaluateCase(
    {
      input_text: text,
      outcome: {
        expected_intent: 'intent_password_reset',
        expected_entities: ['user_id', 'email'],
        expected_response_contains: 'PASSWORD RESET LINK',
        allowed_latency_ms: 100,
      },
    },
    7,
  );
  assert.equal(result.case_index, 7);
  assert.equal(result.input_text, text);
  assert.deepEqual(
    result.assertions.map((a) => [a.type, a.expected, a.passed]),
    [
      ['intent', 'intent_password_reset', true],
      ['entity', 'user_id', true],
      ['entity', 'email', false],
      ['response_contains', 'PASSWORD RESET LINK', true],
      ['latency', 100, bot.respond(text).latencyMs <= 100],
    ],
  );
  assert.equal(bot.caseStatus(result), 'failed');

  const latencyOnly = bot.evaluateCase({ input_text: 'hello', outcome: { allowed_latency_ms: 5000 } }, 0);
  assert.deepEqual(latencyOnly.assertions.map((a) => a.type), ['latency']);
  assert.equal(bot.caseStatus(latencyOnly), 'unverified');

  const passing = bot.evaluateCase({ input_text: 'hello', outcome: { expected_intent: 'intent_greeting', allowed_latency_ms: 5000 } }, 0);
  assert.equal(bot.caseStatus(passing), 'passed');
});

test('evaluateStep evaluates cognigy-v2 asserts, negate included', () => {
  const step = bot.evaluateStep({
    text: 'I want to order a large pizza',
    asserts: [
      { type: 'assertIntent', params: { intent: 'orderPizza' }, negate: false },
      { type: 'assertSlot', params: { slot: 'size' }, negate: false },
      { type: 'assertSlot', params: { slot: 'city' }, negate: false },
      { type: 'assertText', params: { text: 'pizza', fuzzy: true }, negate: false },
      { type: 'assertText', params: { text: 'pizza', fuzzy: false }, negate: false },
      { type: 'assertIntent', params: { intent: 'refund' }, negate: true },
    ],
  });
  assert.deepEqual(step.asserts.map((a) => a.status), ['successful', 'successful', 'failed', 'successful', 'failed', 'successful']);
  assert.deepEqual(step.asserts.map((a) => a.actual).slice(0, 3), ['orderPizza', 'large', null]);
  assert.equal(step.status, 'failed');
  assert.equal(step.timeout, 20000);
  assert.equal(step.latencyMs, bot.respond('I want to order a large pizza').latencyMs);
  assert.equal(bot.evaluateStep({ text: 'hello', asserts: [] }).status, 'successful');
  assert.equal(bot.flowIntentName('intent_business_hours'), 'businessHours');
  assert.equal(bot.flowIntentName(bot.FALLBACK_INTENT), null);
});
