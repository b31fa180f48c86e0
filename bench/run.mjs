#!/usr/bin/env node
// The benchmark of cognigy-guard against its peers (opossum, cockatiel, ajv, zod) and against a
// bare baseline. One command from the repository root: `npm run bench`.
//   - installs the bench's own dev dependencies (`npm ci --prefix bench`) when missing,
//   - builds pkg/ when missing (`npm run build`),
//   - runs every measurement, prints a table of medians and ratios and the targets (MET/MISSED),
//   - writes bench/results.json and the table in README.md between the bench markers.
// `node bench/run.mjs --smoke` (or BENCH_SMOKE=1): every measurement with tiny iterations, checks
// that the harness works (numbers out, the JS aggregation equal to ours), writes nothing.
// `node bench/run.mjs --render`: measures nothing; recomputes the breaker targets from the medians
// in bench/results.json and re-renders the README table from it (after a change to how a target
// is judged, without a new run).
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { benchDir, mainEntry, root } from './lib/paths.mjs';
import { fmtBytes, fmtNs } from './lib/stats.mjs';

const smoke = process.argv.includes('--smoke') || process.env.BENCH_SMOKE === '1';
const only = process.argv.find((a) => a.startsWith('--only='))?.slice(7).split(',');
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

function ensureDeps() {
  const lock = join(benchDir, 'package-lock.json');
  const marker = join(benchDir, 'node_modules', '.package-lock.json');
  if (!existsSync(marker) || statSync(lock).mtimeMs > statSync(marker).mtimeMs) {
    console.log('== bench: npm ci --prefix bench');
    execFileSync(npm, ['ci', '--prefix', benchDir, '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
  }
  if (!existsSync(mainEntry)) {
    if (!existsSync(join(root, 'node_modules', 'esbuild'))) {
      console.log('== bench: npm ci (root, for the build)');
      execFileSync(npm, ['ci', '--no-audit', '--no-fund'], { cwd: root, stdio: 'inherit' });
    }
    console.log('== bench: pkg/ is missing, npm run build');
    execFileSync(npm, ['run', 'build'], { cwd: root, stdio: 'inherit' });
  }
}

const FULL = {
  breaker: { iterations: 20_000, samples: 15, warmup: 3, rounds: 5 },
  http: { iterations: 400, samples: 15, warmup: 2 },
  validation: { iterations: 20, samples: 15, warmup: 3 },
  aggregate: {
    sizes: [500, 10_000, 100_000],
    runs: (n) => (n <= 500 ? { iterations: 20, samples: 15, warmup: 3 }
      : n <= 10_000 ? { iterations: 2, samples: 11, warmup: 2 } : { iterations: 1, samples: 10, warmup: 2 }),
  },
  coldStart: { runs: 30, warmup: 2 },
  memory: { calls: 1_000_000, endpoints: 1000, every: 50_000 },
  store: { iterations: 2000, samples: 11, warmup: 2 },
};
const SMOKE = {
  breaker: { iterations: 50, samples: 2, warmup: 1, rounds: 1 },
  http: { iterations: 3, samples: 2, warmup: 1 },
  validation: { iterations: 1, samples: 2, warmup: 1 },
  aggregate: { sizes: [500, 3000], runs: () => ({ iterations: 1, samples: 2, warmup: 0 }) },
  coldStart: { runs: 2, warmup: 0 },
  memory: { calls: 4000, endpoints: 100, every: 1000 },
  store: { iterations: 20, samples: 2, warmup: 1 },
};

const sections = [
  ['breaker', './cases/breaker.mjs', 'benchBreaker'],
  ['http', './cases/http.mjs', 'benchHttp'],
  ['validation', './cases/validation.mjs', 'benchValidation'],
  ['aggregate', './cases/aggregate.mjs', 'benchAggregate'],
  ['coldStart', './cases/coldstart.mjs', 'benchColdStart'],
  ['size', './cases/size.mjs', 'benchSize'],
  ['memory', './cases/memory.mjs', 'benchMemory'],
  ['store', './cases/store.mjs', 'benchStore'],
];

function machine() {
  let cpu = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = readFileSync('/proc/cpuinfo', 'utf8').match(/^model name\s*:\s*(.+)$/m);
    if (m) cpu = m[1].trim();
  } catch { /* not Linux */ }
  let commit = null;
  try {
    commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch { /* not a git checkout */ }
  return {
    cpu, cores: os.cpus().length, node: process.version, platform: `${os.platform()} ${os.arch()}`,
    date: new Date().toISOString(), commit,
  };
}

// ---- rendering ----

const ratioCell = (r) => {
  if (r.overheadPct != null) return `${r.overhead >= 0 ? '+' : ''}${fmtNs(r.overhead)} (${r.overheadPct >= 0 ? '+' : ''}${r.overheadPct.toFixed(1)} %)`;
  if (r.overhead != null) return `${r.overhead >= 0 ? '+' : ''}${fmtNs(r.overhead)}`;
  if (r.ratio != null) return `${r.ratio.toFixed(2)}x the time ${r.ratioLabel}`;
  return r.note ?? '';
};

export function renderTables(result) {
  const out = [];
  const timing = result.rows.filter((r) => r.median !== undefined);
  out.push('| measurement | variant | median | p25 – p75 | over baseline / ratio |');
  out.push('| --- | --- | ---: | ---: | --- |');
  let last = null;
  for (const r of timing) {
    const group = r.group === last ? '' : r.group;
    last = r.group;
    const unit = r.unit.replace('ns/', '/');
    const med = Number.isFinite(r.median) ? `${fmtNs(r.median)} ${unit}` : 'n/a';
    const iqr = Number.isFinite(r.p25) ? `${fmtNs(r.p25)} – ${fmtNs(r.p75)}` : '';
    out.push(`| ${group} | ${r.name} | ${med} | ${iqr} | ${ratioCell(r)} |`);
  }
  const size = result.rows.filter((r) => r.group === 'size (bytes)');
  if (size.length) {
    out.push('', '| size | raw | gzipped (-9) |', '| --- | ---: | ---: |');
    for (const r of size) out.push(`| ${r.name} | ${fmtBytes(r.raw)} | ${fmtBytes(r.gzip)} |`);
  }
  const mem = result.rows.filter((r) => r.group === 'memory');
  if (mem.length) {
    out.push('', '| memory (fresh process) | wasm memory start → end | heapUsed start → end (after GC) | plateau |', '| --- | ---: | ---: | --- |');
    for (const r of mem) {
      out.push(`| ${r.name} | ${fmtBytes(r.wasmStart)} → ${fmtBytes(r.wasmEnd)} | ${fmtBytes(r.heapStart)} → ${fmtBytes(r.heapEnd)} | ${r.plateau ? 'yes' : 'NO'} (wasm trail: ${compactTrail(r.trail)}) |`);
    }
  }
  out.push('', '| target | result | the issue\'s figure | figures of this run |', '| --- | --- | --- | --- |');
  for (const t of result.targets) {
    const was = t.regressed == null ? (t.issue ?? '') : `${t.issue}: ${t.regressed ? '**worse**' : 'not worse'}`;
    out.push(`| ${t.target}${t.informational ? ' (informational)' : ''} | **${t.met ? 'MET' : 'MISSED'}** | ${was} | ${t.figures} |`);
  }
  const m = result.machine;
  out.push('', `Machine: ${m.cpu}, ${m.cores} cores, Node ${m.node}, ${m.platform}; ${m.date}${m.commit ? `, commit ${m.commit}` : ''}; `
    + `${result.mode} run in ${result.seconds.toFixed(0)} s.`);
  return out.join('\n');
}

function compactTrail(trail) {
  // Distinct consecutive values only: shows where the wasm memory grew and where it stayed.
  const steps = trail.filter((v, i) => i === 0 || v !== trail[i - 1]);
  return steps.map((b) => `${(b / 1048576).toFixed(1)}`).join(' → ') + ' MiB';
}

function writeReadme(tables) {
  const path = join(root, 'README.md');
  const readme = readFileSync(path, 'utf8');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const i = readme.indexOf(start);
  const j = readme.indexOf(end);
  if (i < 0 || j < i) {
    console.warn('README.md has no bench markers: table not written');
    return;
  }
  writeFileSync(path, `${readme.slice(0, i + start.length)}\n${tables}\n${readme.slice(j)}`);
}

// ---- smoke checks (the harness works; never speed) ----

function assertHarness(result) {
  const problems = [];
  for (const r of result.rows) {
    if (r.median !== undefined && !Number.isFinite(r.median) && !r.note) problems.push(`${r.group} / ${r.name}: median ${r.median}`);
    if (r.median !== undefined && Number.isFinite(r.median) && r.median <= 0) problems.push(`${r.group} / ${r.name}: median ${r.median}`);
    if (r.raw !== undefined && !(r.raw > 0 && r.gzip > 0)) problems.push(`${r.name}: size ${r.raw}/${r.gzip}`);
    if (r.wasmEnd !== undefined && !(r.wasmEnd > 0 && r.heapEnd > 0)) problems.push(`${r.name}: memory ${r.wasmEnd}/${r.heapEnd}`);
  }
  for (const t of result.targets) {
    if (typeof t.met !== 'boolean' || typeof t.figures !== 'string') problems.push(`target ${t.id} malformed`);
  }
  const groups = new Set(result.rows.map((r) => r.group.split(',')[0].split(' (')[0]));
  const groupOf = { breaker: 'breaker', http: 'guarded HTTP call', validation: 'validation', aggregate: 'aggregation',
    coldStart: 'cold start', size: 'size', memory: 'memory' };
  for (const [key, want] of Object.entries(groupOf)) {
    if (only && !only.includes(key)) continue;
    if (![...groups].some((g) => g.startsWith(want))) problems.push(`no rows for ${want}`);
  }
  const agg = result.data.aggregate ?? {};
  for (const [n, d] of Object.entries(agg)) {
    if (d.equal !== true) problems.push(`aggregation ${n}: JS result not compared equal to ours (${d.oursError})`);
  }
  if (problems.length) throw new Error(`bench smoke failed:\n  ${problems.join('\n  ')}`);
}

// ---- main ----

/** Re-renders the README table from bench/results.json (see the header). */
async function render() {
  const path = join(benchDir, 'results.json');
  const result = JSON.parse(readFileSync(path, 'utf8'));
  const { breakerTargets } = await import('./cases/breaker.mjs');
  const fresh = breakerTargets(result.data.breaker.rounds, result.data.breaker.rejection);
  const at = result.targets.findIndex((t) => t.id === 'breaker');
  result.targets = [...result.targets.slice(0, at), ...fresh, ...result.targets.slice(at).filter((t) => !t.id.startsWith('breaker'))];
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  writeReadme(renderTables(result));
  console.log('re-rendered the README table from bench/results.json');
}

async function main() {
  if (process.argv.includes('--render')) return render();
  ensureDeps();
  const cfg = smoke ? SMOKE : FULL;
  const started = Date.now();
  const result = { mode: smoke ? 'smoke' : 'full', machine: machine(), rows: [], targets: [], data: {}, config: {} };
  for (const [key, file, fn] of sections) {
    if (only && !only.includes(key)) continue;
    const t0 = Date.now();
    process.stdout.write(`== bench: ${key} ... `);
    const mod = await import(file);
    const r = await mod[fn](cfg);
    result.rows.push(...r.rows);
    result.targets.push(...r.targets);
    result.data[key] = r.data;
    console.log(`${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  result.config = JSON.parse(JSON.stringify(cfg, (k, v) => (typeof v === 'function' ? String(v) : v)));
  result.seconds = (Date.now() - started) / 1000;
  const tables = renderTables(result);
  console.log(`\n${tables}\n`);
  if (smoke) {
    assertHarness(result);
    console.log('bench smoke: OK (harness works; speed targets are not checked in smoke mode)');
    return;
  }
  if (only) {
    console.log('partial run (--only): results.json and README not written');
    return;
  }
  writeFileSync(join(benchDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  writeReadme(tables);
  console.log('wrote bench/results.json and the README table');
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
