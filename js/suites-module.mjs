// The test suite side of the package: the suites module's glue (web/cognigy_guard_suites.js)
// with the JS methods of `TestSuiteRunner` (./runner.mjs) and its driver. The Node entry bundles
// it into node/suites.cjs, which it reads on the first use of a suite export; the inline and
// browser entries bundle it in. ./suites.mjs makes the exports usable before it is loaded.
// (Only named imports: a namespace object would keep the glue's fetching `init`.)

import {
  TestSuiteRunner,
  __opAdvance,
  __opDrop,
  __opExchange,
  __opProgress,
  __opResult,
  __registerErrorClass,
  initSync,
} from '../web/cognigy_guard_suites.js';
import { createDriver } from './driver.mjs';
import { GuardError } from './guard-error.mjs';
import { installRunner } from './runner.mjs';

installRunner(TestSuiteRunner, createDriver({ __opAdvance, __opDrop, __opExchange, __opProgress, __opResult }));

/** Instantiates the module from `module` (its bytes or compiled `WebAssembly.Module`). */
export function instantiate(module) {
  initSync({ module });
  __registerErrorClass(GuardError);
}

export {
  TestSuiteRunner,
  aggregateEndpointChunks,
  aggregateResults,
  compareReports,
  toJUnitXml,
  validateTestExecution,
  validateTestExecutionJson,
  wasmMemoryBytes,
} from '../web/cognigy_guard_suites.js';
