#!/usr/bin/env node
// Builds the npm package `cognigy-guard` into pkg/:
//   web/      two wasm modules, each with its wasm-bindgen `web` glue (cognigy_guard*: the guard
//             exports, crate feature `guard`; cognigy_guard_suites*: the test suite exports,
//             feature `suites`, instantiated on first use) + index.js (browsers, bundlers)
//   node/     index.cjs (require, synchronous) and index.mjs (Node ESM, same instance); suites.cjs,
//             the suites glue and runner, which index.cjs requires on the first use of a suite export
//   inline.cjs  CommonJS with both modules embedded (no fs, no __dirname, no import.meta.url);
//               inline.mjs re-exports it by name for Node ESM
//   types/    the declarations of every entry (src/ts/*.d.ts + js/types/api.d.ts)
//   README.md   the user's guide, docs/npm-README.md
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
rmSync(stage, { recursive: true, force: true });
mkdirSync(join(stage, 'entry'), { recursive: true });
const wasmOpt = join(root, 'node_modules', '.bin', 'wasm-opt');
if (!dev && !existsSync(wasmOpt)) console.warn('wasm-opt (npm package binaryen) not installed: the .wasm is not size-optimised');

/**
 * The two modules: the crate built with one feature each. `optLevel` is the release profile's
 * opt-level for that build (every crate in it) and `wasmOpt` the wasm-opt level. The guard module is
 * what `require` loads, built for size; the suites module, read on first suite use, works on big
 * inputs and is built for speed (measured: README, Size).
 */
const MODULES = [
  { feature: 'guard', name: 'cognigy_guard', optLevel: 'z', wasmOpt: '-Os' },
  { feature: 'suites', name: 'cognigy_guard_suites', optLevel: '2', wasmOpt: '-O2' },
];

/** Builds `module` into web/`name`.js + web/`name`_bg.wasm; answers the .wasm path. */
function buildModule({ feature, name, optLevel, wasmOpt: wasmOptLevel }) {
  run('cargo', ['build', '-p', 'cognigy-guard', '--lib', '--target', 'wasm32-unknown-unknown', '--no-default-features',
    '--features', dev ? `${feature},debug-panic` : feature, ...(dev ? [] : ['--release'])],
  { env: { ...process.env, CARGO_PROFILE_RELEASE_OPT_LEVEL: optLevel } });
  run('wasm-bindgen', ['--target', 'web', '--out-dir', join(stage, 'web'), '--out-name', name,
    join(cargoTarget, 'wasm32-unknown-unknown', profile, 'cognigy_guard.wasm')]);
  const wasmFile = join(stage, 'web', `${name}_bg.wasm`);
  if (!dev && existsSync(wasmOpt)) {
    // For size, `-Os --converge` gzips smallest (measured against -Oz, -Oz --converge, -Oz --gufa, -Os: README, Size).
    // `--low-memory-unused` folds constant additions into load and store offsets (Rust never wraps
    // a pointer into the first KiB): the guard .wasm 1.2 KiB smaller gzipped.
    run(wasmOpt, [...(process.env.WASM_OPT_G ? ['-g'] : []), wasmOptLevel, '--converge', '--low-memory-unused', '--strip-producers', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
      '--enable-mutable-globals', '--enable-reference-types', '--enable-multivalue',
      wasmFile, '-o', wasmFile]);
  }
  return wasmFile;
}
const [guardWasm, suitesWasm] = MODULES.map(buildModule);

// Entry sources live beside the glue in the stage so their relative imports resolve.
cpSync(join(root, 'js'), join(stage, 'entry'), { recursive: true });
const base64 = (file) => JSON.stringify(readFileSync(file).toString('base64'));
writeFileSync(join(stage, 'entry', 'wasm-base64.mjs'), [
  `export const WASM_BASE64 = ${base64(guardWasm)};`,
  `export const SUITES_WASM_BASE64 = ${base64(suitesWasm)};`,
  '',
].join('\n'));

rmSync(pkg, { recursive: true, force: true });
mkdirSync(join(pkg, 'node'), { recursive: true });
cpSync(join(stage, 'web'), join(pkg, 'web'), { recursive: true });
rmSync(join(pkg, 'web', '.gitignore'), { force: true });

const esbuild = createRequire(import.meta.url)(join(root, 'node_modules', 'esbuild'));
// Every bundle without comments and whitespace, names kept (stack traces, class names): node/index.cjs
// gzips 18.3 to 12.4 KiB, and `require` parses a third less (identifiers minified too would save 0.5 KiB more).
const MINIFY = { minifyWhitespace: true, minifySyntax: true };
const bundle = (entry, outfile, platform, options = {}) => esbuild.build({
  entryPoints: [join(stage, 'entry', entry)],
  outfile,
  bundle: true,
  format: 'cjs',
  platform,
  target: 'node18',
  legalComments: 'none',
  ...MINIFY,
  logLevel: 'warning',
  // The glue's async `init` reads import.meta.url; it is tree-shaken away, so the notice is moot.
  logOverride: { 'empty-import-meta': 'silent' },
  ...options,
});
/** Resolves js/guard-error.mjs to the main entry, so a bundle throws the main entry's own GuardError class. */
const mainEntryGuardError = (path) => ({
  name: 'main-entry-guard-error',
  setup(build) {
    build.onResolve({ filter: /guard-error\.mjs$/ }, () => ({ path, external: true }));
  },
});
// The main entry requires node/suites.cjs (the suites glue and runner) on the first use of a suite export.
await bundle('node-entry.mjs', join(pkg, 'node', 'index.cjs'), 'node', { external: ['./suites.cjs'] });
await bundle('suites-module.mjs', join(pkg, 'node', 'suites.cjs'), 'node', { plugins: [mainEntryGuardError('./index.cjs')] });
// The browser entry: the JS methods bundled in, the glue (and its .wasm) beside it.
cpSync(join(stage, 'entry', 'web-index.js'), join(stage, 'web', 'web-index.js'));
for (const file of ['install.mjs', 'api.mjs', 'suites.mjs', 'driver.mjs', 'fetch.mjs', 'guard-error.mjs', 'execute.mjs', 'fleet.mjs', 'fleet-manager.mjs', 'manager.mjs', 'runner.mjs', 'suites-module.mjs']) {
  cpSync(join(stage, 'entry', file), join(stage, 'web', file));
}
esbuild.buildSync({
  entryPoints: [join(stage, 'web', 'web-index.js')],
  outfile: join(pkg, 'web', 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'browser',
  target: 'es2022',
  external: ['../web/cognigy_guard.js', '../web/cognigy_guard_suites.js'],
  legalComments: 'none',
  ...MINIFY,
  logLevel: 'warning',
});
await bundle('inline-entry.mjs', join(pkg, 'inline.cjs'), 'neutral');
// cognigy-guard/redis: the store (js/redis.mjs), Node only. Its GuardError is the main entry's own
// class (one instance, so `instanceof` holds), and `redis` stays the user's optional peer dependency.
await bundle('redis.mjs', join(pkg, 'redis.cjs'), 'node', {
  external: ['redis'],
  plugins: [mainEntryGuardError('./node/index.cjs')],
});

const namesOf = (file) => Object.keys(createRequire(import.meta.url)(file))
  .filter((name) => /^[A-Za-z_$][\w$]*$/.test(name) && name !== 'default');
/** An ESM module re-exporting CommonJS `file` by name (one instance whichever way it is loaded). */
const esmWrapper = (comment, load, names) => [
  comment,
  ...load,
  `export const { ${names.join(', ')} } = lib;`,
  '',
].join('\n');
const exportNames = namesOf(join(pkg, 'node', 'index.cjs'));
writeFileSync(join(pkg, 'node', 'index.mjs'), esmWrapper(
  "// Node ESM entry: the same instance as require('cognigy-guard').",
  ["import { createRequire } from 'node:module';", "const lib = createRequire(import.meta.url)('./index.cjs');"],
  exportNames,
));
// A default import of CommonJS works everywhere (no import.meta, no require), named ones need this.
writeFileSync(join(pkg, 'inline.mjs'), esmWrapper(
  "// ESM entry of cognigy-guard/inline: the same instance as require('cognigy-guard/inline').",
  ["import lib from './inline.cjs';"],
  namesOf(join(pkg, 'inline.cjs')),
));

writeFileSync(join(pkg, 'redis.mjs'), esmWrapper(
  "// ESM entry of cognigy-guard/redis: the same instance as require('cognigy-guard/redis').",
  ["import { createRequire } from 'node:module';", "const lib = createRequire(import.meta.url)('./redis.cjs');"],
  namesOf(join(pkg, 'redis.cjs')),
));

// Declarations: one file, re-exported by every entry's own declaration file (node10 reads
// inline.d.ts at the root, node16/bundler the `types` conditions).
mkdirSync(join(pkg, 'types'));
writeFileSync(join(pkg, 'types', 'index.d.ts'), [
  '// Declarations of every entry of cognigy-guard.',
  ...['validation', 'guard', 'test_suite_runner'].map((name) => readFileSync(join(root, 'src', 'ts', `${name}.d.ts`), 'utf8')),
  readFileSync(join(root, 'js', 'types', 'api.d.ts'), 'utf8'),
].join('\n'));
for (const file of ['node/index.d.cts', 'node/index.d.mts', 'web/index.d.ts']) {
  writeFileSync(join(pkg, file), "export * from '../types/index.js';\n");
}
for (const file of ['inline.d.cts', 'inline.d.mts', 'inline.d.ts']) {
  writeFileSync(join(pkg, file), "export * from './types/index.js';\n");
}
cpSync(join(root, 'js', 'types', 'redis.d.ts'), join(pkg, 'types', 'redis.d.ts'));
for (const file of ['redis.d.cts', 'redis.d.mts', 'redis.d.ts']) {
  writeFileSync(join(pkg, file), "export * from './types/redis.js';\n");
}

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
  types: './types/index.d.ts',
  exports: {
    '.': {
      node: {
        import: { types: './node/index.d.mts', default: './node/index.mjs' },
        require: { types: './node/index.d.cts', default: './node/index.cjs' },
      },
      import: { types: './web/index.d.ts', default: './web/index.js' },
      default: { types: './node/index.d.cts', default: './node/index.cjs' },
    },
    './inline': {
      import: { types: './inline.d.mts', default: './inline.mjs' },
      default: { types: './inline.d.cts', default: './inline.cjs' },
    },
    './redis': {
      import: { types: './redis.d.mts', default: './redis.mjs' },
      default: { types: './redis.d.cts', default: './redis.cjs' },
    },
    './package.json': './package.json',
  },
  // Only `cognigy-guard/redis` needs it; users who do not share state never install it.
  peerDependencies: { redis: '>=5' },
  peerDependenciesMeta: { redis: { optional: true } },
  files: ['web/', 'node/', 'types/', 'inline.cjs', 'inline.mjs', 'inline.d.cts', 'inline.d.mts', 'inline.d.ts',
    'redis.cjs', 'redis.mjs', 'redis.d.cts', 'redis.d.mts', 'redis.d.ts', 'bin/', 'sim/', 'www/', 'README.md', 'LICENSE'],
  sideEffects: ['./web/index.js', './node/index.cjs', './node/suites.cjs', './inline.cjs', './inline.mjs'],
  engines: { node: '>=18' },
};
// The simulator ships inside the package so users can run it (`cognigy-guard sim`); its README is
// developer documentation that links into the repository, so it stays there.
cpSync(join(root, 'sim'), join(pkg, 'sim'), { recursive: true, filter: (src) => src !== join(root, 'sim', 'README.md') });
// And the admin page, which `cognigy-guard sim` serves next to the package.
if (existsSync(join(root, 'www'))) cpSync(join(root, 'www'), join(pkg, 'www'), { recursive: true });
const binDir = join(root, 'js', 'bin');
if (existsSync(binDir)) {
  cpSync(binDir, join(pkg, 'bin'), { recursive: true });
  manifest.bin = { 'cognigy-guard': './bin/cognigy-guard.js' };
}
writeFileSync(join(pkg, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
cpSync(join(root, 'docs', 'npm-README.md'), join(pkg, 'README.md'));
cpSync(join(root, 'LICENSE'), join(pkg, 'LICENSE'));
console.log(`built pkg/ (${profile}) with exports: ${exportNames.join(', ')}`);
