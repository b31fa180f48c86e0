// The test suite exports, from the second wasm module (web/cognigy_guard_suites_bg.wasm), which
// no guard export needs: it is instantiated on the first use of any of them (a call, `new
// TestSuiteRunner`, a subclass's construction), synchronously, the way the entry names with
// `instantiateSuitesWith`. Each export is the module's own function or class behind a Proxy
// that only instantiates first, so `name`, `length`, `prototype`, `instanceof`, statics,
// `free()` and `Symbol.dispose` are the module's.

import * as suites from '../web/cognigy_guard_suites.js';
import { installSuiteMethods, installSuites } from './install.mjs';

let instantiate;
let instantiated = false;

/** Sets how the suites module is instantiated (synchronously) on first use. */
export function instantiateSuitesWith(instantiateSync) {
  instantiate = instantiateSync;
  installSuiteMethods();
}

function ensureInstantiated() {
  if (instantiated) return;
  instantiate();
  installSuites();
  instantiated = true;
}

/** Bytes of the suites module's linear memory; 0 while it is not instantiated. */
export function suitesMemoryBytes() {
  return instantiated ? suites.wasmMemoryBytes() : 0;
}

/** `target` (a function or class of the suites module), instantiating the module before any call. */
function onFirstUse(target) {
  return new Proxy(target, {
    apply(fn, self, args) {
      ensureInstantiated();
      return Reflect.apply(fn, self, args);
    },
    construct(fn, args, newTarget) {
      ensureInstantiated();
      return Reflect.construct(fn, args, newTarget);
    },
  });
}

export const TestSuiteRunner = onFirstUse(suites.TestSuiteRunner);
export const aggregateEndpointChunks = onFirstUse(suites.aggregateEndpointChunks);
export const aggregateResults = onFirstUse(suites.aggregateResults);
export const compareReports = onFirstUse(suites.compareReports);
export const toJUnitXml = onFirstUse(suites.toJUnitXml);
export const validateTestExecution = onFirstUse(suites.validateTestExecution);
export const validateTestExecutionJson = onFirstUse(suites.validateTestExecutionJson);
