// Browser and bundler entry (bundled into pkg/web/index.js with the glue kept external):
// instantiates the wasm next to this file before the importer runs (top-level await), so every
// export is usable once `import` resolves.
import init from '../web/cognigy_guard.js';
import { install } from './install.mjs';

await init({ module_or_path: new URL('./cognigy_guard_bg.wasm', import.meta.url) });
install();

export * from './api.mjs';
