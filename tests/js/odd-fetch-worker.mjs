// The odd-`fetch` families of tests/js/edge.test.mjs, run in a worker thread (two of them share
// the families, one core each): every operation meets every odd answer `ROUNDS` times, then the
// instance still validates, runs a breaker and makes a live call (to `liveUrl`). Posts
// `{ failure?, problems, hits }` (`failure`: the first failed check; `problems`: unhandled
// rejections and uncaught exceptions; `hits`: odd answers given per family and operation).
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';
import { pkgDir } from './helpers.mjs';

const require = createRequire(import.meta.url);
const g = require(pkgDir);

export const API_KEY = 'edge-api-key-5d1e';
export const SECRET = 'edge-client-secret-77aa';
export const POLICY = { endpointId: 'svc', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0, fallbackTemplate: { ok: false } };

const throwingStatus = { get status() { throw new Error('status getter'); }, headers: new Headers() };
export const ODD_FETCHES = {
  undefined: async () => undefined,
  null: async () => null,
  string: async () => 'HTTP/1.1 200 OK',
  'throwing status getter': async () => throwingStatus,
  'sync throw': () => { throw new TypeError('boom'); },
  rejection: async () => { throw new Error('refused'); },
  'status out of range': async () => ({ status: 42, headers: new Headers(), text: async () => '' }),
  'throwing body': async () => ({ status: 200, headers: new Headers(), text: async () => { throw new Error('cut'); } }),
  'non-string body': async () => ({ status: 200, headers: new Headers(), text: async () => 42 }),
};
// Headers that cannot be read count as absent: the answer is still a live one.
export const UNREADABLE_HEADERS = async () => ({ status: 200, get headers() { throw new Error('h'); }, text: async () => '{"h":1}' });

/** A JSON answer of the stand-in platform. */
const answer = (status, body) => ({ status, headers: new Headers({ 'content-type': 'application/json' }), text: async () => JSON.stringify(body) });
const TOKEN = 'edge-access-token-3c9b';
/** The platform, the dashboard and the CI receiver answering well (every request but the one an operation targets). */
function platform(url) {
  const { pathname } = new URL(url);
  if (pathname === '/auth/oauth/token') return answer(200, { access_token: TOKEN, token_type: 'Bearer', expires_in: 3600, scope: 'externalService:write test:execute test:read' });
  if (pathname === '/down') return answer(503, {});
  if (pathname.endsWith('/configuration')) return answer(200, { endpointId: 'svc', status: 'configured' });
  if (pathname.endsWith('/invoke')) return answer(200, { endpointId: 'svc', data: {}, latencyMs: 1 });
  if (pathname.endsWith('/executions')) return answer(202, { execution_id: 'x1', status: 'queued' });
  if (pathname.endsWith('/status')) return answer(200, { execution_id: 'x1', status: 'completed', progress: { completed: 1, total: 1 } });
  if (pathname.endsWith('/results')) {
    const passed = { type: 'intent', expected: 'a', actual: 'a', passed: true };
    return answer(200, { execution_id: 'x1', status: 'completed', test_results: [{ case_index: 0, input_text: 'hi', assertions: [passed] }] });
  }
  return answer(200, {});
}
const SUITE = { suite_id: 'edge', execution_timeout_seconds: 60, test_cases: [{ input_text: 'hi', outcome: { expected_intent: 'a', allowed_latency_ms: 5000 } }] };
const PLAYBOOK = { playbookId: 'p', entrypoint: 'e', flowId: 'f', localeId: 'l' };
const SEED = { api: 'seed-v1', baseUrl: 'https://api.example.com', auth: { clientId: 'c', clientSecret: SECRET } };
// A deadline no round meets under load: each ends by its own outcome.
const RUNS = { pollIntervalMs: 1, deadlineMs: 60_000, maxConcurrentRuns: 1000 };
const rejected = (outcome) => outcome.error instanceof g.GuardError;

// Every operation: `target(url)` picks the request that gets the odd answer (the others are
// answered well), `make(fetch)` a fresh instance and its round, `failed(outcome)` what a round
// that met an odd answer ends with (`outcome`: `{ value }` or `{ error }`).
const OPERATIONS = {
  call: {
    target: () => true,
    make: async (fetch) => {
      // A breaker that never opens: every round reaches fetch.
      const manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com', auth: { apiKey: API_KEY }, breaker: { failureThreshold: 2 ** 32 - 1 }, fetch });
      await manager.configureTimeout(POLICY);
      return () => manager.call('svc', { url: '/x', timeoutMs: 50 });
    },
    failed: ({ value }) => value !== undefined && value.degraded === true && ['NETWORK', 'BAD_RESPONSE'].includes(value.error.code),
  },
  'OAuth token': {
    target: (url) => url.endsWith('/auth/oauth/token'),
    make: async (fetch) => {
      const manager = new g.TimeoutManager({ ...SEED, fetch });
      return () => manager.configureTimeout(POLICY);
    },
    failed: rejected,
  },
  'configureTimeout PUT': {
    target: (url) => url.endsWith('/configuration'),
    make: async (fetch) => {
      const manager = new g.TimeoutManager({ ...SEED, fetch });
      return () => manager.configureTimeout(POLICY);
    },
    failed: rejected,
  },
  invokeExternalService: {
    target: (url) => url.endsWith('/invoke'),
    make: async (fetch) => {
      const manager = new g.TimeoutManager({ ...SEED, breaker: { failureThreshold: 2 ** 32 - 1 }, fetch });
      await manager.configureTimeout(POLICY);
      return () => manager.invokeExternalService('svc');
    },
    failed: ({ value }) => value !== undefined && value.degraded === true && ['NETWORK', 'BAD_RESPONSE'].includes(value.error.code),
  },
  syncMetrics: {
    target: (url) => url.startsWith('https://dash.example.com'),
    make: async (fetch) => {
      const manager = new g.TimeoutManager({ baseUrl: 'https://api.example.com', auth: { apiKey: API_KEY }, webhookUrl: 'https://dash.example.com', fetch });
      await manager.configureTimeout(POLICY);
      // A degraded call queues the events the rounds try to deliver.
      assert.equal((await manager.call('svc', { url: '/down', timeoutMs: 50 })).degraded, true);
      return () => manager.syncMetrics();
    },
    failed: ({ value }) => value !== undefined && value.ok === false && value.pending > 0,
  },
  'playbook run (schedule)': {
    target: (url) => url.includes('/playbooks/'),
    make: async (fetch) => {
      const runner = new g.TestSuiteRunner({ baseUrl: 'https://api.example.com', auth: { apiKey: API_KEY }, fetch, ...RUNS });
      return () => runner.runPlaybook(PLAYBOOK);
    },
    failed: rejected,
  },
  'seed-v1 run (submit)': {
    lanes: 1000,
    target: (url) => url.endsWith('/executions'),
    make: async (fetch) => {
      const runner = new g.TestSuiteRunner({ ...SEED, fetch, ...RUNS });
      return () => runner.run(SUITE);
    },
    failed: rejected,
  },
  'seed-v1 run (results)': {
    lanes: 1000,
    target: (url) => url.endsWith('/results'),
    make: async (fetch) => {
      const runner = new g.TestSuiteRunner({ ...SEED, fetch, ...RUNS });
      return () => runner.run(SUITE);
    },
    failed: rejected,
  },
  'CI webhook': {
    // A failed delivery is retried after a backoff of 0.25 to 0.5 s, then of 0.5 to 1 s: many
    // rounds wait at once.
    lanes: 2500,
    target: (url) => url.startsWith('https://ci.example.com'),
    make: async (fetch) => {
      const runner = new g.TestSuiteRunner({ ...SEED, fetch, ...RUNS });
      return () => runner.run(SUITE, { webhookUrl: 'https://ci.example.com/hook' });
    },
    failed: ({ value }) => value !== undefined && value.status === 'completed' && value.webhook.delivered === false,
  },
};
const ROUNDS = 10_000;
/** Instances per operation and family; with one lane each, no two rounds share a token request. */
const INSTANCES = 16;

/**
 * Runs `ROUNDS` rounds on `INSTANCES` fresh instances of `make(fetch)`, `lanes` at once (spread
 * over the instances); calls `check(outcome)` for each.
 */
async function repeat(make, fetch, lanes, check) {
  let started = 0;
  const lane = async (round) => {
    while (started < ROUNDS) {
      started += 1;
      check(await round().then((value) => ({ value }), (error) => ({ error })));
    }
  };
  const rounds = await Promise.all(Array.from({ length: INSTANCES }, () => make(fetch)));
  await Promise.all(Array.from({ length: lanes }, (_, i) => lane(rounds[i % INSTANCES])));
}

/** Runs the families named `families`; the first failed check ends the run. */
async function runFamilies(families, liveUrl, hits) {
  const all = { ...ODD_FETCHES, 'unreadable headers': UNREADABLE_HEADERS };
  for (const variant of families) {
    const odd = all[variant];
    // One operation after the other: the rounds of one that never waits for a timer would hold
    // back the timers of another.
    for (const [operation, { target, make, failed, lanes = INSTANCES }] of Object.entries(OPERATIONS)) {
      const what = `${variant} / ${operation}`;
      let count = 0;
      const fetch = (url, init) => {
        if (!target(String(url))) return platform(String(url));
        count += 1;
        return odd(url, init);
      };
      await repeat(make, fetch, lanes, (outcome) => {
        if (outcome.error !== undefined) {
          assert.ok(outcome.error instanceof g.GuardError && typeof outcome.error.code === 'string', `${what}: ${outcome.error}`);
          const text = JSON.stringify(outcome.error) + outcome.error.message;
          assert.ok(![API_KEY, SECRET, TOKEN].some((secret) => text.includes(secret)), `${what}: a secret in ${text}`);
        }
        // Headers that cannot be read count as absent: that answer is a live one (any outcome but a throw).
        if (variant !== 'unreadable headers') assert.ok(failed(outcome), `${what}: ${JSON.stringify(outcome.value ?? outcome.error)}`);
      });
      if (variant !== 'unreadable headers') assert.ok(count >= ROUNDS, `${what}: the odd fetch answered ${count} requests`);
      hits[what] = count;
    }
    // After each family the instance still validates, runs a breaker and makes a live call.
    assert.equal(g.validateTimeoutConfig(POLICY).ok, true, variant);
    const breaker = new g.CircuitBreaker();
    assert.equal(await breaker.execute(async () => 7), 7, variant);
    const manager = new g.TimeoutManager({ baseUrl: liveUrl });
    await manager.configureTimeout(POLICY);
    const live = await manager.call('svc', { url: '/x' });
    assert.deepEqual([live.source, live.data], ['live', { live: true }], variant);
  }
}

if (parentPort !== null) {
  const problems = [];
  process.on('unhandledRejection', (reason) => problems.push(`unhandled rejection: ${reason}`));
  process.on('uncaughtExceptionMonitor', (error) => problems.push(`uncaught exception: ${error}`));
  const hits = {};
  runFamilies(workerData.families, workerData.liveUrl, hits).then(
    () => parentPort.postMessage({ problems, hits }),
    (error) => parentPort.postMessage({ failure: String(error && error.message), problems, hits }),
  );
}
