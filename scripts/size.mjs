#!/usr/bin/env node
// Measures the built package (raw and gzipped bytes per file and per entry), writes
// artifacts/size.json and rewrites the size table in README.md between its markers.
// Usage: node scripts/size.mjs [--no-readme]
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const pkg = join(root, 'pkg');
const measure = (file) => {
  const bytes = readFileSync(join(pkg, file));
  return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
};
const files = ['web/cognigy_guard_bg.wasm', 'web/cognigy_guard.js', 'web/index.js', 'node/index.cjs', 'inline.cjs']
  .map(measure);
const byName = Object.fromEntries(files.map((f) => [f.file, f]));
const sum = (names) => names.reduce((acc, n) => ({ raw: acc.raw + byName[n].raw, gzip: acc.gzip + byName[n].gzip }), { raw: 0, gzip: 0 });
const entries = {
  'require / Node ESM (node/index.cjs + .wasm)': sum(['node/index.cjs', 'web/cognigy_guard_bg.wasm']),
  'browser / bundler (web/index.js + glue + .wasm)': sum(['web/index.js', 'web/cognigy_guard.js', 'web/cognigy_guard_bg.wasm']),
  'inline (inline.cjs, wasm embedded)': sum(['inline.cjs']),
};
const report = { files, entries };
mkdirSync(join(root, 'artifacts'), { recursive: true });
writeFileSync(join(root, 'artifacts', 'size.json'), `${JSON.stringify(report, null, 2)}\n`);

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;
const table = [
  '| what | raw | gzipped |',
  '| --- | ---: | ---: |',
  ...files.map((f) => `| \`${f.file}\` | ${kb(f.raw)} | ${kb(f.gzip)} |`),
  ...Object.entries(entries).map(([name, s]) => `| entry: ${name} | ${kb(s.raw)} | ${kb(s.gzip)} |`),
].join('\n');
console.log(table);

if (!process.argv.includes('--no-readme')) {
  const readmePath = join(root, 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- size:start -->';
  const end = '<!-- size:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) throw new Error('README.md has no size markers');
  writeFileSync(readmePath, `${readme.slice(0, i + start.length)}\n${table}\n${readme.slice(j)}`);
}
