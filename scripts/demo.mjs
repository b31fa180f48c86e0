#!/usr/bin/env node
// The demo: starts the built-in Cognigy simulator (serving the admin page and pkg/), then shows
// what cognigy-guard does against it, using the built package exactly as a user would:
//   1. a bot test suite run (seed-v1, OAuth) with its report and CI gate;
//   2. a Cognigy Playbook run (cognigy-v2, API key);
//   3. guarded calls to a weather service through an injected outage: the breaker opens, the bot
//      keeps answering from cache and fallback, the breaker recovers; metrics are synced.
// Then keeps serving until Ctrl-C (or exits with --exit).
// Usage: node scripts/demo.mjs [--exit] [--port N]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { startSimulator, DEMO_CLIENT, DEMO_API_KEY, samples } = require(join(root, 'sim'));
const { TestSuiteRunner, TimeoutManager, toJUnitXml, verifyAuditLog } = require(join(root, 'pkg'));

const args = process.argv.slice(2);
const exitAfter = args.includes('--exit');
const portArg = args.indexOf('--port');
const port = portArg >= 0 ? Number(args[portArg + 1]) : 8787;

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (x) => `${(x * 100).toFixed(1)}%`;
const title = (text) => console.log(`\n=== ${text}`);

async function start() {
  const options = { host: '127.0.0.1', timeScale: 10, staticRoots: { '/': join(root, 'www'), '/pkg/': join(root, 'pkg') } };
  try {
    return await startSimulator({ ...options, port });
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    return startSimulator({ ...options, port: 0 });
  }
}

function printReport(report) {
  console.log(`execution ${report.executionId}: ${report.status}, gate ${report.gate.toUpperCase()}`);
  console.log(`  ${report.total} cases: ${report.passed} passed, ${report.failed} failed, ${report.unverified} unverified; pass rate ${pct(report.passRate)}`);
  console.log(`  intent coverage ${pct(report.coverage.intentCoverage)}, entity coverage ${pct(report.coverage.entityCoverage)}`);
  if (report.latency.p50 !== null) {
    console.log(`  latency p50 ${report.latency.p50} ms, p95 ${report.latency.p95} ms, max ${report.latency.max} ms, over budget ${report.latency.overBudget}`);
  }
  for (const f of report.failures.slice(0, 5)) console.log(`  ✗ #${f.index} "${f.inputText}": ${f.reasons.join('; ')}`);
}

async function suiteRun(url) {
  title('1. Bot test suite (seed-v1 profile, OAuth client credentials)');
  const runner = new TestSuiteRunner({
    api: 'seed-v1', baseUrl: url, pollIntervalMs: 200, maxPollIntervalMs: 1000,
    auth: { clientId: DEMO_CLIENT.id, clientSecret: DEMO_CLIENT.secret },
  });
  const payload = {
    suite_id: 'suite_prod_v2',
    execution_timeout_seconds: 900,
    test_cases: [
      { input_text: 'I need to reset my password', context_variables: { user_role: 'customer' },
        outcome: { expected_intent: 'intent_password_reset', expected_entities: ['user_id'], expected_response_contains: 'password reset link', allowed_latency_ms: 800 } },
      { input_text: 'What are your business hours?', context_variables: {},
        outcome: { expected_intent: 'intent_business_hours', expected_response_contains: 'open from', allowed_latency_ms: 500 } },
      { input_text: 'I would like to order a large pizza', outcome: { expected_intent: 'intent_order_pizza', allowed_latency_ms: 2000 } },
      { input_text: 'What is the weather in Berlin?', outcome: { expected_intent: 'intent_weather', allowed_latency_ms: 1500 } },
      { input_text: 'Can I get a refund for order 1234?', outcome: { expected_intent: 'intent_refund', expected_entities: ['order_id'], allowed_latency_ms: 1500 } },
      { input_text: 'Hello there', outcome: { allowed_latency_ms: 1000 } },
    ],
  };
  const report = await runner.run(payload, {
    webhookUrl: `${url}/ci/webhook`,
    onProgress: (p) => process.stdout.write(`  ${p.phase} ${p.status ?? ''} (poll ${p.polls}, ${Math.round(p.elapsedMs)} ms)\n`),
  });
  printReport(report);
  console.log(`  CI webhook delivered: ${report.webhook.delivered} (key ${report.webhook.idempotencyKey})`);
  console.log(`  JUnit XML: ${toJUnitXml(report).length} bytes; audit ${report.audit.auditId} (${report.audit.governanceStatus})`);
}

async function playbookRun(url) {
  title('2. Cognigy Playbook run (cognigy-v2 profile, API key)');
  const runner = new TestSuiteRunner({ api: 'cognigy-v2', baseUrl: url, pollIntervalMs: 200, maxPollIntervalMs: 1000, auth: { apiKey: DEMO_API_KEY } });
  const playbook = samples.PLAYBOOKS[1];
  const report = await runner.runPlaybook({
    playbookId: playbook._id, flowId: playbook.flowId ?? samples.FLOWS[0]._id, localeId: samples.LOCALE_ID, entrypoint: samples.ENTRYPOINT,
  });
  printReport(report);
}

async function guardedCalls(sim) {
  title('3. Guarded calls through an outage (cognigy-v2 profile, API key)');
  const manager = new TimeoutManager({
    api: 'cognigy-v2', baseUrl: sim.url, webhookUrl: sim.url, auth: { apiKey: DEMO_API_KEY },
    breaker: { failureThreshold: 3, resetTimeoutMs: 2000 }, deadlineMs: 8000,
  });
  await manager.configureTimeout({ endpointId: 'weather', maxWaitTimeMs: 1500, slaThresholdMs: 800, retryAttempts: 1, backoffMs: 100,
    fallbackTemplate: { message: 'The weather service is resting; here is yesterday\'s forecast.' } });
  await manager.configureTimeout({ endpointId: 'quote', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0,
    fallbackTemplate: '{"message": "No quote right now."}' });
  const weather = () => manager.call('weather', { url: `${sim.url}/ext/weather?city=Berlin` });
  const show = (label, r) => console.log(`  ${label.padEnd(28)} source=${r.source.padEnd(8)} circuit=${r.circuit.padEnd(9)} attempts=${r.attempts} ${Math.round(r.latencyMs)} ms`);

  show('healthy call', await weather());
  console.log('  -- injecting an outage: /ext/weather answers 503, /ext/quote hangs');
  sim.setFaults('GET /ext/weather', [{ status: 503 }], { repeat: true });
  sim.setFaults('GET /ext/quote', [{ hang: true }], { repeat: true });
  for (let i = 1; i <= 4; i++) show(`call during outage #${i}`, await weather());
  const q = await manager.call('quote', { url: `${sim.url}/ext/quote` });
  show('quote (hangs, no cache)', q);
  console.log(`  fallback answer: ${JSON.stringify(q.data)}`);
  console.log('  -- outage over; waiting for the reset timeout');
  sim.setFaults('GET /ext/weather', []);
  await sleep(2100);
  show('probe after reset timeout', await weather());
  const m = manager.metrics().endpoints.weather;
  for (const h of manager.history ? manager.history('weather') : m.history ?? []) {
    console.log(`  ${h.at} ${h.from} -> ${h.to} (${h.reason})${h.recoveryLatencyMs != null ? ` recovered after ${Math.round(h.recoveryLatencyMs)} ms` : ''}`);
  }
  console.log(`  weather: ${m.calls} calls, ${m.failures} failures, ${m.cacheHits} cache hits, ${m.rejections} rejected while open, recovery latency ${Math.round(m.recoveryLatencyMs?.last ?? 0)} ms`);
  const sync = await manager.syncMetrics();
  console.log(`  metrics synced to the dashboard: ${sync.delivered} events delivered, ${sync.pending} pending`);
  const audit = manager.auditLog();
  console.log(`  audit log: ${audit.length} records, chain ${verifyAuditLog(audit).ok ? 'verified' : 'BROKEN'}`);
  manager.close();
}

const sim = await start();
console.log(`Cognigy simulator: ${sim.url}`);
console.log(`Admin page:        ${sim.url}/`);
try {
  await suiteRun(sim.url);
  await playbookRun(sim.url);
  await guardedCalls(sim);
} catch (err) {
  console.error(`demo failed: ${err.name} ${err.code ?? ''}: ${err.message}`);
  await sim.close();
  process.exit(1);
}
if (exitAfter) {
  await sim.close();
  console.log('\ndemo finished');
} else {
  console.log(`\nStill serving the simulator and the admin page at ${sim.url}/ — Ctrl-C stops.`);
  process.once('SIGINT', () => sim.close().then(() => process.exit(0)));
}
