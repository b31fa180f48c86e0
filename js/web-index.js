// Browser and bundler entry (bundled into pkg/web/index.js with the glue kept external): before
// the importer runs (top-level await) it fetches and compiles both .wasm files next to this file
// in parallel and instantiates the guard module, so every export is usable once `import`
// resolves; the suites side is bundled in, the compiled suites module instantiated on the first
// call of a suite export (./suites.mjs).
import init from '../web/cognigy_guard.js';
import { install } from './install.mjs';
import { loadSuitesWith } from './suites.mjs';
import * as suitesSide from './suites-module.mjs';

/** The compiled module at `url`. */
async function compile(url) {
  const response = await fetch(url);
  if (!response.ok) throw new Error(`cognigy-guard: fetching ${url} answered ${response.status}`);
  return WebAssembly.compile(await response.arrayBuffer());
}

const [, suitesModule] = await Promise.all([
  init({ module_or_path: new URL('./cognigy_guard_bg.wasm', import.meta.url) }),
  compile(new URL('./cognigy_guard_suites_bg.wasm', import.meta.url)),
]);
install();
loadSuitesWith(() => suitesSide, () => suitesModule);

export * from './api.mjs';
