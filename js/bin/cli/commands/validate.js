'use strict';
// `cognigy-guard validate FILE|-`: timeout configs or test suites, one object or an array; every
// problem by path (prefixed with the item index for an array).

const { UsageError } = require('../flags');
const { readInput } = require('../io');
const { EXIT } = require('../report');

const KINDS = { timeout: 'timeout config', suite: 'test suite' };

const SUITE_KEYS = ['testCases', 'test_cases', 'suiteId', 'suite_id'];

/** `suite` when `input` (an object, or JSON text that did not parse) looks like a test suite. */
function detectKind(input) {
  if (typeof input === 'string') return SUITE_KEYS.some((k) => input.includes(`"${k}"`)) ? 'suite' : 'timeout';
  return input && typeof input === 'object' && SUITE_KEYS.some((k) => k in input) ? 'suite' : 'timeout';
}

/** `[2].maxWaitTimeMs` for item prefix `[2]` and path `maxWaitTimeMs`; `(root)` for neither. */
function issuePath(prefix, path) {
  if (prefix && path) return `${prefix}.${path}`;
  return prefix || path || '(root)';
}

/** Prints `issues` with `label`, each path prefixed by `prefix` (an item index, or ''). */
function printIssues(label, issues, prefix, line) {
  for (const i of issues) line(`  ${label} ${issuePath(prefix, i.path)}: ${i.code} ${i.message}`);
}

/** Validates one item (or the JSON text, when it is not JSON) and prints the outcome; true when valid. */
function check(lib, input, kind, name, prefix, io) {
  const fn = kind === 'suite'
    ? (typeof input === 'string' ? lib.validateTestExecutionJson : lib.validateTestExecution)
    : (typeof input === 'string' ? lib.validateTimeoutConfigJson : lib.validateTimeoutConfig);
  const result = fn(input);
  if (result.ok) {
    io.out(`${name}: valid ${KINDS[kind]}`);
    printIssues('warning', result.warnings, prefix, io.out);
    return true;
  }
  io.err(`${name}: invalid ${KINDS[kind]} (${result.errors.length} problem${result.errors.length === 1 ? '' : 's'})`);
  printIssues('error', result.errors, prefix, io.err);
  printIssues('warning', result.warnings, prefix, io.err);
  return false;
}

async function validate({ positionals: [file], values, lib, io }) {
  if (values.kind && !KINDS[values.kind]) throw new UsageError('--kind must be timeout or suite');
  const text = readInput(file, io);
  const name = file === '-' ? 'stdin' : file;
  let parsed;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON: the validator reports INVALID_JSON with its position.
    return check(lib(), text, values.kind || detectKind(text), name, '', io) ? EXIT.OK : EXIT.FAILED;
  }
  if (!Array.isArray(parsed)) return check(lib(), parsed, values.kind || detectKind(parsed), name, '', io) ? EXIT.OK : EXIT.FAILED;
  if (parsed.length === 0) throw new UsageError(`${name}: the array is empty`);
  let ok = true;
  parsed.forEach((item, i) => {
    ok = check(lib(), item, values.kind || detectKind(item), `${name} [${i}]`, `[${i}]`, io) && ok;
  });
  return ok ? EXIT.OK : EXIT.FAILED;
}

module.exports = { validate, printIssues };
