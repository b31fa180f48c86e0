// The built package as a user gets it: `npm pack` of pkg/, installed into a scratch folder, then
// loaded through every entry of its `exports` map.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import vm from 'node:vm';
import { pkgDir, root } from './helpers.mjs';

let scratch;
let installed;

before(() => {
  scratch = mkdtempSync(join(tmpdir(), 'cognigy-guard-pack-'));
  const out = execFileSync('npm', ['pack', pkgDir, '--pack-destination', scratch, '--json'], { encoding: 'utf8' });
  const tarball = join(scratch, JSON.parse(out)[0].filename);
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', tarball], { cwd: scratch, stdio: 'pipe' });
  installed = join(scratch, 'node_modules', 'cognigy-guard');
});

after(() => rmSync(scratch, { recursive: true, force: true }));

const node = (args) => execFileSync(process.execPath, args, { cwd: scratch, encoding: 'utf8' }).trim();

test('require() works synchronously from the installed tarball', () => {
  const out = node(['-e', `
    const g = require('cognigy-guard');
    const r = g.validateTimeoutConfig({ endpointId: 'svc', maxWaitTimeMs: 5000, slaThresholdMs: 1000, fallbackTemplate: {} });
    console.log(JSON.stringify({ version: g.version(), ok: r.ok }));`]);
  assert.deepEqual(JSON.parse(out), { version: JSON.parse(readFileSync(join(installed, 'package.json'))).version, ok: true });
});

test('ESM import works in Node and shares the CommonJS instance', () => {
  const out = node(['--input-type=module', '-e', `
    import { version, validateTimeoutConfig } from 'cognigy-guard';
    import { createRequire } from 'node:module';
    const cjs = createRequire(import.meta.url)('cognigy-guard');
    console.log(JSON.stringify({ v: version(), same: cjs.validateTimeoutConfig === validateTimeoutConfig }));`]);
  assert.deepEqual(JSON.parse(out), { v: '0.1.0', same: true });
});

test('a GuardError thrown in Rust reaches JS with name, code and errors', () => {
  const out = node(['-e', `
    const g = require('cognigy-guard');
    try { g.buildTimeoutPayload({ endpointId: '../etc', maxWaitTimeMs: 99 }); console.log('no throw'); }
    catch (e) { console.log(JSON.stringify({ isError: e instanceof Error, name: e.name, code: e.code, paths: e.errors.map((i) => i.path), message: e.message })); }`]);
  const err = JSON.parse(out);
  assert.equal(err.isError, true);
  assert.equal(err.name, 'GuardError');
  assert.equal(err.code, 'VALIDATION');
  assert.ok(err.paths.includes('endpointId'), err.paths.join());
  assert.ok(err.paths.includes('maxWaitTimeMs'), err.paths.join());
  assert.match(err.message, /problems/);
});

test('the inline entry runs in a node:vm context with no require, no fs, no process', () => {
  const source = readFileSync(join(installed, 'inline.cjs'), 'utf8');
  for (const forbidden of ['require(', '__dirname', 'import.meta', 'readFileSync', 'fetch(']) {
    assert.ok(!source.includes(forbidden), `inline.cjs mentions ${forbidden}`);
  }
  const sandbox = { module: { exports: {} } };
  sandbox.exports = sandbox.module.exports;
  vm.createContext(sandbox);
  vm.runInContext(source, sandbox, { filename: 'inline.cjs' });
  const lib = sandbox.module.exports;
  assert.equal(lib.version(), '0.1.0');
  const result = lib.validateTimeoutConfig({ endpoint_id: 'ext_svc_weather_01', max_wait_time_ms: 4000, sla_threshold_ms: 2000, fallback_template: '{"message":"later"}' });
  assert.equal(result.ok, true, JSON.stringify(result));
  assert.equal(result.value.endpointId, 'ext_svc_weather_01');
  // Strings with multi-byte characters cross the boundary through the polyfilled codec.
  const bad = lib.validateTimeoutConfig({ endpointId: 'wétter☂', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: {} });
  assert.equal(bad.ok, false);
  assert.equal(bad.errors[0].path, 'endpointId');
});

/** The value exports (classes, functions) that the declarations of `specifier` give, sorted. */
function declaredValues(specifier) {
  const ts = createRequire(import.meta.url)(join(root, 'node_modules', 'typescript'));
  const file = join(scratch, 'declared.ts');
  writeFileSync(file, `import * as lib from '${specifier}';\nexport { lib };\n`);
  const program = ts.createProgram([file], { strict: true, noEmit: true, module: ts.ModuleKind.CommonJS, moduleResolution: ts.ModuleResolutionKind.Node10 });
  const checker = program.getTypeChecker();
  const source = program.getSourceFile(file);
  const moduleSymbol = checker.getSymbolAtLocation(source.statements[0].moduleSpecifier);
  return checker.getExportsOfModule(moduleSymbol)
    .filter((symbol) => symbol.flags & ts.SymbolFlags.Value)
    .map((symbol) => symbol.name)
    .sort();
}

test('every entry exports exactly what its declarations declare (no wasm-bindgen internals)', () => {
  const declared = declaredValues('cognigy-guard');
  assert.deepEqual(declaredValues('cognigy-guard/inline'), declared);
  assert.ok(declared.includes('GuardError') && declared.includes('TimeoutManager'), declared.join());
  for (const internal of ['initSync', 'start', 'default']) assert.ok(!declared.includes(internal), internal);
  const names = (source) => JSON.parse(node(['--input-type=module', '-e', source]));
  for (const specifier of ['cognigy-guard', 'cognigy-guard/inline']) {
    const cjs = names(`import { createRequire } from 'node:module';
      console.log(JSON.stringify(Object.keys(createRequire(import.meta.url)('${specifier}')).sort()));`);
    assert.deepEqual(cjs, declared, `require('${specifier}')`);
    const esm = names(`import * as lib from '${specifier}'; console.log(JSON.stringify(Object.keys(lib).sort()));`);
    assert.deepEqual(esm, declared, `import from '${specifier}'`);
  }
});

test('no Markdown file of the package links to a file that does not ship', () => {
  const markdown = readdirSync(installed, { recursive: true }).filter((f) => f.endsWith('.md')).map((f) => join(installed, f));
  assert.ok(markdown.some((f) => f.endsWith('/cognigy-guard/README.md')), markdown.join());
  for (const file of markdown) {
    for (const [, target] of readFileSync(file, 'utf8').matchAll(/\]\(([^)#\s]+)[^)]*\)/g)) {
      if (/^[a-z]+:/.test(target)) continue; // https:, mailto:
      assert.ok(existsSync(join(dirname(file), target)), `${file} links to ${target}`);
    }
  }
});

test('package.json exports map and typings name every entry', () => {
  const manifest = JSON.parse(readFileSync(join(installed, 'package.json'), 'utf8'));
  assert.equal(manifest.name, 'cognigy-guard');
  assert.ok(manifest.exports['.'].node.require.default.endsWith('.cjs'));
  assert.ok(manifest.exports['.'].node.import.default.endsWith('.mjs'));
  assert.ok(manifest.exports['.'].import.default.endsWith('index.js'));
  assert.ok(manifest.exports['./inline']);
  assert.equal(manifest.exports['./inline'].import.default, './inline.mjs');
  for (const file of ['node/index.d.cts', 'node/index.d.mts', 'web/index.d.ts', 'inline.d.cts', 'inline.d.mts', 'inline.d.ts', 'types/index.d.ts']) {
    assert.ok(readFileSync(join(installed, file), 'utf8').length > 0, file);
  }
});
