#!/usr/bin/env node
// Bundles src/module.ts into ONE self-contained CommonJS file, build/module.js: the extension-tools
// and cognigy-guard's `inline` entry (wasm embedded) are inside, so it runs without node_modules,
// fs or require. Type checking is `npm run typecheck` (tsc); esbuild only strips the types.
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = join(here, 'build', 'module.js');
rmSync(join(here, 'build'), { recursive: true, force: true });
mkdirSync(join(here, 'build'));

await esbuild.build({
  entryPoints: [join(here, 'src', 'module.ts')],
  outfile: out,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node18',
  legalComments: 'none',
  logLevel: 'warning',
});

// A leftover require() would need node_modules (or fs) at run time, which the upload does not have.
const code = readFileSync(out, 'utf8');
const requires = [...code.matchAll(/\brequire\(\s*["'`]([^"'`]+)["'`]\s*\)/g)].map((m) => m[1]);
if (requires.length) {
  console.error(`build/module.js still requires: ${[...new Set(requires)].join(', ')}`);
  process.exit(1);
}
console.log(`built build/module.js (${(code.length / 1024).toFixed(1)} KiB, self-contained)`);
