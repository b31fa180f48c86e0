// Source of pkg/inline.cjs: the wasm bytes are embedded, so it needs no fs, no __dirname, no
// import.meta.url and no fetch of the .wasm file (Cognigy Extensions, restricted VMs, bundlers).
import './text-codec.mjs';
import { initSync } from '../web/cognigy_guard.js';
import { install } from './install.mjs';
import { decodeBase64 } from './base64.mjs';
import { WASM_BASE64 } from './wasm-base64.mjs';

initSync({ module: decodeBase64(WASM_BASE64) });
install();

export * from './api.mjs';
