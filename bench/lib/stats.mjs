// Sampling harness: warm-up, many iterations per sample, >= 10 samples, median and quartiles.
// Variants of one measurement are interleaved sample by sample (A B C, A B C, ...) in the same
// process, so a drift of the machine (frequency, GC pressure, a noisy neighbour) hits all alike.
import { performance } from 'node:perf_hooks';

/** Quantile of ascending `sorted` by linear interpolation (q in 0..1). */
export function quantile(sorted, q) {
  if (sorted.length === 0) return NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}

/** `{ median, p25, p75, min, max, samples }` of a list of numbers. */
export function summary(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    median: quantile(sorted, 0.5),
    p25: quantile(sorted, 0.25),
    p75: quantile(sorted, 0.75),
    min: sorted[0],
    max: sorted[sorted.length - 1],
    samples: sorted.length,
  };
}

/**
 * Measures variants `{ name: fn }`, where `fn(iterations)` runs the operation `iterations` times
 * (sync or async) and may return a promise. Reports nanoseconds per operation.
 * Options: `iterations` per sample, `samples` (>= 10 in full mode), `warmup` samples (discarded).
 */
export async function compare(variants, { iterations, samples, warmup = 2 }) {
  const names = Object.keys(variants);
  const perOp = Object.fromEntries(names.map((n) => [n, []]));
  for (let s = 0; s < warmup + samples; s += 1) {
    // Rotate the starting variant so none is always first after a GC-heavy neighbour.
    for (let k = 0; k < names.length; k += 1) {
      const name = names[(s + k) % names.length];
      const started = performance.now();
      const r = variants[name](iterations);
      if (r && typeof r.then === 'function') await r;
      const elapsedMs = performance.now() - started;
      if (s >= warmup) perOp[name].push((elapsedMs * 1e6) / iterations);
    }
  }
  return Object.fromEntries(names.map((n) => [n, summary(perOp[n])]));
}

/** Formats nanoseconds for humans. */
export function fmtNs(ns) {
  if (!Number.isFinite(ns)) return String(ns);
  if (ns < 0) return `-${fmtNs(-ns)}`;
  if (ns < 1e3) return `${ns.toFixed(0)} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 2 : 1)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 2 : 1)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

export function fmtBytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${(n / 1024 / 1024).toFixed(2)} MiB`;
}
