// 6. Size of the built package, raw and gzipped (level 9), per file and per entry. Reuses
// scripts/size.mjs (run with --no-readme: it writes artifacts/size.json and leaves the README's
// size table to `npm run size`) and adds the target's "total": what `require('cognigy-guard')`
// loads, the guard .wasm plus node/index.cjs (which bundles the guard module's wasm-bindgen glue),
// each gzipped, summed (the suites side, node/suites.cjs and its .wasm, read on first suite use, has
// rows of its own).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { root } from '../lib/paths.mjs';
import { judge } from '../lib/targets.mjs';
import { MAIN_ENTRY as TOTAL_ENTRY } from '../../scripts/size.mjs';

export const INLINE_ENTRY = 'inline (inline.cjs, both modules embedded)';
const kib = (n) => `${(n / 1000).toFixed(1)} kB (${(n / 1024).toFixed(1)} KiB)`;

export async function benchSize() {
  execFileSync(process.execPath, [join(root, 'scripts', 'size.mjs'), '--no-readme'], { cwd: root, stdio: 'ignore' });
  const report = JSON.parse(readFileSync(join(root, 'artifacts', 'size.json'), 'utf8'));
  const total = report.entries[TOTAL_ENTRY];
  const inline = report.entries[INLINE_ENTRY];
  if (!total || !inline) throw new Error(`scripts/size.mjs has no entry "${TOTAL_ENTRY}" or "${INLINE_ENTRY}"`);
  const rows = [
    ...report.files.map((f) => ({ group: 'size (bytes)', name: `\`${f.file}\``, raw: f.raw, gzip: f.gzip })),
    ...Object.entries(report.entries).map(([name, s]) => ({ group: 'size (bytes)', name: `entry: ${name}`, raw: s.raw, gzip: s.gzip })),
  ];
  const wasm = report.files.find((f) => f.file === 'web/cognigy_guard_bg.wasm');
  return {
    rows,
    targets: [
      judge('size', total.gzip, `${kib(total.gzip)}, of which the guard .wasm ${kib(wasm.gzip)}`),
      judge('size-inline', inline.gzip, kib(inline.gzip)),
    ],
    data: report,
  };
}
