// The benchmark harness works: `node bench/run.mjs --smoke` runs every measurement with tiny
// iterations and asserts that the outputs are numbers and that the JS aggregation equals ours.
// Speed targets are checked by the benchmark itself (`npm run bench`), never by this timed test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { root } from './helpers.mjs';

const bench = join(root, 'bench');

test('bench smoke mode runs every measurement', { timeout: 60_000 }, () => {
  if (!existsSync(join(bench, 'node_modules', '.package-lock.json'))) {
    // The bench's peers (opossum, cockatiel, ajv, zod) are its own dev dependencies.
    execFileSync('npm', ['ci', '--prefix', bench, '--no-audit', '--no-fund'], { cwd: root, stdio: 'pipe' });
  }
  const out = execFileSync(process.execPath, [join(bench, 'run.mjs'), '--smoke'], {
    cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'],
  });
  assert.match(out, /bench smoke: OK/);
  for (const section of ['breaker', 'guarded HTTP call', 'validation, 500 cases', 'aggregation, 500 cases', 'cold start', 'size', 'memory']) {
    assert.ok(out.includes(section), `no output for ${section}`);
  }
  assert.match(out, /\| (MET|MISSED)|\*\*(MET|MISSED)\*\*/);
});
