#!/usr/bin/env node
// Builds the npm package `cognigy-guard` into pkg/:
//   web/      wasm-bindgen `web` glue + the one .wasm file + index.js (browsers, bundlers)
//   node/     index.cjs (require, synchronous) and index.mjs (Node ESM, same instance)
//   inline.cjs  CommonJS with the wasm embedded (no fs, no __dirname, no import.meta.url)
// Usage: node scripts/build.mjs [--dev]   (--dev: debug build with the console panic hook)
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const dev = process.argv.includes('--dev');
const pkg = join(root, 'pkg');
const stage = join(root, 'target', 'pkg-stage');
// Where cargo writes its output (CARGO_TARGET_DIR, relative to the root, when set).
const cargoTarget = resolve(root, process.env.CARGO_TARGET_DIR || 'target');
const WASM_BINDGEN_VERSION = readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/wasm-bindgen = "=([^"]+)"/)[1];

function run(cmd, args, opts = {}) {
  console.log(`$ ${cmd} ${args.join(' ')}`);
  execFileSync(cmd, args, { stdio: 'inherit', cwd: root, ...opts });
}

function checkWasmBindgen() {
  let out = '';
  try {
    out = execFileSync('wasm-bindgen', ['--version'], { encoding: 'utf8' });
  } catch {
    throw new Error(`wasm-bindgen not found: run \`cargo install wasm-bindgen-cli --version ${WASM_BINDGEN_VERSION} --locked\` (scripts/setup.sh does it)`);
  }
  if (!out.includes(WASM_BINDGEN_VERSION)) {
    throw new Error(`wasm-bindgen ${out.trim()} does not match the crate's pinned ${WASM_BINDGEN_VERSION}: run scripts/setup.sh`);
  }
}

checkWasmBindgen();
const profile = dev ? 'debug' : 'release';
run('cargo', ['build', '-p', 'cognigy-guard', '--lib', '--target', 'wasm32-unknown-unknown',
  ...(dev ? ['--features', 'debug-panic'] : ['--release'])]);

rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'entry'), { recursive: true });
run('wasm-bindgen', ['--target', 'web', '--out-dir', join(stage, 'web'),
  join(cargoTarget, 'wasm32-unknown-unknown', profile, 'cognigy_guard.wasm')]);

const wasmFile = join(stage, 'web', 'cognigy_guard_bg.wasm');
const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
if (!dev && existsSync(wasmOpt)) {
  run(wasmOpt, [...(process.env.WASM_OPT_G ? ['-g'] : []), '-Oz', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
    '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
    wasmFile, '-o', wasmFile]);
} else if (!dev) {
  console.warn('wasm-opt (npm package binaryen) not installed: the .wasm is not size-optimised');
}

// Entry sources live beside the glue in the stage so their relative imports resolve.
cpSync(join(root, 'js'), join(stage, 'entry'), { recursive: true });
writeFileSync(join(stage, 'entry', 'wasm-base64.mjs'),
  `export const WASM_BASE64 = ${JSON.stringify(readFileSync(wasmFile).toString('base64'))};\n`);

rmSync(pkg, { recursive: true, force: true });
mkdirSync(join(pkg, 'node'), { recursive: true });
cpSync(join(stage, 'web'), join(pkg, 'web'), { recursive: true });
rmSync(join(pkg, 'web', '.gitignore'), { force: true });

const esbuild = createRequire(import.meta.url)(join(root, 'node_modules', 'esbuild'));
const bundle = (entry, outfile, platform) => esbuild.buildSync({
  entryPoints: [join(stage, 'entry', entry)],
  outfile,
  bundle: true,
  format: 'cjs',
  platform,
  target: 'node18',
  legalComments: 'none',
  logLevel: 'warning',
  // The glue's async `init` reads import.meta.url; it is tree-shaken away, so the notice is moot.
  logOverride: { 'empty-import-meta': 'silent' },
});
bundle('node-entry.mjs', join(pkg, 'node', 'index.cjs'), 'node');
// The browser entry: the JS methods bundled in, the glue (and its .wasm) beside it.
cpSync(join(stage, 'entry', 'web-index.js'), join(stage, 'web', 'web-index.js'));
for (const file of ['install.mjs', 'public.mjs', 'driver.mjs', 'fetch.mjs', 'guard-error.mjs', 'execute.mjs', 'manager.mjs', 'runner.mjs']) {
  cpSync(join(stage, 'entry', file), join(stage, 'web', file));
}
esbuild.buildSync({
  entryPoints: [join(stage, 'web', 'web-index.js')],
  outfile: join(pkg, 'web', 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['../web/cognigy_guard.js'],
  legalComments: 'none',
  logLevel: 'warning',
});
bundle('inline-entry.mjs', join(pkg, 'inline.cjs'), 'neutral');

// Node ESM re-exports the CommonJS instance (one wasm instance whichever way it is loaded).
const exportNames = Object.keys(createRequire(import.meta.url)(join(pkg, 'node', 'index.cjs')))
  .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
writeFileSync(join(pkg, 'node', 'index.mjs'), [
  '// Node ESM entry: the same instance as require(\'cognigy-guard\').',
  "import { createRequire } from 'node:module';",
  "const lib = createRequire(import.meta.url)('./index.cjs');",
  `export const { ${exportNames.join(', ')} } = lib;`,
  '',
].join('\n'));

const types = "export * from '../web/cognigy_guard.js';\n";
writeFileSync(join(pkg, 'node', 'index.d.cts'), types);
writeFileSync(join(pkg, 'node', 'index.d.mts'), types);
writeFileSync(join(pkg, 'web', 'index.d.ts'), "export * from './cognigy_guard.js';\n");
writeFileSync(join(pkg, 'inline.d.cts'), "export * from './web/cognigy_guard.js';\n");

const version = readFileSync(join(root, 'Cargo.toml'), 'utf8').match(/^version = "([^"]+)"/m)[1];
const manifest = {
  name: 'cognigy-guard',
  version,
  description: 'Guarded external calls (timeouts, circuit breaker, retries, fallbacks, metrics, audit) and bot test suites for NICE Cognigy, in Rust compiled to WebAssembly',
  license: 'MIT',
  keywords: ['cognigy', 'circuit-breaker', 'timeout', 'retry', 'chatbot', 'testing', 'wasm'],
  main: './node/index.cjs',
  module: './web/index.js',
  browser: './web/index.js',
  types: './node/index.d.cts',
  exports: {
    '.': {
      node: {
        import: { types: './node/index.d.mts', default: './node/index.mjs' },
        require: { types: './node/index.d.cts', default: './node/index.cjs' },
      },
      import: { types: './web/index.d.ts', default: './web/index.js' },
      default: { types: './node/index.d.cts', default: './node/index.cjs' },
    },
    './inline': { types: './inline.d.cts', default: './inline.cjs' },
    './package.json': './package.json',
  },
  files: ['web/', 'node/', 'inline.cjs', 'inline.d.cts', 'bin/', 'sim/', 'www/', 'README.md', 'LICENSE'],
  sideEffects: ['./web/index.js', './node/index.cjs', './inline.cjs'],
  engines: { node: '>=18' },
};
// The simulator ships inside the package so users can run it (`cognigy-guard sim`).
cpSync(join(root, 'sim'), join(pkg, 'sim'), { recursive: true });
// And the admin page, which `cognigy-guard sim` serves next to the package.
if (existsSync(join(root, 'www'))) cpSync(join(root, 'www'), join(pkg, 'www'), { recursive: true });
const binDir = join(root, 'js', 'bin');
if (existsSync(binDir)) {
  cpSync(binDir, join(pkg, 'bin'), { recursive: true });
  manifest.bin = { 'cognigy-guard': './bin/cognigy-guard.js' };
}
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
cpSync(join(root, 'README.md'), join(pkg, 'README.md'));
cpSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));
console.log(`built pkg/ (${profile}) with exports: ${exportNames.join(', ')}`);
