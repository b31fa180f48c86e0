#!/usr/bin/env node
// Measures the built package (raw and gzipped bytes per file and per entry) and writes
// artifacts/size.json. By default it also records the sizes: it rewrites the size table in
// README.md between its markers and bench/size-baseline.json (the main entry's recorded size),
// which are committed together.
// Usage: node scripts/size.mjs [--no-readme | --check] [--pkg DIR] [--readme FILE] [--baseline FILE]
//   --no-readme  measure only (artifacts/size.json)
//   --check      fail (exit 1) when the main entry grew more than 5 % past bench/size-baseline.json,
//                or when the baseline is not the main entry's figure in the README size table
//                (the README table is updated with the baseline, by running this script without flags)
import { gzipSync } from 'node:zlib';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
/** The entry the size target is about: what `require('cognigy-guard')` loads (the guard module). */
export const MAIN_ENTRY = 'require / Node ESM (node/index.cjs + guard .wasm)';
/** The growth of the main entry (gzipped) the check allows past the recorded size. */
export const ALLOWED_GROWTH = 0.05;
/** The measured files of the package; every entry is a sum of some of them. */
export const FILES = ['web/cognigy_guard_bg.wasm', 'web/cognigy_guard.js', 'web/cognigy_guard_suites_bg.wasm',
  'web/cognigy_guard_suites.js', 'web/index.js', 'node/index.cjs', 'node/suites.cjs', 'inline.cjs'];
const ENTRIES = {
  [MAIN_ENTRY]: ['node/index.cjs', 'web/cognigy_guard_bg.wasm'],
  // node/suites.cjs (the suites glue and runner) and the suites .wasm are read on the first use of a suite export.
  'suites side, read on first suite use (node/suites.cjs + suites .wasm)': ['node/suites.cjs',
    'web/cognigy_guard_suites_bg.wasm'],
  'require + first suite use (node/index.cjs + node/suites.cjs + both .wasm)': ['node/index.cjs', 'node/suites.cjs',
    'web/cognigy_guard_bg.wasm', 'web/cognigy_guard_suites_bg.wasm'],
  'browser / bundler (web/index.js + both glues + both .wasm)': ['web/index.js', 'web/cognigy_guard.js',
    'web/cognigy_guard_bg.wasm', 'web/cognigy_guard_suites.js', 'web/cognigy_guard_suites_bg.wasm'],
  'inline (inline.cjs, both modules embedded)': ['inline.cjs'],
};
const START = '<!-- size:start -->';
const END = '<!-- size:end -->';

/** `{ files, entries }`: raw and gzipped (-9) bytes of each file of `pkgDir` and of each entry. */
export function measure(pkgDir) {
  const files = FILES.map((file) => {
    const bytes = readFileSync(join(pkgDir, file));
    return { file, raw: bytes.length, gzip: gzipSync(bytes, { level: 9 }).length };
  });
  const byName = Object.fromEntries(files.map((f) => [f.file, f]));
  const entries = Object.fromEntries(Object.entries(ENTRIES).map(([name, parts]) => [name, parts.reduce(
    (acc, n) => ({ raw: acc.raw + byName[n].raw, gzip: acc.gzip + byName[n].gzip }), { raw: 0, gzip: 0 })]));
  return { files, entries };
}

const kb = (n) => `${(n / 1024).toFixed(1)} KiB`;

/** The README's markdown size table of `report`. */
export function table(report) {
  return [
    '| what | raw | gzipped |',
    '| --- | ---: | ---: |',
    ...report.files.map((f) => `| \`${f.file}\` | ${kb(f.raw)} | ${kb(f.gzip)} |`),
    ...Object.entries(report.entries).map(([name, s]) => `| entry: ${name} | ${kb(s.raw)} | ${kb(s.gzip)} |`),
  ].join('\n');
}

/** `readme` with its size table replaced by `report`'s. */
export function withTable(readme, report) {
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) throw new Error('README.md has no size markers');
  return `${readme.slice(0, i + START.length)}\n${table(report)}\n${readme.slice(j)}`;
}

/** The main entry's gzipped figure as the README size table shows it (`'276.6 KiB'`), or undefined. */
function readmeFigure(readme) {
  const i = readme.indexOf(START);
  const j = readme.indexOf(END);
  if (i < 0 || j < i) return undefined;
  const row = readme.slice(i, j).split('\n').find((line) => line.startsWith(`| entry: ${MAIN_ENTRY} |`));
  return row?.split('|').map((cell) => cell.trim()).at(-2);
}

/**
 * The problems of `report` against the recorded `baseline` (`{ mainEntryGzip }`) and `readme`:
 * growth of the main entry past the allowance, or a baseline the README table does not show.
 */
export function check(report, baseline, readme) {
  const problems = [];
  const recorded = baseline?.mainEntryGzip;
  if (!Number.isInteger(recorded) || recorded <= 0) {
    return ['the size baseline has no mainEntryGzip: run `npm run size` and commit README.md with bench/size-baseline.json'];
  }
  const shown = readmeFigure(readme);
  if (shown !== kb(recorded)) {
    problems.push(`the README size table shows the main entry at ${shown ?? 'nothing'}, the baseline records ${kb(recorded)}: `
      + 'run `npm run size` and commit both');
  }
  const now = report.entries[MAIN_ENTRY].gzip;
  if (now > recorded * (1 + ALLOWED_GROWTH)) {
    problems.push(`the main entry grew to ${kb(now)} gzipped, more than ${ALLOWED_GROWTH * 100} % past the recorded `
      + `${kb(recorded)}: if that is meant, run \`npm run size\` and commit README.md with bench/size-baseline.json`);
  }
  return problems;
}

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 && process.argv[i + 1] !== undefined ? resolve(process.argv[i + 1]) : fallback;
}

function main() {
  const pkgDir = option('--pkg', join(root, 'pkg'));
  const readmePath = option('--readme', join(root, 'README.md'));
  const baselinePath = option('--baseline', join(root, 'bench', 'size-baseline.json'));
  const report = measure(pkgDir);
  console.log(table(report));
  if (process.argv.includes('--check')) {
    let baseline;
    try {
      baseline = JSON.parse(readFileSync(baselinePath, 'utf8'));
    } catch {
      baseline = undefined;
    }
    const problems = check(report, baseline, readFileSync(readmePath, 'utf8'));
    for (const p of problems) console.error(`size check: ${p}`);
    if (problems.length) process.exit(1);
    console.log(`size check: OK (main entry ${kb(report.entries[MAIN_ENTRY].gzip)}, recorded ${kb(baseline.mainEntryGzip)})`);
    return;
  }
  mkdirSync(join(root, 'artifacts'), { recursive: true });
  writeFileSync(join(root, 'artifacts', 'size.json'), `${JSON.stringify(report, null, 2)}\n`);
  if (process.argv.includes('--no-readme')) return;
  writeFileSync(readmePath, withTable(readFileSync(readmePath, 'utf8'), report));
  const entries = Object.fromEntries(Object.entries(report.entries).map(([name, s]) => [name, s.gzip]));
  writeFileSync(baselinePath, `${JSON.stringify({ mainEntryGzip: report.entries[MAIN_ENTRY].gzip, entriesGzip: entries }, null, 2)}\n`);
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
