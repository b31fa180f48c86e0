#!/usr/bin/env node
// Packs the extension for Cognigy's "Upload Extension" (Manage → Extensions):
//   cognigy-guard-extension.tar.gz = build/module.js, package.json, package-lock.json, README.md, icon.png
// The package.json and package-lock.json inside are derived from this folder's: same name, version
// and `main`, but no dependencies, because build/module.js is self-contained; should the platform
// install an upload's dependencies, this folder's lockfile names `file:../../pkg`, which exists only
// in this repository.
// Usage: node scripts/zip.mjs [--out DIR]   (default: this folder)
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = join(dirname(fileURLToPath(import.meta.url)), '..');
const outFlag = process.argv.indexOf('--out');
const outDir = outFlag > 0 ? resolve(process.argv[outFlag + 1]) : here;
const bundle = join(here, 'build', 'module.js');
if (!existsSync(bundle)) {
  console.error('build/module.js is missing: run `npm run build` first');
  process.exit(1);
}

const dev = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
const manifest = {
  name: dev.name,
  version: dev.version,
  description: dev.description,
  main: dev.main,
  license: dev.license,
  engines: dev.engines,
  dependencies: {},
};
const lock = {
  name: dev.name,
  version: dev.version,
  lockfileVersion: 3,
  requires: true,
  packages: { '': { name: dev.name, version: dev.version, license: dev.license, engines: dev.engines } },
};

const stage = mkdtempSync(join(tmpdir(), 'cognigy-guard-extension-'));
try {
  mkdirSync(join(stage, 'build'));
  copyFileSync(bundle, join(stage, 'build', 'module.js'));
  writeFileSync(join(stage, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(stage, 'package-lock.json'), `${JSON.stringify(lock, null, 2)}\n`);
  copyFileSync(join(here, 'README.md'), join(stage, 'README.md'));
  copyFileSync(join(here, 'icon.png'), join(stage, 'icon.png'));
  mkdirSync(outDir, { recursive: true });
  const tarball = join(outDir, `${dev.name}.tar.gz`);
  execFileSync('tar', ['-czf', tarball, '-C', stage, 'build', 'package.json', 'package-lock.json', 'README.md', 'icon.png']);
  console.log(tarball);
} finally {
  rmSync(stage, { recursive: true, force: true });
}
