// Source of pkg/inline.cjs: the bytes of both wasm modules are embedded, so it needs no fs, no
// __dirname, no import.meta.url and no fetch of a .wasm file (Cognigy Extensions, restricted VMs,
// bundlers). The guard module is instantiated at load; the suites side is bundled in, its module
// decoded and instantiated on the first call of a suite export (./suites.mjs).
import './text-codec.mjs';
import { initSync } from '../web/cognigy_guard.js';
// Right after the guard glue, so the suites glue compresses against it.
import * as suitesSide from './suites-module.mjs';
import { install } from './install.mjs';
import { loadSuitesWith } from './suites.mjs';
import { decodeBase64 } from './base64.mjs';
import { SUITES_WASM_BASE64, WASM_BASE64 } from './wasm-base64.mjs';

initSync({ module: decodeBase64(WASM_BASE64) });
install();
loadSuitesWith(() => suitesSide, () => decodeBase64(SUITES_WASM_BASE64));

export * from './api.mjs';
