// The public exports of every entry: the guard module's classes and functions (without
// wasm-bindgen's `default` init, `initSync` and `start`), the suites module's behind
// ./suites.mjs (instantiated on first use), `wasmMemoryBytes` over both, and GuardError.
// js/types/api.d.ts declares the same names; tests/js/package.test.mjs checks that every entry
// exports exactly them.
import { wasmMemoryBytes as guardMemoryBytes } from '../web/cognigy_guard.js';
import { suitesMemoryBytes } from './suites.mjs';

export {
  CircuitBreaker,
  TimeoutManager,
  buildTimeoutPayload,
  validateTimeoutConfig,
  validateTimeoutConfigJson,
  verifyAuditLog,
  version,
} from '../web/cognigy_guard.js';
export {
  TestSuiteRunner,
  aggregateEndpointChunks,
  aggregateResults,
  compareReports,
  toJUnitXml,
  validateTestExecution,
  validateTestExecutionJson,
} from './suites.mjs';
export { GuardError } from './guard-error.mjs';

/** Bytes of WebAssembly linear memory held now: the sum over the instantiated modules. */
export function wasmMemoryBytes() {
  return guardMemoryBytes() + suitesMemoryBytes();
}
