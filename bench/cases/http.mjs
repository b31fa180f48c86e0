// 2. A guarded HTTP call against a loopback server (node:http in a child process, small JSON,
// keep-alive): ours (`TimeoutManager.call`, API-key auth, a configured endpoint) vs plain `fetch`
// vs opossum-wrapped `fetch`. All three read and parse the JSON body. One request in flight.
// With env BENCH_COMPARE_PKG=<a built package dir> the same call through that package's
// `node/index.cjs` ("ours (BENCH_COMPARE_PKG)") is interleaved with the others: an A/B of two builds.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { once } from 'node:events';
import { isDeepStrictEqual } from 'node:util';
import { compare } from '../lib/stats.mjs';
import { benchDir, loadGuard, peer } from '../lib/paths.mjs';
import { judge } from '../lib/targets.mjs';

async function startServer() {
  const child = spawn(process.execPath, [join(benchDir, 'lib', 'server.cjs')], { stdio: ['pipe', 'pipe', 'inherit'] });
  const [chunk] = await once(child.stdout, 'data');
  return { child, port: Number(String(chunk).trim()) };
}

export async function benchHttp(cfg) {
  const g = loadGuard();
  const Opossum = peer('opossum');
  const { child, port } = await startServer();
  try {
    const baseUrl = `http://127.0.0.1:${port}`;
    const apiKey = 'bench-api-key-0123456789';
    const url = `${baseUrl}/ext/weather?city=Berlin`;
    const headers = { 'X-API-Key': apiKey };

    const manager = async (pkg) => {
      const m = new pkg.TimeoutManager({ baseUrl, auth: { apiKey }, breaker: { failureThreshold: 3, resetTimeoutMs: 30000 } });
      await m.configureTimeout({
        endpointId: 'ext_svc_weather_01', maxWaitTimeMs: 4000, slaThresholdMs: 2000,
        fallbackTemplate: { message: 'Service temporarily unavailable. Please try again.' },
      });
      return m;
    };
    const guard = await manager(g);
    const comparePkg = process.env.BENCH_COMPARE_PKG;
    const other = comparePkg
      ? await manager(createRequire(import.meta.url)(join(resolve(comparePkg), 'node', 'index.cjs')))
      : undefined;
    const plain = async () => (await fetch(url, { headers })).json();
    // Like ours: a 4 s timeout per call (opossum's own timer), breaker defaults otherwise.
    const wrapped = new Opossum(plain, { timeout: 4000, resetTimeout: 30000 });

    // Sanity: all three get the same live answer.
    const a = await guard.call('ext_svc_weather_01', { url: '/ext/weather?city=Berlin' });
    const b = await plain();
    const c = await wrapped.fire();
    if (a.source !== 'live' || a.status !== 200 || !isDeepStrictEqual(a.data, b)
      || !isDeepStrictEqual(b, c)) {
      throw new Error(`HTTP variants disagree: ${JSON.stringify({ a, b, c })}`);
    }
    if (other !== undefined) {
      const d = await other.call('ext_svc_weather_01', { url: '/ext/weather?city=Berlin' });
      if (d.source !== 'live' || d.status !== 200 || !isDeepStrictEqual(d.data, b)) {
        throw new Error(`BENCH_COMPARE_PKG disagrees: ${JSON.stringify(d)}`);
      }
    }

    const loop = (call) => async (n) => { for (let i = 0; i < n; i += 1) await call(); };
    const res = await compare({
      'plain fetch': loop(plain),
      ours: loop(() => guard.call('ext_svc_weather_01', { url: '/ext/weather?city=Berlin' })),
      ...(other === undefined ? {} : {
        'ours (BENCH_COMPARE_PKG)': loop(() => other.call('ext_svc_weather_01', { url: '/ext/weather?city=Berlin' })),
      }),
      'opossum + fetch': loop(() => wrapped.fire()),
      // Diagnostic floor of any per-attempt timeout: the same fetch with an AbortController and a timer.
      'fetch + AbortController + timer (diagnostic)': loop(async () => {
        const ac = new AbortController();
        const timer = setTimeout(() => ac.abort(), 4000);
        try {
          return JSON.parse(await (await fetch(url, { method: 'GET', headers, signal: ac.signal })).text());
        } finally { clearTimeout(timer); }
      }),
    }, cfg.http);
    const m = guard.metrics().endpoints.ext_svc_weather_01;
    if (m.failures || m.timeouts || m.fallbacks) throw new Error(`guarded calls degraded: ${JSON.stringify(m)}`);
    const o = other?.metrics().endpoints.ext_svc_weather_01;
    if (o && (o.failures || o.timeouts || o.fallbacks)) throw new Error(`BENCH_COMPARE_PKG calls degraded: ${JSON.stringify(o)}`);

    const base = res['plain fetch'].median;
    const rows = Object.entries(res).map(([name, s]) => ({
      group: 'guarded HTTP call (loopback, keep-alive)', name, median: s.median, p25: s.p25, p75: s.p75, unit: 'ns/request',
      overhead: name === 'plain fetch' ? null : s.median - base,
      overheadPct: name === 'plain fetch' ? null : ((s.median - base) / base) * 100,
    }));
    const pct = ((res.ours.median - base) / base) * 100;
    return {
      rows,
      targets: [judge('http', pct,
        `ours ${(res.ours.median / 1e3).toFixed(1)} µs vs plain fetch ${(base / 1e3).toFixed(1)} µs: +${pct.toFixed(1)} % `
          + `(opossum +${(((res['opossum + fetch'].median - base) / base) * 100).toFixed(1)} %)`)],
      data: res,
    };
  } finally {
    child.stdin.end();
    child.kill();
  }
}
