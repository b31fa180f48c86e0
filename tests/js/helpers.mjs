// Shared helpers of the JS test layer.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built package (scripts/build.mjs). */
export const pkgDir = join(root, 'pkg');

/**
 * A seed-v1 suite payload (snake_case, as the seed writes it) whose cases are unique to `tag`:
 * cases that pass, fail, assert nothing but latency, and `extra` more intent cases.
 */
export function seedSuite(tag, { extra = 0, timeout = 120 } = {}) {
  const cases = [
    { input_text: `I need to reset my password ${tag}`, outcome: { expected_intent: 'intent_password_reset', expected_entities: ['user_id'], allowed_latency_ms: 5000 } },
    { input_text: `What are your opening hours ${tag}?`, outcome: { expected_intent: 'intent_business_hours', expected_response_contains: 'open from', allowed_latency_ms: 5000 } },
    { input_text: `Can I get a refund ${tag}`, outcome: { expected_intent: 'intent_order_pizza', allowed_latency_ms: 5000 } },
    { input_text: `What is the weather in Berlin ${tag}`, outcome: { expected_intent: 'intent_weather', expected_entities: ['city', 'date'], allowed_latency_ms: 5000 } },
    { input_text: `Just checking latency ${tag}`, outcome: { allowed_latency_ms: 5000 } },
    { input_text: `hello ${tag}`, outcome: { expected_intent: 'intent_greeting', allowed_latency_ms: 100 } },
  ];
  for (let i = 0; i < extra; i++) cases.push({ input_text: `order pizza number ${i} ${tag}`, outcome: { expected_intent: 'intent_order_pizza', allowed_latency_ms: 5000 } });
  return { suite_id: `suite_${tag}`, execution_timeout_seconds: timeout, test_cases: cases };
}
