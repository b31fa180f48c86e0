// 1. Per-call overhead of a breaker-guarded async call: ours (`CircuitBreaker.execute`) vs opossum
// (`fire`) vs cockatiel (`circuitBreaker(...).execute`) vs the bare `await fn()`, on the success path
// and on the open-circuit rejection path. Sequential awaits, same process, interleaved samples.
import { compare } from '../lib/stats.mjs';
import { loadGuard, peer } from '../lib/paths.mjs';
import { judge } from '../lib/targets.mjs';

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
  // The success path is measured in `cfg.breaker.rounds` rounds (the target counts the rounds where
  // ours is below cockatiel); the table shows the last round.
  const rounds = [];
  for (let r = 0; r < cfg.breaker.rounds; r += 1) {
    rounds.push(await compare({
      bare: loop(() => work()),
      ours: loop(() => ours.execute(work)),
      opossum: loop(() => opossumNoTimer.fire()),
      'opossum (default 10 s timeout)': loop(() => opossumDefault.fire()),
      cockatiel: loop(() => cockatielPolicy.execute(work)),
    }, cfg.breaker));
  }
  const success = rounds[rounds.length - 1];

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
  const targets = breakerTargets(rounds, rejection);
  return { rows, targets, data: { rounds, rejection } };
}

/**
 * The breaker targets of one run's medians: on the success path our overhead over bare against
 * cockatiel's in every round of `rounds`, on the rejection path the same in `rejection`.
 */
export function breakerTargets(rounds, rejection) {
  const over = (res, bare, name) => res[name].median - res[bare].median;
  const ratios = rounds.map((res) => over(res, 'bare', 'ours') / over(res, 'bare', 'cockatiel'));
  const below = ratios.filter((x) => x < 1).length;
  const perRound = rounds.map((res) => `+${fmt(over(res, 'bare', 'ours'))} vs +${fmt(over(res, 'bare', 'cockatiel'))}`);
  const bareReject = 'bare (await a rejected promise)';
  const oursReject = over(rejection, bareReject, 'ours');
  const cockReject = over(rejection, bareReject, 'cockatiel');
  return [
    judge('breaker', Math.max(...ratios),
      `below cockatiel in ${below} of ${rounds.length} rounds; ours vs cockatiel over bare ${fmt(rounds[rounds.length - 1].bare.median)}: ${perRound.join(', ')}`),
    judge('breaker-rejection', oursReject / cockReject,
      `ours +${fmt(oursReject)} vs cockatiel +${fmt(cockReject)} over bare ${fmt(rejection[bareReject].median)}`
        + ` (opossum +${fmt(over(rejection, bareReject, 'opossum'))})`),
  ];
}

const fmt = (ns) => `${Math.round(ns)} ns`;
