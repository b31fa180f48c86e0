// Source of pkg/node/index.cjs: the guard module instantiated synchronously from the .wasm file
// next to it, so `require('cognigy-guard')` is usable at once. The suites side (./suites-module.mjs,
// bundled into node/suites.cjs) is required on the first use of a suite export, and the suites
// module read from its .wasm file and instantiated on the first call (./suites.mjs).
import { initSync } from '../web/cognigy_guard.js';
import { install } from './install.mjs';
import { loadSuitesWith } from './suites.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const web = join(__dirname, '..', 'web');
initSync({ module: readFileSync(join(web, 'cognigy_guard_bg.wasm')) });
install();
loadSuitesWith(() => require('./suites.cjs'), () => readFileSync(join(web, 'cognigy_guard_suites_bg.wasm')));

export * from './api.mjs';
