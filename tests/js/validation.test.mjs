// Validation exports of the built package: never throw, whatever the input.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const g = createRequire(import.meta.url)(pkgDir);

const seedConfig = {
  endpoint_id: 'ext_svc_weather_01',
  max_wait_time_ms: 15000,
  fallback_template: '{"message": "Service temporarily unavailable. Please try again.", "metadata": {}}',
  sla_threshold_ms: 10000,
};

test('the seed example config validates, with the 20 s budget warning', () => {
  const r = g.validateTimeoutConfig(seedConfig);
  assert.equal(r.ok, true);
  assert.equal(r.value.endpointId, 'ext_svc_weather_01');
  assert.deepEqual(r.value.fallbackTemplate, { message: 'Service temporarily unavailable. Please try again.', metadata: {} });
  assert.equal(r.value.retryAttempts, 2);
  assert.deepEqual(r.warnings.map((w) => w.code), ['BUDGET_EXCEEDED']);
});

test('buildTimeoutPayload gives the seed wire payload', () => {
  const p = g.buildTimeoutPayload(seedConfig);
  assert.deepEqual(p.timeoutConfiguration, { maxWaitTimeMs: 15000, retryAttempts: 2, backoffMs: 500 });
  assert.equal(p.fallbackConfiguration.routeTo, 'notification_queue');
  assert.deepEqual(JSON.parse(p.fallbackConfiguration.template).metadata, {});
  assert.deepEqual(p.slaConfiguration, { thresholdMs: 10000, alertEnabled: true });
});

test('every problem is reported at once, with paths', () => {
  const r = g.validateTestExecution({
    suiteId: '',
    executionTimeoutSeconds: 10,
    testCases: [{ inputText: 'hi', outcome: { allowedLatencyMs: 50 } }, { outcome: {} }],
  });
  assert.equal(r.ok, false);
  const paths = r.errors.map((e) => `${e.path}:${e.code}`).sort();
  assert.deepEqual(paths, [
    'executionTimeoutSeconds:OUT_OF_RANGE',
    'suiteId:EMPTY',
    'testCases[0].outcome.allowedLatencyMs:OUT_OF_RANGE',
    'testCases[1].inputText:REQUIRED',
    'testCases[1].outcome.allowedLatencyMs:REQUIRED',
  ]);
});

test('hostile input never throws: undefined, cyclic, BigInt, functions, deep, huge', () => {
  const cyclic = { endpointId: 'x' };
  cyclic.self = cyclic;
  let deep = {};
  for (let i = 0; i < 5000; i++) deep = { a: deep };
  const inputs = [undefined, null, 42, 'text', [], cyclic, { n: 1n }, () => 1, Symbol('s'), deep,
    { testCases: new Array(20000).fill({ inputText: 'x' }) }];
  for (const input of inputs) {
    for (const fn of [g.validateTimeoutConfig, g.validateTestExecution]) {
      const r = fn(input);
      assert.equal(r.ok, false);
      assert.ok(r.errors.length > 0 && r.errors.length <= 101);
    }
  }
  assert.equal(g.validateTimeoutConfig(cyclic).errors[0].code, 'NOT_JSON');
  assert.equal(g.validateTimeoutConfig(undefined).errors[0].code, 'REQUIRED');
  assert.equal(g.validateTimeoutConfigJson('{"endpointId": ').errors[0].code, 'INVALID_JSON');
  for (const notText of [undefined, null, 42, {}, ['{}'], new String('{}')]) {
    for (const fn of [g.validateTimeoutConfigJson, g.validateTestExecutionJson]) {
      const r = fn(notText);
      assert.deepEqual([r.ok, r.errors[0].code, r.errors[0].path], [false, 'TYPE', '']);
    }
  }
  // The instance still works after all of that.
  assert.equal(g.validateTimeoutConfig(seedConfig).ok, true);
});

test('JSON text keeps every character: non-ASCII, escapes, astral planes', () => {
  const suiteOf = (inputText) => ({ suiteId: 's1', executionTimeoutSeconds: 60, testCases: [{ inputText, outcome: { expectedIntent: 'i', allowedLatencyMs: 1000 } }] });
  for (const inputText of ['Grüße, café ☕', 'emoji 🤖 and 𝄞', 'tab\tquote" backslash\\', `${'x'.repeat(4000)}é€🤖`]) {
    const fromText = g.validateTestExecutionJson(JSON.stringify(suiteOf(inputText)));
    assert.equal(fromText.ok, true, JSON.stringify(fromText.errors));
    assert.equal(fromText.value.testCases[0].inputText, inputText);
    assert.deepEqual(g.validateTestExecution(suiteOf(inputText)), fromText);
  }
  // A lone surrogate has no UTF-8 form: typed into the text it arrives as U+FFFD (as with
  // TextEncoder); escaped by JSON.stringify, the escape is mended to U+FFFD too (never INVALID_JSON).
  const raw = '{"suiteId":"s1","executionTimeoutSeconds":60,"testCases":[{"inputText":"a\ud800b","outcome":{"expectedIntent":"i","allowedLatencyMs":1000}}]}';
  assert.equal(g.validateTestExecutionJson(raw).value.testCases[0].inputText, 'a\ufffdb');
  assert.equal(g.validateTestExecution(suiteOf('a\ud800b')).value.testCases[0].inputText, 'a\ufffdb');
  // Long text: still counted in characters, not bytes.
  const long = g.validateTestExecutionJson(JSON.stringify(suiteOf('é'.repeat(4097))));
  assert.deepEqual([long.errors[0].code, long.errors[0].path], ['TOO_LONG', 'testCases[0].inputText']);
});

test('validation from UTF-8 bytes and without the value when asked (value: false)', () => {
  const text = JSON.stringify({ ...seedConfig, endpoint_id: 'ext_svc_wetter_ü' });
  const full = g.validateTimeoutConfigJson(text);
  assert.equal(full.ok, false, 'ü is not allowed in an endpoint id');
  const bytes = new TextEncoder().encode(text);
  assert.deepEqual(g.validateTimeoutConfigJson(bytes), full, 'bytes answer like the text');
  assert.deepEqual(g.validateTimeoutConfigJson(Buffer.from(text)), full, 'a Buffer is bytes');
  const good = JSON.stringify(seedConfig);
  const withValue = g.validateTimeoutConfigJson(good);
  assert.equal(withValue.ok, true);
  assert.deepEqual(g.validateTimeoutConfigJson(good, { value: true }), withValue);
  const verdict = g.validateTimeoutConfigJson(new TextEncoder().encode(good), { value: false });
  assert.deepEqual(verdict, { ok: true, warnings: withValue.warnings }, 'no value when not asked for');
  assert.deepEqual(g.validateTimeoutConfig(seedConfig, { value: false }), verdict);
  const suite = { suite_id: 's', test_cases: [{ input_text: 'hi', outcome: { allowed_latency_ms: 5000, expected_intent: 'greet' } }], execution_timeout_seconds: 60 };
  assert.deepEqual(g.validateTestExecution(suite, { value: false }), { ok: true, warnings: [] });
  const bad = g.validateTestExecutionJson(new TextEncoder().encode('{"suite_id": ""}'), { value: false });
  assert.equal(bad.ok, false);
  assert.deepEqual(bad, g.validateTestExecutionJson('{"suite_id": ""}'), 'errors are answered as before');
  // Invalid UTF-8 reads as U+FFFD, like TextDecoder; bad options are an answer, never a throw.
  assert.equal(g.validateTimeoutConfigJson(new Uint8Array([0x22, 0xff, 0x22])).errors[0].code, 'TYPE');
  for (const options of [7, 'x', { value: 'no' }]) {
    const r = g.validateTimeoutConfig(seedConfig, options);
    assert.equal(r.ok, false);
    assert.deepEqual(r.errors.map((e) => [e.path, e.code]), [['(options)', 'TYPE']]);
  }
});
