// The TestExecutionPayload rules of docs/API.md, as a JSON schema (compiled by ajv, allErrors) and as a
// zod schema, in the seed-v1 wire spelling (snake_case) that the bench payloads use.
// Mirrored: required fields, 1..=500 cases, executionTimeoutSeconds integer 30..=1800, suiteId an
// identifier (1..=128 of [A-Za-z0-9_.-], not `.`/`..`), inputText and the expected texts non-blank
// strings of at most 4096 characters, contextVariables an object, expectedEntities an array of
// non-blank strings, allowedLatencyMs integer 100..=5000.
// Not mirrored (ours does more): camelCase aliases and DUPLICATE_FIELD, UNKNOWN_FIELD and
// NO_ASSERTIONS warnings, the nesting bound of contextVariables, the 100-issue cap.
import { peer } from './paths.mjs';

const text = { type: 'string', minLength: 1, maxLength: 4096, pattern: '\\S' };

export const jsonSchema = {
  type: 'object',
  required: ['suite_id', 'test_cases', 'execution_timeout_seconds'],
  properties: {
    suite_id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9_.-]+$', not: { enum: ['.', '..'] } },
    execution_timeout_seconds: { type: 'integer', minimum: 30, maximum: 1800 },
    test_cases: {
      type: 'array',
      minItems: 1,
      maxItems: 500,
      items: {
        type: 'object',
        required: ['input_text', 'outcome'],
        properties: {
          input_text: text,
          context_variables: { type: 'object' },
          outcome: {
            type: 'object',
            required: ['allowed_latency_ms'],
            properties: {
              expected_intent: text,
              expected_entities: { type: 'array', items: text },
              expected_response_contains: text,
              allowed_latency_ms: { type: 'integer', minimum: 100, maximum: 5000 },
            },
          },
        },
      },
    },
  },
};

/** `(value) => { ok, errors }` backed by an ajv-compiled validator (allErrors: true). */
export function ajvValidator() {
  const Ajv = peer('ajv').default ?? peer('ajv');
  const ajv = new Ajv({ allErrors: true });
  const validate = ajv.compile(jsonSchema);
  return (value) => (validate(value) ? { ok: true, errors: [] } : { ok: false, errors: validate.errors });
}

/** The zod schema. */
export function zodSchema() {
  const { z } = peer('zod');
  const zText = z.string().min(1).max(4096).regex(/\S/);
  const identifier = z.string().min(1).max(128).regex(/^[A-Za-z0-9_.-]+$/)
    .refine((s) => s !== '.' && s !== '..', 'must not be . or ..');
  const outcome = z.object({
    expected_intent: zText.optional(),
    expected_entities: z.array(zText).optional(),
    expected_response_contains: zText.optional(),
    allowed_latency_ms: z.number().int().min(100).max(5000),
  });
  const testCase = z.object({
    input_text: zText,
    context_variables: z.record(z.string(), z.unknown()).optional(),
    outcome,
  });
  return z.object({
    suite_id: identifier,
    execution_timeout_seconds: z.number().int().min(30).max(1800),
    test_cases: z.array(testCase).min(1).max(500),
  });
}
