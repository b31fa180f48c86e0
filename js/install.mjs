// What every entry does with the guard module (web/cognigy_guard_bg.wasm) once it is
// instantiated: registers the GuardError class it builds its errors from and adds the JS methods
// (CircuitBreaker.execute, the async methods of TimeoutManager) that a driver of the module's own
// operations runs. ./suites-module.mjs does the same for the suites module. (The glue path is the
// same from js/ and from pkg/web/, where the browser entry is bundled.) Only named imports: a
// namespace object would keep the glue's fetching `init` in the inline entry.

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
import { createDriver } from './driver.mjs';
import { installExecute } from './execute.mjs';
import { GuardError } from './guard-error.mjs';
import { installManager } from './manager.mjs';

/** Completes the classes of the instantiated guard module. */
export function install() {
  __registerErrorClass(GuardError);
  const drive = createDriver({ __opAdvance, __opDrop, __opExchange, __opProgress, __opResult });
  installExecute(CircuitBreaker);
  installManager(TimeoutManager, drive);
}
