// One process of a fleet (tests/js/fleet.test.mjs): a CircuitBreaker shared through Redis calling
// the test's upstream every `intervalMs` for `durationMs`, then printing one JSON line:
// { calls: [{ at, ms, outcome }], storeErrors, state }. Arguments: one JSON object.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const pkg = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'pkg');
const require = createRequire(join(pkg, 'package.json'));
const { CircuitBreaker } = require(join(pkg, 'node', 'index.cjs'));
const { createRedisStore } = require(join(pkg, 'redis.cjs'));

const o = JSON.parse(process.argv[2]);
const store = createRedisStore({ url: o.redisUrl, keyPrefix: o.keyPrefix });
const breaker = new CircuitBreaker({ ...o.breaker, store, name: o.name });
const upstream = () => fetch(o.upstream, { headers: { authorization: `Bearer ${o.secret}` } }).then(async (r) => {
  await r.arrayBuffer();
  if (!r.ok) throw new Error(`upstream ${r.status}`);
  return r.status;
});
// Warm up (load the client, connect, load fetch) so the timed run measures the breaker only.
await store.readBreaker(o.name).catch(() => {});
await fetch(`${new URL(o.upstream).origin}/warmup`).then((r) => r.arrayBuffer()).catch(() => {});
// Start together: every worker waits for the same instant.
await new Promise((r) => setTimeout(r, Math.max(0, o.startAt - Date.now())));
const calls = [];
const end = Date.now() + o.durationMs;
let n = 0;
while (Date.now() < end && n < 10000) {
  n += 1;
  const at = Date.now();
  const outcome = await breaker.execute(upstream).then(() => 'ok', (e) => (e.code === 'CIRCUIT_OPEN' ? 'refused' : 'failed'));
  calls.push({ at, ms: Date.now() - at, outcome });
  if (o.intervalMs > 0) await new Promise((r) => setTimeout(r, o.intervalMs));
}
process.stdout.write(`${JSON.stringify({ calls, storeErrors: store.status().errors, state: breaker.state })}\n`);
await store.close();
