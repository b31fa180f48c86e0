// 5. Cold start, hyperfine-like: spawn `node -e <script>` N times per variant (interleaved), take
// the wall-clock median, subtract bare `node -e ''`. The package is required by its name
// (bench/node_modules/cognigy-guard is a symlink to pkg/), so the `exports` map is exercised.
// With env BENCH_COMPARE_PKG=<a built package dir> the main entry of that package (its
// `node/index.cjs`, by path) is one more variant, interleaved: an A/B of two builds.
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { summary } from '../lib/stats.mjs';
import { benchDir, pkgDir } from '../lib/paths.mjs';
import { judge } from '../lib/targets.mjs';

const CONFIG = "{ endpointId: 'ext_svc_weather_01', maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: { message: 'x' } }";

export const scripts = {
  "bare node -e ''": '',
  "require('cognigy-guard') + first call": firstCall('cognigy-guard'),
  "require('cognigy-guard/inline') + first call": firstCall('cognigy-guard/inline'),
  "require('opossum')": "require('opossum');",
  "require('opossum') + first fire": "const B = require('opossum'); new B(async () => 1).fire().then(() => process.exit(0));",
  "require('cockatiel')": "require('cockatiel');",
};

/** The script of "require + first call" for the entry `spec` (a package name or a path). */
function firstCall(spec) {
  return `const g = require(${JSON.stringify(spec)}); if (!g.validateTimeoutConfig(${CONFIG}).ok) process.exit(3);`;
}

const COMPARE = "require(BENCH_COMPARE_PKG/node/index.cjs) + first call";
const OURS_BY_PATH = "require(pkg/node/index.cjs) + first call";

function linkPackage() {
  const link = join(benchDir, 'node_modules', 'cognigy-guard');
  mkdirSync(join(benchDir, 'node_modules'), { recursive: true });
  if (existsSync(link) || lstatSync(link, { throwIfNoEntry: false })) rmSync(link, { recursive: true, force: true });
  symlinkSync(pkgDir, link, 'dir');
}

export async function benchColdStart(cfg) {
  linkPackage();
  const variants = { ...scripts };
  const comparePkg = process.env.BENCH_COMPARE_PKG;
  if (comparePkg) {
    // Both by path, so the A/B leaves out the package-name resolution (about 1 ms through the link).
    variants[OURS_BY_PATH] = firstCall(join(pkgDir, 'node', 'index.cjs'));
    variants[COMPARE] = firstCall(join(resolve(comparePkg), 'node', 'index.cjs'));
  }
  const names = Object.keys(variants);
  const times = Object.fromEntries(names.map((n) => [n, []]));
  const run = (name) => {
    const started = performance.now();
    const r = spawnSync(process.execPath, ['-e', variants[name]], { cwd: benchDir, stdio: ['ignore', 'ignore', 'pipe'] });
    const ms = performance.now() - started;
    if (r.status !== 0) throw new Error(`cold start "${name}" exited ${r.status}: ${r.stderr}`);
    return ms;
  };
  for (let i = 0; i < cfg.coldStart.warmup; i += 1) names.forEach(run);
  for (let i = 0; i < cfg.coldStart.runs; i += 1) {
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(i + k) % names.length];
      times[name].push(run(name));
    }
  }
  const res = Object.fromEntries(names.map((n) => [n, summary(times[n])]));
  const bare = res[names[0]].median;
  const rows = names.map((name) => ({
    group: 'cold start (new node process, wall clock)', name, median: res[name].median * 1e6,
    p25: res[name].p25 * 1e6, p75: res[name].p75 * 1e6, unit: 'ns/process',
    overhead: name === names[0] ? null : (res[name].median - bare) * 1e6,
  }));
  const main = res[names[1]].median - bare;
  const inline = res[names[2]].median - bare;
  const opossum = res["require('opossum')"].median - bare;
  return {
    rows,
    targets: [
      judge('cold-start', main, `main +${main.toFixed(1)} ms, opossum +${opossum.toFixed(1)} ms over bare ${bare.toFixed(1)} ms`
        + (comparePkg ? `; by path: ours +${(res[OURS_BY_PATH].median - bare).toFixed(1)} ms, BENCH_COMPARE_PKG +${(res[COMPARE].median - bare).toFixed(1)} ms` : '')),
      judge('cold-start-inline', inline, `inline +${inline.toFixed(1)} ms over bare ${bare.toFixed(1)} ms`),
    ],
    data: res,
  };
}
