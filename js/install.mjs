// What every entry does once the wasm is instantiated: registers the GuardError class the wasm
// builds its errors from, and adds the JS methods (CircuitBreaker.execute, the async methods of
// TimeoutManager and TestSuiteRunner) that the one driver runs. (The glue path is the same from
// js/ and from pkg/web/, where the browser entry is bundled.)

import {
  CircuitBreaker,
  TestSuiteRunner,
  TimeoutManager,
  __opAdvance,
  __opDrop,
  __opExchange,
  __opProgress,
  __opResult,
  __registerErrorClass,
} from '../web/cognigy_guard.js';
import { createDriver } from './driver.mjs';
import { installExecute } from './execute.mjs';
import { GuardError } from './guard-error.mjs';
import { installManager } from './manager.mjs';
import { installRunner } from './runner.mjs';

/** Completes the classes of the instantiated wasm. */
export function install() {
  __registerErrorClass(GuardError);
  const drive = createDriver({ __opAdvance, __opDrop, __opExchange, __opProgress, __opResult });
  installExecute(CircuitBreaker);
  installManager(TimeoutManager, drive);
  installRunner(TestSuiteRunner, drive);
}
