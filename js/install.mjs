// What every entry does with the two wasm modules (web/cognigy_guard_bg.wasm, the guard exports;
// web/cognigy_guard_suites_bg.wasm, the test suite exports): adds the JS methods
// (CircuitBreaker.execute, the async methods of TimeoutManager and TestSuiteRunner) that a driver
// of the module's own operations runs, and once a module is instantiated, registers the GuardError
// class it builds its errors from. (The glue paths are the same from js/ and from pkg/web/, where
// the browser entry is bundled.) Only named imports: a namespace object would keep the glues'
// fetching `init` in the inline entry.

import {
  CircuitBreaker,
  TimeoutManager,
  __opAdvance,
  __opDrop,
  __opExchange,
  __opProgress,
  __opResult,
  __registerErrorClass,
} from '../web/cognigy_guard.js';
import {
  TestSuiteRunner,
  __opAdvance as suitesOpAdvance,
  __opDrop as suitesOpDrop,
  __opExchange as suitesOpExchange,
  __opProgress as suitesOpProgress,
  __opResult as suitesOpResult,
  __registerErrorClass as suitesRegisterErrorClass,
} from '../web/cognigy_guard_suites.js';
import { createDriver } from './driver.mjs';
import { installExecute } from './execute.mjs';
import { GuardError } from './guard-error.mjs';
import { installManager } from './manager.mjs';
import { installRunner } from './runner.mjs';

/** Completes the classes of the instantiated guard module. */
export function install() {
  __registerErrorClass(GuardError);
  const drive = createDriver({ __opAdvance, __opDrop, __opExchange, __opProgress, __opResult });
  installExecute(CircuitBreaker);
  installManager(TimeoutManager, drive);
}

/** Adds the JS methods of `TestSuiteRunner` (they run only on a runner, so after instantiation). */
export function installSuiteMethods() {
  installRunner(TestSuiteRunner, createDriver({
    __opAdvance: suitesOpAdvance,
    __opDrop: suitesOpDrop,
    __opExchange: suitesOpExchange,
    __opProgress: suitesOpProgress,
    __opResult: suitesOpResult,
  }));
}

/** Completes the instantiated suites module. */
export function installSuites() {
  suitesRegisterErrorClass(GuardError);
}
