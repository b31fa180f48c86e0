// The suites module (web/cognigy_guard_suites_bg.wasm) is not instantiated by loading an entry
// or by guard exports, and is instantiated once, synchronously, by the first use of a suite
// export; its classes and errors are the package's own.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { pkgDir } from './helpers.mjs';

/** Runs `body` in a fresh node after loading `entry` with every `.wasm` file read recorded. */
function inChild(entry, body) {
  const script = `
    const fs = require('node:fs');
    const read = fs.readFileSync;
    const wasmReads = [];
    fs.readFileSync = function (file, ...rest) {
      if (String(file).endsWith('.wasm')) wasmReads.push(require('node:path').basename(String(file)));
      return read.call(this, file, ...rest);
    };
    const g = require(${JSON.stringify(join(pkgDir, entry))});
    const out = {};
    (async () => { ${body} })().then(() => console.log(JSON.stringify(out)), (e) => { console.error(e); process.exit(1); });`;
  return JSON.parse(execFileSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
}

const GUARDED = `
  out.afterRequire = [...wasmReads];
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
`;

test('require and guard exports leave the suites module unread; the first suite export reads it once', () => {
  const out = inChild('node/index.cjs', `${GUARDED}
    out.xml = g.toJUnitXml(g.aggregateResults({ test_results: [{ input_text: 'hi', passed: true, outcome: {} }] })).startsWith('<?xml');
    out.afterSuite = [...wasmReads];
    out.bothMemory = g.wasmMemoryBytes();
    g.validateTestExecution({});
    new g.TestSuiteRunner({ baseUrl: 'https://api.example.test', auth: { apiKey: 'k' }, api: 'seed-v1' }).free();
    out.afterMore = [...wasmReads];`);
  assert.deepEqual(out.afterRequire, ['cognigy_guard_bg.wasm']);
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

test('the inline entry instantiates the suites module on first use only', () => {
  const out = inChild('inline.cjs', `${GUARDED}
    out.report = g.aggregateResults({ test_results: [{ input_text: 'hi', passed: true, outcome: {} }] }).total;
    out.bothMemory = g.wasmMemoryBytes();`);
  assert.deepEqual(out.afterGuard, []);
  assert.equal(out.report, 1);
  assert.equal(out.call, 'live');
  assert.ok(out.bothMemory > out.guardMemory, `${out.bothMemory} > ${out.guardMemory}`);
});
