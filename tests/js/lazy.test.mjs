// The suites module (web/cognigy_guard_suites_bg.wasm) is not instantiated by loading an entry
// or by guard exports, and is instantiated once, synchronously, by the first call of a suite
// export; its classes and errors are the package's own. The Node entry also leaves the suites JS
// (node/suites.cjs: the glue and the runner) unread until the first use of a suite export.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pkgDir } from './helpers.mjs';

/**
 * Runs `body` in a fresh node after loading `entry` with every `.wasm` file read recorded;
 * `modules()` answers the package's CommonJS files loaded so far.
 */
function inChild(entry, body) {
  const script = `
    const fs = require('node:fs');
    const read = fs.readFileSync;
    const wasmReads = [];
    fs.readFileSync = function (file, ...rest) {
      if (String(file).endsWith('.wasm')) wasmReads.push(require('node:path').basename(String(file)));
      return read.call(this, file, ...rest);
    };
    const modules = () => Object.keys(require.cache).filter((file) => file.startsWith(${JSON.stringify(pkgDir)}))
      .map((file) => require('node:path').relative(${JSON.stringify(pkgDir)}, file));
    const g = require(${JSON.stringify(join(pkgDir, entry))});
    const out = {};
    (async () => { ${body} })().then(() => console.log(JSON.stringify(out)), (e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const GUARDED = `
  out.afterRequire = [...wasmReads];
  out.modulesAfterRequire = modules();
  g.validateTimeoutConfig({ endpointId: 'svc', maxWaitTimeMs: 5000, slaThresholdMs: 1000, fallbackTemplate: {} });
  const m = new g.TimeoutManager({ baseUrl: 'https://api.example.test', auth: { apiKey: 'k' },
    fetch: async () => new Response('{"city":"Berlin"}', { headers: { 'content-type': 'application/json' } }) });
  await m.configureTimeout({ endpointId: 'weather', maxWaitTimeMs: 2000, slaThresholdMs: 1000, fallbackTemplate: { text: 'later' } });
  out.call = (await m.call('weather', { url: '/ext/weather?city=Berlin' })).source;
  await new g.CircuitBreaker({ failureThreshold: 2 }).execute(async () => 1);
  out.audit = g.verifyAuditLog(m.auditLog()).ok;
  m.close();
  out.guardMemory = g.wasmMemoryBytes();
  out.afterGuard = [...wasmReads];
  out.modulesAfterGuard = modules();
`;

test('require and guard exports leave the suites module unread; the first suite export reads it once', () => {
  const out = inChild('node/index.cjs', `${GUARDED}
    out.xml = g.toJUnitXml(g.aggregateResults({ test_results: [{ input_text: 'hi', passed: true, outcome: {} }] })).startsWith('<?xml');
    out.afterSuite = [...wasmReads];
    out.modulesAfterSuite = modules();
    out.bothMemory = g.wasmMemoryBytes();
    g.validateTestExecution({});
    new g.TestSuiteRunner({ baseUrl: 'https://api.example.test', auth: { apiKey: 'k' }, api: 'seed-v1' }).free();
    out.afterMore = [...wasmReads];
    out.modulesAfterMore = modules();`);
  assert.deepEqual(out.afterRequire, ['cognigy_guard_bg.wasm']);
  assert.deepEqual(out.modulesAfterRequire, ['node/index.cjs']);
  assert.deepEqual(out.modulesAfterGuard, ['node/index.cjs']);
  assert.deepEqual(out.modulesAfterSuite, ['node/index.cjs', 'node/suites.cjs']);
  assert.deepEqual(out.modulesAfterMore, out.modulesAfterSuite);
  assert.deepEqual([out.call, out.audit], ['live', true]);
  assert.deepEqual(out.afterGuard, ['cognigy_guard_bg.wasm']);
  assert.equal(out.xml, true);
  assert.deepEqual(out.afterSuite, ['cognigy_guard_bg.wasm', 'cognigy_guard_suites_bg.wasm']);
  assert.deepEqual(out.afterMore, out.afterSuite);
  assert.ok(out.bothMemory > out.guardMemory, `${out.bothMemory} > ${out.guardMemory}`);
});

test('constructing a TestSuiteRunner instantiates the suites module; the class is the module\'s own', () => {
  const out = inChild('node/index.cjs', `
    const R = g.TestSuiteRunner;
    out.before = [...wasmReads];
    out.beforeMemory = g.wasmMemoryBytes();
    out.methods = ['run', 'runEndpoint', 'free'].map((name) => typeof R.prototype[name]);
    const r = new R({ api: 'seed-v1', baseUrl: 'https://api.example.test', auth: { apiKey: 'k' } });
    out.after = [...wasmReads];
    out.afterMemory = g.wasmMemoryBytes();
    out.isRunner = r instanceof R && Object.getPrototypeOf(r) === R.prototype && R.name === 'TestSuiteRunner';
    out.api = r.api;
    out.dispose = typeof Symbol.dispose !== 'symbol' || r[Symbol.dispose] === R.prototype.free;
    class Sub extends R {}
    const s = new Sub({ api: 'seed-v1', baseUrl: 'https://api.example.test', auth: { apiKey: 'k' } });
    out.sub = s instanceof Sub && s instanceof R && s.api === 'seed-v1';
    s.free();
    r.free();
    try { new R({ baseUrl: 'ftp://nope' }); } catch (e) { out.error = { guard: e instanceof g.GuardError, code: e.code }; }
    try { g.aggregateEndpointChunks([]); } catch (e) { out.pureError = { guard: e instanceof g.GuardError, code: e.code }; }
    try { g.buildTimeoutPayload({}); } catch (e) { out.guardError = e instanceof g.GuardError; }
    try { new R(); } catch (e) { out.noOptions = e instanceof g.GuardError; }
    out.freed = await r.run({}).then(() => 'resolved', (e) => e instanceof g.GuardError && e.code);`);
  assert.deepEqual(out.before, ['cognigy_guard_bg.wasm']);
  assert.deepEqual(out.methods, ['function', 'function', 'function']);
  assert.deepEqual(out.after, ['cognigy_guard_bg.wasm', 'cognigy_guard_suites_bg.wasm']);
  assert.ok(out.afterMemory > out.beforeMemory);
  assert.equal(out.isRunner, true);
  assert.equal(out.api, 'seed-v1');
  assert.equal(out.dispose, true);
  assert.equal(out.sub, true);
  assert.deepEqual(out.error, { guard: true, code: 'CONFIG' });
  assert.deepEqual(out.pureError, { guard: true, code: 'CONFIG' });
  assert.equal(out.guardError, true);
  assert.equal(out.noOptions, true);
  assert.equal(out.freed, 'CONFIG');
});

test('the TestSuiteRunner export is the class: its first use loads node/suites.cjs, its first construction the module', async () => {
  const out = inChild('node/index.cjs', `
    const R = g.TestSuiteRunner;
    out.kind = typeof R;
    out.untouched = modules();
    out.name = R.name;
    out.touched = modules();
    out.wasm = [...wasmReads];
    out.memory = g.wasmMemoryBytes();
    const { writable, configurable } = Object.getOwnPropertyDescriptor(R, 'prototype');
    out.prototype = { writable, configurable, keys: Object.getOwnPropertyNames(R).sort() };
    class Sub extends R {
      static kind() { return 'sub'; }
      hello() { return this.api; }
    }
    out.beforeNew = [wasmReads.length, g.wasmMemoryBytes() === out.memory];
    const s = new Sub({ api: 'seed-v1', baseUrl: 'https://api.example.test', auth: { apiKey: 'k' } });
    out.sub = [s instanceof Sub, s instanceof R, Object.getPrototypeOf(Sub) === R, Sub.kind(), s.hello(), typeof s.run];
    out.afterNew = [...wasmReads];
    out.notRunner = [{} instanceof R, Object.create(R.prototype) instanceof R];
    R.extra = 1;
    out.static = [R.extra, Sub.extra, Object.keys(R), delete R.extra, 'extra' in R];
    out.dispose = typeof Symbol.dispose !== 'symbol' || s[Symbol.dispose] === R.prototype.free;
    s.free();
    Object.freeze(R);
    out.frozen = Object.isFrozen(R);
    const esm = await import(${JSON.stringify(join(pkgDir, 'node', 'index.mjs'))});
    out.esm = esm.TestSuiteRunner === R && esm.toJUnitXml === g.toJUnitXml;
    out.modules = modules();`);
  assert.equal(out.kind, 'function');
  assert.deepEqual(out.untouched, ['node/index.cjs']);
  assert.equal(out.name, 'TestSuiteRunner');
  assert.deepEqual(out.touched, ['node/index.cjs', 'node/suites.cjs']);
  assert.deepEqual(out.wasm, ['cognigy_guard_bg.wasm']);
  assert.deepEqual(out.prototype, { writable: false, configurable: false, keys: ['length', 'name', 'prototype'] });
  assert.deepEqual(out.beforeNew, [1, true]);
  assert.deepEqual(out.sub, [true, true, true, 'sub', 'seed-v1', 'function']);
  assert.deepEqual(out.afterNew, ['cognigy_guard_bg.wasm', 'cognigy_guard_suites_bg.wasm']);
  assert.deepEqual(out.notRunner, [false, true]);
  assert.deepEqual(out.static, [1, 1, ['extra'], true, false]);
  assert.equal(out.dispose, true);
  assert.equal(out.frozen, true);
  assert.equal(out.esm, true);
  assert.deepEqual(out.modules, ['node/index.cjs', 'node/suites.cjs']);
});

test('the inline entry instantiates the suites module on first use only', () => {
  const out = inChild('inline.cjs', `${GUARDED}
    out.report = g.aggregateResults({ test_results: [{ input_text: 'hi', passed: true, outcome: {} }] }).total;
    out.bothMemory = g.wasmMemoryBytes();`);
  assert.deepEqual(out.afterGuard, []);
  assert.equal(out.report, 1);
  assert.equal(out.call, 'live');
  assert.ok(out.bothMemory > out.guardMemory, `${out.bothMemory} > ${out.guardMemory}`);
});
