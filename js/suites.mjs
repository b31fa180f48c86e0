// The test suite exports of every entry. The suites side (./suites-module.mjs: the glue of
// web/cognigy_guard_suites_bg.wasm and the runner's JS methods), which no guard export needs, is
// loaded by the first use of any of them, and the module instantiated by the first call or
// construction (`new TestSuiteRunner`, a subclass's), both synchronously, the ways the entry
// names with `loadSuitesWith`. Each export is a Proxy over a stand-in function whose every
// trap loads the suites side and forwards to its function or class, so `name`, `length`,
// `prototype`, `instanceof`, subclasses, statics, `free()` and `Symbol.dispose` are the module's.

/** Answers the suites side (./suites-module.mjs's exports); set by the entry. */
let load;
/** Answers what `instantiate` of the suites side takes; set by the entry. */
let moduleSource;
/** The suites side once loaded. */
let side;
let instantiated = false;

/** Sets how the suites side is loaded and where its module comes from (both synchronous). */
export function loadSuitesWith(loadSide, wasmModule) {
  load = loadSide;
  moduleSource = wasmModule;
}

function loaded() {
  if (side === undefined) side = load();
  return side;
}

function ready() {
  const suites = loaded();
  if (!instantiated) {
    suites.instantiate(moduleSource());
    instantiated = true;
  }
  return suites;
}

/** Bytes of the suites module's linear memory; 0 while it is not instantiated. */
export function suitesMemoryBytes() {
  return instantiated ? side.wasmMemoryBytes() : 0;
}

/**
 * The export `name` of the suites side, before it is loaded. The stand-in is a bound function:
 * callable and constructible, with no own properties but a configurable `name` and `length`. When
 * the real one is loaded, the stand-in takes its own properties, and every change made through
 * the Proxy is made to both, so the Proxy invariants (a class's non-writable `prototype`,
 * `Object.freeze`) hold for what the traps answer.
 */
function onFirstUse(name) {
  const standIn = function () {}.bind();
  Object.defineProperty(standIn, 'name', { value: name });
  let real;
  const target = () => {
    if (real === undefined) {
      real = loaded()[name];
      for (const key of Reflect.ownKeys(real)) {
        Object.defineProperty(standIn, key, Object.getOwnPropertyDescriptor(real, key));
      }
    }
    return real;
  };
  const handler = {
    apply(_, self, args) {
      ready();
      return Reflect.apply(target(), self, args);
    },
    construct(_, args, newTarget) {
      ready();
      return Reflect.construct(target(), args, newTarget);
    },
  };
  for (const trap of ['get', 'getOwnPropertyDescriptor', 'getPrototypeOf', 'has', 'isExtensible', 'ownKeys', 'set']) {
    handler[trap] = (_, ...args) => Reflect[trap](target(), ...args);
  }
  for (const trap of ['defineProperty', 'deleteProperty', 'preventExtensions', 'setPrototypeOf']) {
    handler[trap] = (_, ...args) => Reflect[trap](target(), ...args) && Reflect[trap](standIn, ...args);
  }
  return new Proxy(standIn, handler);
}

export const TestSuiteRunner = onFirstUse('TestSuiteRunner');
export const aggregateEndpointChunks = onFirstUse('aggregateEndpointChunks');
export const aggregateResults = onFirstUse('aggregateResults');
export const compareReports = onFirstUse('compareReports');
export const toJUnitXml = onFirstUse('toJUnitXml');
export const validateTestExecution = onFirstUse('validateTestExecution');
export const validateTestExecutionJson = onFirstUse('validateTestExecutionJson');
