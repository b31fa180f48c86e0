// The public exports of every entry: the wasm classes and functions (without wasm-bindgen's
// `default` init, `initSync` and `start`) and GuardError. js/types/api.d.ts declares the same
// names; tests/js/package.test.mjs checks that every entry exports exactly them.
export {
  CircuitBreaker,
  TestSuiteRunner,
  TimeoutManager,
  aggregateEndpointChunks,
  aggregateResults,
  buildTimeoutPayload,
  compareReports,
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
