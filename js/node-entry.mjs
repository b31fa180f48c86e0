// Source of pkg/node/index.cjs: the wasm glue, instantiated synchronously from the .wasm file
// next to it, so `require('cognigy-guard')` is usable at once.
import { CircuitBreaker, TimeoutManager, initSync } from '../web/cognigy_guard.js';
import { installCall } from './call.mjs';
import { installExecute } from './execute.mjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

initSync({ module: readFileSync(join(__dirname, '..', 'web', 'cognigy_guard_bg.wasm')) });

installExecute(CircuitBreaker);
installCall(TimeoutManager);

export * from './api.mjs';
