// The package as a TypeScript or ESM user meets it: the packed tarball installed into a scratch
// project, the README's examples run from CommonJS and ESM and type-checked with `tsc --strict`
// under every module resolution, with and without the DOM lib, with and without @types/node.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pkgDir, root } from './helpers.mjs';

const require = createRequire(import.meta.url);
const { startSimulator, DEMO_API_KEY, DEMO_CLIENT } = require(join(root, 'sim'));
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

let scratch;
let sim;

before(async () => {
  scratch = mkdtempSync(join(tmpdir(), 'cognigy-guard-types-'));
  const out = execFileSync('npm', ['pack', pkgDir, '--pack-destination', scratch, '--json'], { encoding: 'utf8' });
  writeFileSync(join(scratch, 'package.json'), JSON.stringify({ name: 'scratch', private: true }));
  execFileSync('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts', join(scratch, JSON.parse(out)[0].filename)],
    { cwd: scratch, stdio: 'pipe' });
  sim = await startSimulator({ timeScale: 50 });
});

after(async () => {
  await sim?.close();
  rmSync(scratch, { recursive: true, force: true });
});

/** The fenced code blocks of the installed README with language `lang`. */
function readmeBlocks(lang) {
  const readme = readFileSync(join(scratch, 'node_modules', 'cognigy-guard', 'README.md'), 'utf8');
  return [...readme.matchAll(new RegExp(`^\`\`\`${lang}\\n([\\s\\S]*?)^\`\`\`$`, 'gm'))].map((m) => m[1]);
}

/**
 * Runs `source` with Node in the scratch project; every request to an outside host goes to the
 * simulator instead (same path), so examples written for a real tenant run offline. Resolves
 * `{ status, stdout, stderr }` (asynchronously: the simulator answers from this process).
 */
function runExample(name, source) {
  const file = join(scratch, name);
  writeFileSync(file, source);
  const preload = join(scratch, 'to-simulator.cjs');
  writeFileSync(preload, `const real = globalThis.fetch;
globalThis.fetch = (url, init) => { const u = new URL(String(url)); return real(${JSON.stringify(sim.url)} + u.pathname + u.search, init); };\n`);
  const child = spawn(process.execPath, ['--require', preload, file], {
    cwd: scratch,
    timeout: 60000,
    env: { PATH: process.env.PATH, COGNIGY_API_KEY: DEMO_API_KEY, COGNIGY_CLIENT_ID: DEMO_CLIENT.id, COGNIGY_CLIENT_SECRET: DEMO_CLIENT.secret },
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => { stdout += d; });
  child.stderr.on('data', (d) => { stderr += d; });
  return new Promise((resolve) => {
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

test('every JavaScript example of the README runs from the installed package (CommonJS and ESM)', async () => {
  const blocks = readmeBlocks('js');
  assert.ok(blocks.some((b) => b.includes("require('cognigy-guard")), 'a CommonJS example');
  assert.ok(blocks.some((b) => /^import .* from 'cognigy-guard/m.test(b)), 'an ESM example');
  for (const [i, source] of blocks.entries()) {
    const esm = /^import /m.test(source);
    const r = await runExample(`example-${i}.${esm ? 'mjs' : 'cjs'}`, source);
    assert.equal(r.status, 0, `README js block ${i}:\n${source}\n${r.stdout}\n${r.stderr}`);
  }
});

test('named ESM imports work from every entry, and the entries share GuardError', async () => {
  const r = await runExample('named.mjs', `
    import { TimeoutManager, GuardError, validateTimeoutConfig } from 'cognigy-guard/inline';
    import * as main from 'cognigy-guard';
    import { createRequire } from 'node:module';
    const cjs = createRequire(import.meta.url)('cognigy-guard/inline');
    console.log(JSON.stringify({
      inline: typeof TimeoutManager, sameInstance: cjs.validateTimeoutConfig === validateTimeoutConfig,
      guardError: typeof GuardError, main: typeof main.TestSuiteRunner,
    }));`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), { inline: 'function', sameInstance: true, guardError: 'function', main: 'function' });
});

test('GuardError is a class: its instances are Errors with name, code and the given fields', async () => {
  const r = await runExample('guard-error.cjs', `
    const { GuardError } = require('cognigy-guard');
    const e = new GuardError('HTTP', 'upstream said 503', { status: 503, attempts: 3, problem: undefined });
    console.log(JSON.stringify({ error: e instanceof Error, guard: e instanceof GuardError, name: e.name, message: e.message, own: { ...e } }));`);
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), {
    error: true, guard: true, name: 'GuardError', message: 'upstream said 503', own: { code: 'HTTP', status: 503, attempts: 3 },
  });
});

test('errors thrown by the wasm are instances of the exported GuardError', async () => {
  const r = await runExample('thrown.cjs', `
    const { GuardError, buildTimeoutPayload } = require('cognigy-guard');
    try { buildTimeoutPayload({}); } catch (e) { console.log(e instanceof GuardError); }`);
  assert.equal(r.stdout.trim(), 'true', r.stderr);
});

/** Type-checks `files` (name → source) in a fresh folder of the scratch project. */
function typecheck(folder, files, compilerOptions) {
  const dir = join(scratch, folder);
  mkdirSync(dir, { recursive: true });
  for (const [name, source] of Object.entries(files)) writeFileSync(join(dir, name), source);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({
    compilerOptions: { strict: true, noEmit: true, target: 'es2022', skipLibCheck: false, ...compilerOptions },
    files: Object.keys(files),
  }));
  const r = spawnSync(process.execPath, [tsc, '-p', dir], { encoding: 'utf8' });
  return `${r.stdout}${r.stderr}`.trim() || (r.status === 0 ? '' : `tsc exited ${r.status}`);
}

// Uses every public export and no global of any environment (no console, fetch or AbortController).
const SURFACE = `import {
  CircuitBreaker, GuardError, TestSuiteRunner, TimeoutManager, aggregateEndpointChunks, aggregateResults,
  buildTimeoutPayload, compareReports, toJUnitXml, validateTestExecution, validateTestExecutionJson, validateTimeoutConfig,
  validateTimeoutConfigJson, verifyAuditLog, version, wasmMemoryBytes,
} from 'ENTRY';
import type { CallResult, SuiteReport, TimeoutManagerOptions } from 'ENTRY';

export async function surface(options: TimeoutManagerOptions): Promise<string> {
  const breaker = new CircuitBreaker();
  const n: number = await breaker.execute(async () => 1);
  const guard = new TimeoutManager(options);
  const answer: CallResult = await guard.call('svc', { url: '/x' });
  const why: string = answer.degraded ? answer.error.code : String(answer.status + 1);
  const runner = new TestSuiteRunner({ baseUrl: options.baseUrl, auth: { apiKey: 'k' } });
  const report: SuiteReport = aggregateResults('{"test_results":[]}');
  try {
    buildTimeoutPayload({});
  } catch (err) {
    if (err instanceof GuardError) return err.code + (err.errors?.length ?? 0);
  }
  const checks = [validateTestExecution({}), validateTestExecutionJson('{}'), validateTimeoutConfig({}), validateTimeoutConfigJson('{}')];
  const verdict = validateTestExecutionJson(new Uint8Array(0), { value: false });
  // @ts-expect-error a verdict carries no value
  if (verdict.ok) verdict.value;
  const full = validateTimeoutConfig({}, { value: true });
  const count: number = full.ok ? full.value.retryAttempts : full.errors.length;
  const compact: SuiteReport = aggregateResults(new Uint8Array(0), { cases: false, passThreshold: 0.9 });
  const refused = await breaker.execute(async () => 2, { captureStack: true });
  const merged: SuiteReport = aggregateEndpointChunks([report, compact], { passThreshold: 0.9 });
  const fromText: SuiteReport = aggregateEndpointChunks('[]', { cases: false });
  const delta: number = compareReports(merged, fromText).passRateDelta;
  // An endpoint-only runner needs no auth.
  const endpointOnly = new TestSuiteRunner({ baseUrl: options.baseUrl });
  return [n, why, runner.api, endpointOnly.api, toJUnitXml(report), checks.length, count, compact.total, merged.total, delta, refused, verifyAuditLog(guard.auditLog()).ok, version(), wasmMemoryBytes()].join();
}

// @ts-expect-error baseUrl is required
new TestSuiteRunner({ auth: { apiKey: 'k' } });
// @ts-expect-error auth takes an API key or client credentials
new TestSuiteRunner({ baseUrl: 'https://api-trial.cognigy.ai', auth: { token: 'k' } });
`;
const INTERNALS = `// @ts-expect-error not public
import { initSync } from 'ENTRY';
// @ts-expect-error not public
import { start } from 'ENTRY';
// @ts-expect-error not public
import type { InitOutput } from 'ENTRY';
import { CircuitBreaker } from 'ENTRY';
// @ts-expect-error not public
new CircuitBreaker().__admit();
`;

const RESOLUTIONS = {
  node10: { module: 'commonjs', moduleResolution: 'node10', ext: 'ts' },
  node16: { module: 'node16', moduleResolution: 'node16', ext: ['cts', 'mts'] },
  bundler: { module: 'esnext', moduleResolution: 'bundler', ext: 'ts' },
};

for (const [resolution, { ext, ...options }] of Object.entries(RESOLUTIONS)) {
  test(`tsc --strict, moduleResolution ${resolution}: the README's TypeScript examples and the whole surface`, () => {
    const blocks = readmeBlocks('ts');
    assert.ok(blocks.length >= 3, 'the README has TypeScript examples');
    const exts = [ext].flat();
    const files = {};
    blocks.forEach((source, i) => {
      for (const e of exts) files[`readme-${i}.${e}`] = `${source}\nexport {};\n`;
    });
    assert.equal(typecheck(`readme-${resolution}`, files, options), '', 'with the default lib');
    const surface = {};
    for (const entry of ['cognigy-guard', 'cognigy-guard/inline']) {
      for (const e of exts) {
        const tag = `${entry.replace('/', '-')}.${e}`;
        surface[`surface-${tag}`] = SURFACE.replaceAll('ENTRY', entry);
        surface[`internals-${tag}`] = INTERNALS.replaceAll('ENTRY', entry);
      }
    }
    assert.equal(typecheck(`surface-${resolution}`, surface, { ...options, lib: ['es2022'], types: [] }), '', 'without the DOM lib');
    // A Node project: @types/node's fetch and AbortSignal instead of the DOM's (or beside them).
    const node = { ...options, types: ['node'], typeRoots: [join(root, 'node_modules', '@types')] };
    assert.equal(typecheck(`node-${resolution}`, { ...files, ...surface }, { ...node, lib: ['es2022'] }), '', 'with @types/node');
    assert.equal(typecheck(`node-dom-${resolution}`, { ...files, ...surface }, node), '', 'with @types/node and the DOM lib');
  });
}
