// Source of pkg/node/index.cjs: the guard module instantiated synchronously from the .wasm file
// next to it, so `require('cognigy-guard')` is usable at once; the suites module read and
// instantiated synchronously on the first use of a suite export (./suites.mjs).
import { initSync } from '../web/cognigy_guard.js';
import { initSync as initSuitesSync } from '../web/cognigy_guard_suites.js';
import { install } from './install.mjs';
import { instantiateSuitesWith } from './suites.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const web = join(__dirname, '..', 'web');
initSync({ module: readFileSync(join(web, 'cognigy_guard_bg.wasm')) });
install();
instantiateSuitesWith(() => initSuitesSync({ module: readFileSync(join(web, 'cognigy_guard_suites_bg.wasm')) }));

export * from './api.mjs';
