'use strict';
// Runs in a fresh process (a wasm linear memory never shrinks, so earlier benchmarks must not
// inflate it): `node --expose-gc memory-child.cjs <pkgMainEntry> <phase> <calls> <endpoints> <every>`.
// Phase `breakers`: `endpoints` CircuitBreakers, `execute` on a resolved async fn, round-robin.
// Phase `manager`: one TimeoutManager with `endpoints` configured endpoints and an injected stub
// `fetch` (a resolved Response-like object, no network), `call` round-robin.
// Prints one JSON line: samples of { calls, wasmBytes, heapUsed } every `every` calls.
const [entry, phase, callsArg, endpointsArg, everyArg] = process.argv.slice(2);
const g = require(entry);
const calls = Number(callsArg);
const endpoints = Number(endpointsArg);
const every = Number(everyArg);

function sample(done) {
  if (global.gc) global.gc();
  return { calls: done, wasmBytes: g.wasmMemoryBytes(), heapUsed: process.memoryUsage().heapUsed };
}

async function main() {
  const samples = [sample(0)];
  const started = Date.now();
  if (phase === 'breakers') {
    const breakers = Array.from({ length: endpoints }, () => new g.CircuitBreaker({ failureThreshold: 3, resetTimeoutMs: 30000 }));
    const work = async () => 1;
    for (let done = 0; done < calls;) {
      for (let i = 0; i < endpoints && done < calls; i += 1, done += 1) await breakers[i].execute(work);
      if (done % every === 0) samples.push(sample(done));
    }
  } else {
    const body = JSON.stringify({ city: 'Berlin', temperature: 21, unit: 'C', conditions: 'sunny' });
    const headers = { get: (name) => (name.toLowerCase() === 'content-type' ? 'application/json' : null) };
    const response = { status: 200, ok: true, headers, text: () => Promise.resolve(body) };
    const guard = new g.TimeoutManager({
      baseUrl: 'https://api-trial.cognigy.ai', auth: { apiKey: 'bench-api-key' }, fetch: () => Promise.resolve(response),
    });
    for (let i = 0; i < endpoints; i += 1) {
      await guard.configureTimeout({ endpointId: `ep_${i}`, maxWaitTimeMs: 4000, slaThresholdMs: 2000, fallbackTemplate: { message: 'x' } });
    }
    const requests = Array.from({ length: endpoints }, (_, i) => ({ url: `/ext/service_${i}?q=1` }));
    samples.push(sample(0));
    for (let done = 0; done < calls;) {
      for (let i = 0; i < endpoints && done < calls; i += 1, done += 1) {
        const r = await guard.call(`ep_${i}`, requests[i]);
        if (r.source !== 'live') throw new Error(`degraded answer: ${JSON.stringify(r)}`);
      }
      if (done % every === 0) samples.push(sample(done));
    }
    const m = guard.metrics();
    samples.auditRecords = guard.auditLog().length;
    samples.endpoints = Object.keys(m.endpoints).length;
  }
  process.stdout.write(`${JSON.stringify({ phase, calls, endpoints, seconds: (Date.now() - started) / 1000, samples,
    auditRecords: samples.auditRecords, configured: samples.endpoints })}\n`);
}
main().catch((e) => { console.error(e); process.exit(1); });
