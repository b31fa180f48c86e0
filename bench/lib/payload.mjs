// Realistic inputs: a 500-case seed-v1 TestExecutionPayload built from the sample suites of the
// admin page (www/samples, the seed document's snake_case wire spelling), an invalid variant with
// errors spread over the cases, and seed-v1 execution results produced by the simulator's bot.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { root } from './paths.mjs';

const require = createRequire(import.meta.url);
const bot = require(join(root, 'sim', 'bot.js'));

const snake = (key) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
function toSnake(value) {
  if (Array.isArray(value)) return value.map(toSnake);
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [snake(k), toSnake(v)]));
  }
  return value;
}

/** The sample cases of www/samples (support-smoke and regression-full), in snake_case. */
export function sampleCases() {
  const files = ['support-smoke.json', 'regression-full.json'];
  return files.flatMap((f) => {
    const suite = JSON.parse(readFileSync(join(root, 'www', 'samples', f), 'utf8'));
    return toSnake(suite.test_cases ?? suite.testCases);
  });
}

/** A valid seed-v1 payload with `n` cases (<= 500), cycling the sample cases with varied text. */
export function validSuite(n = 500) {
  const samples = sampleCases();
  const cases = [];
  for (let i = 0; i < n; i += 1) {
    const base = samples[i % samples.length];
    const c = structuredClone(base);
    c.input_text = `${base.input_text} (#${i})`;
    c.context_variables = { user_role: i % 3 === 0 ? 'agent' : 'customer', locale: 'en-US', session: `s-${i}` };
    cases.push(c);
  }
  return { suite_id: 'suite_bench_500', execution_timeout_seconds: 900, test_cases: cases };
}

/**
 * The same suite with 10 errors spread over the cases (and one at the root); every validator
 * must report all of them. Returns `{ payload, expectedErrors }`.
 */
export function invalidSuite(n = 500) {
  const p = validSuite(n);
  const tc = p.test_cases;
  const at = (i) => tc[Math.min(i, n - 1)];
  p.execution_timeout_seconds = 10; // below 30
  at(3).outcome.allowed_latency_ms = 50; // below 100
  at(57).input_text = ''; // empty
  delete at(120).outcome.allowed_latency_ms; // required
  at(199).outcome.expected_entities = ['city', 42]; // not a string
  at(260).context_variables = 'not an object';
  at(333).outcome.allowed_latency_ms = 800.5; // not an integer
  at(401).outcome.expected_intent = '   '; // blank
  delete at(470).outcome; // required
  at(499).outcome.allowed_latency_ms = 9000; // above 5000
  return { payload: p, expectedErrors: 10 };
}

/** Seed-v1 results `{ execution_id, status, test_results }` for `n` cases, from the sim's bot. */
export function seedResults(n) {
  const samples = sampleCases();
  const results = new Array(n);
  for (let i = 0; i < n; i += 1) {
    const base = samples[i % samples.length];
    results[i] = bot.evaluateCase({ ...base, input_text: `${base.input_text} (#${i})` }, i);
  }
  return { execution_id: `exec_bench_${n}`, status: 'completed', test_results: results };
}
