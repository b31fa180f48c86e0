'use strict';
// `cognigy-guard sim --redis URL` and `demo --redis URL`: four worker processes (this file, run with
// `--worker`) call the simulator's /ext/weather through one CircuitBreaker shared on Redis
// (`cognigy-guard/redis`). During an outage the breaker opens for all of them after
// `failureThreshold` failures in total; after the reset timeout one probe closes it for all.

const { spawn } = require('node:child_process');
const path = require('node:path');

const WORKERS = 4;
const BREAKER = { failureThreshold: 3, resetTimeoutMs: 1500, halfOpenMaxCalls: 1 };
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs the workers once; resolves when all exited, forwarding their lines to `log`. */
function runWorkers(options, log) {
  return Promise.all(Array.from({ length: WORKERS }, (_, i) => new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [__filename, '--worker', JSON.stringify({ ...options, worker: i + 1 })], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let buffered = '';
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      const lines = buffered.split('\n');
      buffered = lines.pop();
      for (const line of lines) log(`  ${line}`);
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30000);
    child.on('exit', (code) => {
      clearTimeout(timer);
      if (code === 0) resolve();
      else reject(new Error(`fleet demo worker ${i + 1} exited with ${code}`));
    });
  })));
}

/**
 * The fleet section against a running simulator `sim`, on the Redis at `redisUrl`.
 * @param {{ sim: object, redisUrl: string, pkg: string, log: (line: string) => void }} o
 */
async function fleetDemo({ sim, redisUrl, pkg, log }) {
  log(`\n=== Shared state: ${WORKERS} worker processes, one breaker on Redis (failureThreshold ${BREAKER.failureThreshold})`);
  // A fresh name per run: an earlier run's record does not interfere.
  const name = `demo-weather-${Date.now().toString(36)}`;
  const options = { pkg, redisUrl, name, url: `${sim.url}/ext/weather?city=Berlin`, breaker: BREAKER };
  const hits = () => sim.requests({ path: '/ext/weather' }).length;
  log('  -- /ext/weather answers 503');
  sim.setFaults('GET /ext/weather', [{ status: 503 }], { repeat: true });
  const before = hits();
  await runWorkers({ ...options, calls: 6, intervalMs: 100 }, log);
  const sent = hits() - before;
  log(`  ${sent} requests reached the failing service from ${WORKERS} processes (without sharing: up to ${BREAKER.failureThreshold * WORKERS} before every process had opened its own breaker)`);
  log(`  -- outage over; waiting ${BREAKER.resetTimeoutMs} ms for the reset timeout`);
  sim.clearFaults();
  await sleep(BREAKER.resetTimeoutMs + 100);
  await runWorkers({ ...options, calls: 3, intervalMs: 150 }, log);
}

async function worker(o) {
  const { CircuitBreaker } = require(path.join(o.pkg, 'node', 'index.cjs'));
  const { createRedisStore } = require(path.join(o.pkg, 'redis.cjs'));
  const store = createRedisStore({ url: o.redisUrl });
  const breaker = new CircuitBreaker({ ...o.breaker, store, name: o.name });
  const call = () => fetch(o.url).then(async (r) => {
    await r.arrayBuffer();
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    return r.status;
  });
  for (let i = 1; i <= Math.min(o.calls, 100); i++) {
    const outcome = await breaker.execute(call).then(
      (status) => `answered ${status}`,
      (e) => (e.code === 'CIRCUIT_OPEN' ? `refused by the shared breaker (CIRCUIT_OPEN, retry in ${e.retryAfterMs} ms)` : `failed (${e.message})`),
    );
    console.log(`worker ${o.worker} call ${i}: ${outcome}`);
    await sleep(o.intervalMs);
  }
  const { errors } = store.status();
  if (errors > 0) console.log(`worker ${o.worker}: ${errors} store errors (decided locally meanwhile)`);
  await store.close();
}

if (require.main === module && process.argv[2] === '--worker') {
  worker(JSON.parse(process.argv[3])).catch((e) => {
    console.error(e.message);
    process.exit(2);
  });
}

module.exports = { fleetDemo };
