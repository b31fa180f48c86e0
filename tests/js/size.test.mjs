// The size check of scripts/size.mjs (run by `npm test` after the build): the main entry may not
// grow more than 5 % past bench/size-baseline.json unless the README size table is re-recorded
// with it. Tested on a small fake package so that the figures are known.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { root } from './helpers.mjs';

const script = join(root, 'scripts', 'size.mjs');
const { FILES, MAIN_ENTRY, check, measure, withTable } = await import(script);

/** A fake pkg/ whose guard .wasm is `wasmBytes` incompressible bytes. */
function fakePackage(dir, wasmBytes) {
  for (const sub of ['web', 'node']) mkdirSync(join(dir, sub), { recursive: true });
  for (const f of FILES) writeFileSync(join(dir, f), 'x');
  writeFileSync(join(dir, 'web', 'cognigy_guard_bg.wasm'), randomBytes(wasmBytes));
}

function runCheck(dir) {
  return spawnSync(process.execPath, [script, '--check', '--pkg', join(dir, 'pkg'), '--readme', join(dir, 'README.md'),
    '--baseline', join(dir, 'baseline.json')], { encoding: 'utf8' });
}

test('size check: passes within 5 %, fails past it until README table and baseline are re-recorded together', () => {
  const dir = mkdtempSync(join(tmpdir(), 'size-check-'));
  try {
    fakePackage(join(dir, 'pkg'), 100_000);
    const recorded = measure(join(dir, 'pkg'));
    const readme = withTable('# x\n<!-- size:start -->\n<!-- size:end -->\n', recorded);
    writeFileSync(join(dir, 'README.md'), readme);
    writeFileSync(join(dir, 'baseline.json'), JSON.stringify({ mainEntryGzip: recorded.entries[MAIN_ENTRY].gzip }));
    assert.equal(runCheck(dir).status, 0, 'unchanged');

    fakePackage(join(dir, 'pkg'), 104_000);
    assert.equal(runCheck(dir).status, 0, '4 % growth is allowed');

    fakePackage(join(dir, 'pkg'), 106_000);
    const grown = runCheck(dir);
    assert.equal(grown.status, 1, '6 % growth fails');
    assert.match(grown.stderr, /grew to .* more than 5 % past the recorded/);

    const now = measure(join(dir, 'pkg'));
    writeFileSync(join(dir, 'baseline.json'), JSON.stringify({ mainEntryGzip: now.entries[MAIN_ENTRY].gzip }));
    const baselineOnly = runCheck(dir);
    assert.equal(baselineOnly.status, 1, 'a baseline bumped without the README table fails');
    assert.match(baselineOnly.stderr, /README size table shows/);

    writeFileSync(join(dir, 'README.md'), withTable(readFileSync(join(dir, 'README.md'), 'utf8'), now));
    assert.equal(runCheck(dir).status, 0, 'README table and baseline updated together');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('size check: a missing baseline is a failure, not a pass', () => {
  const report = { files: [], entries: { [MAIN_ENTRY]: { raw: 10, gzip: 10 } } };
  assert.equal(check(report, undefined, '').length, 1);
  assert.deepEqual(check(report, { mainEntryGzip: 10 }, withTable('<!-- size:start --><!-- size:end -->', report)), []);
});

test('the committed baseline is the README size table figure', () => {
  const baseline = JSON.parse(readFileSync(join(root, 'bench', 'size-baseline.json'), 'utf8'));
  const readme = readFileSync(join(root, 'README.md'), 'utf8');
  const fake = { files: [], entries: { [MAIN_ENTRY]: { raw: 0, gzip: baseline.mainEntryGzip } } };
  assert.deepEqual(check(fake, baseline, readme), []);
});
