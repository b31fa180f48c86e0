// The public exports of every entry: the wasm-bindgen classes and functions (never its internals
// such as `initSync`) and the GuardError class.

export {
  CircuitBreaker,
  TestSuiteRunner,
  TimeoutManager,
  aggregateResults,
  buildTimeoutPayload,
  toJUnitXml,
  validateTestExecution,
  validateTestExecutionJson,
  validateTimeoutConfig,
  validateTimeoutConfigJson,
  verifyAuditLog,
  version,
  wasmMemoryBytes,
} from '../web/cognigy_guard.js';
export { GuardError } from './guard-error.mjs';
