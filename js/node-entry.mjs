// Source of pkg/node/index.cjs: the wasm glue, instantiated synchronously from the .wasm file
// next to it, so `require('cognigy-guard')` is usable at once.
import { initSync } from '../web/cognigy_guard.js';
import { install } from './install.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

initSync({ module: readFileSync(join(__dirname, '..', 'web', 'cognigy_guard_bg.wasm')) });
install();

export * from './api.mjs';
