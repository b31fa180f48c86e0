// 7. Memory: wasmMemoryBytes() and heapUsed (after a forced GC) sampled while making guarded calls
// over 1 000 endpoints, each phase in a fresh process: 1 000 CircuitBreakers with `execute`, and one
// TimeoutManager with 1 000 configured endpoints and a stub `fetch` (API: `fetch` option).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { benchDir, mainEntry } from '../lib/paths.mjs';

function runPhase(phase, { calls, endpoints, every }) {
  const out = execFileSync(process.execPath,
    ['--expose-gc', join(benchDir, 'cases', 'memory-child.cjs'), mainEntry, phase, String(calls), String(endpoints), String(every)],
    { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(out.trim().split('\n').pop());
}

/** Plateau: no wasm growth over the last quarter of the calls, heapUsed within +10 % (or +1 MiB). */
function plateau(samples) {
  const last = samples[samples.length - 1];
  const quarter = samples.find((s) => s.calls >= last.calls * 0.75) ?? last;
  const wasmGrowth = last.wasmBytes - quarter.wasmBytes;
  const heapGrowth = last.heapUsed - quarter.heapUsed;
  return { wasmGrowth, heapGrowth, ok: wasmGrowth === 0 && heapGrowth < Math.max(quarter.heapUsed * 0.1, 1 << 20), from: quarter.calls };
}

export async function benchMemory(cfg) {
  const phases = {
    breakers: runPhase('breakers', cfg.memory),
    manager: runPhase('manager', cfg.memory),
  };
  const rows = [];
  const checks = {};
  for (const [phase, r] of Object.entries(phases)) {
    const first = r.samples[0];
    const last = r.samples[r.samples.length - 1];
    const p = plateau(r.samples);
    checks[phase] = p;
    const label = phase === 'breakers'
      ? `${r.endpoints} CircuitBreakers, execute()`
      : `TimeoutManager, ${r.endpoints} endpoints, call() with a stub fetch`;
    rows.push({
      group: 'memory', name: `${label}: ${r.calls.toLocaleString('en-US')} calls in ${r.seconds.toFixed(1)} s`,
      wasmStart: first.wasmBytes, wasmEnd: last.wasmBytes, heapStart: first.heapUsed, heapEnd: last.heapUsed,
      plateau: p.ok, trail: r.samples.map((s) => s.wasmBytes),
    });
  }
  const allFlat = Object.values(checks).every((c) => c.ok);
  const mib = (b) => `${(b / 1048576).toFixed(1)} MiB`;
  return {
    rows,
    // Informational (not one of the targets), reported like one.
    targets: [{
      id: 'memory',
      target: `memory plateaus over ${cfg.memory.calls.toLocaleString('en-US')} guarded calls per phase, ${cfg.memory.endpoints} endpoints (no wasm growth in the last quarter)`,
      met: allFlat,
      figures: Object.entries(phases).map(([k, r]) => `${k}: wasm ${mib(r.samples[r.samples.length - 1].wasmBytes)}, `
        + `heapUsed ${mib(r.samples[r.samples.length - 1].heapUsed)}, growth in last quarter ${checks[k].wasmGrowth} B wasm`).join('; '),
      informational: true,
    }],
    data: { phases, checks },
  };
}
