// 1. Per-call overhead of a breaker-guarded async call: ours (`CircuitBreaker.execute`) vs opossum
// (`fire`) vs cockatiel (`circuitBreaker(...).execute`) vs the bare `await fn()`, on the success path
// and on the open-circuit rejection path. Sequential awaits, same process, interleaved samples.
import { compare } from '../lib/stats.mjs';
import { loadGuard, peer } from '../lib/paths.mjs';

export async function benchBreaker(cfg) {
  const g = loadGuard();
  const Opossum = peer('opossum');
  const cockatiel = peer('cockatiel');
  const work = async () => 1;
  const failing = async () => { throw new Error('down'); };

  const ours = new g.CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 30000 });
  // opossum's default arms a 10 s timer per call; ours and cockatiel's execute have no per-call
  // timeout, so the like-for-like row is `timeout: false` (the default is reported too).
  const opossumNoTimer = new Opossum(work, { timeout: false, resetTimeout: 30000, errorThresholdPercentage: 50 });
  const opossumDefault = new Opossum(work, { resetTimeout: 30000 });
  const cockatielPolicy = cockatiel.circuitBreaker(cockatiel.handleAll, {
    halfOpenAfter: 30000, breaker: new cockatiel.ConsecutiveBreaker(3),
  });

  const loop = (call) => async (n) => { for (let i = 0; i < n; i += 1) await call(); };
  const success = await compare({
    bare: loop(() => work()),
    ours: loop(() => ours.execute(work)),
    opossum: loop(() => opossumNoTimer.fire()),
    'opossum (default 10 s timeout)': loop(() => opossumDefault.fire()),
    cockatiel: loop(() => cockatielPolicy.execute(work)),
  }, cfg.breaker);

  // Rejection path: each breaker tripped by 3 failures, then every call is refused.
  const oursOpen = new g.CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 3_600_000 });
  const opossumOpen = new Opossum(failing, { timeout: false, resetTimeout: 3_600_000, volumeThreshold: 0, errorThresholdPercentage: 1 });
  opossumOpen.on('reject', () => {});
  const cockatielOpen = cockatiel.circuitBreaker(cockatiel.handleAll, {
    halfOpenAfter: 3_600_000, breaker: new cockatiel.ConsecutiveBreaker(3),
  });
  for (let i = 0; i < 3; i += 1) {
    await oursOpen.execute(failing).catch(() => {});
    await opossumOpen.fire().catch(() => {});
    await cockatielOpen.execute(failing).catch(() => {});
  }
  if (oursOpen.state !== 'open' || !opossumOpen.opened || cockatielOpen.state !== cockatiel.CircuitState.Open) {
    throw new Error('breakers did not open for the rejection-path benchmark');
  }
  const refused = new Error('refused');
  const rejectLoop = (call) => async (n) => {
    for (let i = 0; i < n; i += 1) {
      try { await call(); } catch { /* expected */ }
    }
  };
  const rejection = await compare({
    'bare (await a rejected promise)': rejectLoop(() => Promise.reject(refused)),
    ours: rejectLoop(() => oursOpen.execute(work)),
    opossum: rejectLoop(() => opossumOpen.fire()),
    cockatiel: rejectLoop(() => cockatielOpen.execute(work)),
  }, cfg.breaker);
  // The work must never have run on the rejection path.
  let ran = false;
  await oursOpen.execute(() => { ran = true; }).catch(() => {});
  if (ran) throw new Error('open breaker ran the work');

  const bareSuccess = success.bare.median;
  const bareReject = rejection['bare (await a rejected promise)'].median;
  const rows = [
    ...Object.entries(success).map(([name, s]) => ({
      group: 'breaker, success path', name, median: s.median, p25: s.p25, p75: s.p75, unit: 'ns/call',
      overhead: name === 'bare' ? null : s.median - bareSuccess,
    })),
    ...Object.entries(rejection).map(([name, s]) => ({
      group: 'breaker, open-circuit rejection', name, median: s.median, p25: s.p25, p75: s.p75, unit: 'ns/call',
      overhead: name.startsWith('bare') ? null : s.median - bareReject,
    })),
  ];
  const targets = breakerTargets(success, rejection);
  return { rows, targets, data: { success, rejection } };
}

/** The breaker targets of one run's medians: overhead over bare below cockatiel's, per path. */
export function breakerTargets(success, rejection) {
  const over = (res, bare, name) => res[name].median - res[bare].median;
  const bareReject = 'bare (await a rejected promise)';
  const oursOver = over(success, 'bare', 'ours');
  const cockOver = over(success, 'bare', 'cockatiel');
  const oursReject = over(rejection, bareReject, 'ours');
  const cockReject = over(rejection, bareReject, 'cockatiel');
  return [{
    id: 'breaker',
    target: 'breaker overhead below cockatiel\'s (success path)',
    met: oursOver < cockOver,
    figures: `ours +${fmt(oursOver)} vs cockatiel +${fmt(cockOver)} over bare ${fmt(success.bare.median)}`,
  }, {
    id: 'breaker-rejection',
    target: 'breaker open-circuit rejection overhead below cockatiel\'s',
    met: oursReject < cockReject,
    figures: `ours +${fmt(oursReject)} vs cockatiel +${fmt(cockReject)} over bare ${fmt(rejection[bareReject].median)}`
      + ` (opossum +${fmt(over(rejection, bareReject, 'opossum'))})`,
  }];
}

const fmt = (ns) => `${Math.round(ns)} ns`;
