// Browser and bundler entry: instantiates the wasm next to this file before the importer runs
// (top-level await), so every export is usable once `import` resolves.
import init, { CircuitBreaker, TimeoutManager } from './cognigy_guard.js';
import { installCall } from './call.js';
import { installExecute } from './execute.js';

await init({ module_or_path: new URL('./cognigy_guard_bg.wasm', import.meta.url) });
installExecute(CircuitBreaker);
installCall(TimeoutManager);

export * from './api.js';
