'use strict';
// The demo (`npm run demo`, `cognigy-guard demo`): starts the built-in Cognigy simulator, which also
// serves the admin page, then shows what cognigy-guard does against it, through the public API:
//   1. a bot test suite run (seed-v1, OAuth) with its report and CI gate;
//   2. a Cognigy Playbook run (cognigy-v2, API key);
//   3. the suite against the bot's REST Endpoint with NLU scores: the confusion matrix and per-intent
//      F1, then a slower bot compared with that run as the baseline (a regression fails the gate);
//   4. guarded calls to a weather service through an injected outage: the breaker opens, the bot
//      keeps answering from cache and fallback, the breaker recovers; metrics are synced.

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
const pct = (x) => `${(x * 100).toFixed(1)}%`;

/**
 * Runs the demo and returns the running simulator (the caller closes it).
 * @param {object} o
 * @param {object} o.lib the cognigy-guard exports
 * @param {object} o.simulator the simulator module (`startSimulator`, `DEMO_CLIENT`, ...)
 * @param {string} o.www folder of the admin page; @param {string} o.pkg folder of the built package
 * @param {number} [o.port=8787] preferred port (any free one when taken)
 * @param {(line: string) => void} [o.log=console.log]
 */
async function runDemo({ lib, simulator, www, pkg, port = 8787, log = console.log }) {
  const sim = await start(simulator, { port, www, pkg });
  log(`Cognigy simulator: ${sim.url}`);
  log(`Admin page:        ${sim.url}/`);
  try {
    await suiteRun(lib, simulator, sim.url, log);
    await playbookRun(lib, simulator, sim.url, log);
    await endpointRun(lib, simulator, sim, log);
    await guardedCalls(lib, simulator, sim, log);
  } catch (err) {
    await sim.close();
    throw err;
  }
  return sim;
}

async function start(simulator, { port, www, pkg }) {
  const options = { host: '127.0.0.1', timeScale: 10, staticRoots: { '/': www, '/pkg/': pkg } };
  try {
    return await simulator.startSimulator({ ...options, port });
  } catch (err) {
    if (err.code !== 'EADDRINUSE') throw err;
    return simulator.startSimulator({ ...options, port: 0 });
  }
}

function printReport(report, log) {
  log(`execution ${report.executionId}: ${report.status}, gate ${report.gate.toUpperCase()}`);
  log(`  ${report.total} cases: ${report.passed} passed, ${report.failed} failed, ${report.unverified} unverified; pass rate ${pct(report.passRate)}`);
  log(`  intent coverage ${pct(report.coverage.intentCoverage)}, entity coverage ${pct(report.coverage.entityCoverage)}`);
  if (report.latency.p50 !== null) {
    log(`  latency p50 ${report.latency.p50} ms, p95 ${report.latency.p95} ms, max ${report.latency.max} ms, over budget ${report.latency.overBudget}`);
  }
  for (const f of report.failures.slice(0, 5)) log(`  x #${f.index} "${f.inputText}": ${f.reasons.join('; ')}`);
}

/** The seed document's example suite, plus a few cases that exercise the simulated bot. */
const DEMO_SUITE = {
  suite_id: 'suite_prod_v2',
  execution_timeout_seconds: 900,
  test_cases: [
    { input_text: 'I need to reset my password', context_variables: { user_role: 'customer' },
      outcome: { expected_intent: 'intent_password_reset', expected_entities: ['user_id'], expected_response_contains: 'password reset link', allowed_latency_ms: 800 } },
    { input_text: 'What are your business hours?', context_variables: {},
      outcome: { expected_intent: 'intent_business_hours', expected_response_contains: 'open from', allowed_latency_ms: 500 } },
    { input_text: 'I would like to order a large pizza', outcome: { expected_intent: 'intent_order_pizza', allowed_latency_ms: 2000 } },
    { input_text: 'What is the weather in Berlin?', outcome: { expected_intent: 'intent_weather', allowed_latency_ms: 1500 } },
    { input_text: 'Can I get a refund for my order?', outcome: { expected_intent: 'intent_refund', allowed_latency_ms: 1500 } },
    { input_text: 'Hello there', outcome: { allowed_latency_ms: 1000 } },
  ],
};

async function suiteRun(lib, simulator, url, log) {
  log('\n=== 1. Bot test suite (seed-v1 profile, OAuth client credentials)');
  const runner = new lib.TestSuiteRunner({
    api: 'seed-v1', baseUrl: url, pollIntervalMs: 200, maxPollIntervalMs: 1000,
    auth: { clientId: simulator.DEMO_CLIENT.id, clientSecret: simulator.DEMO_CLIENT.secret },
  });
  const report = await runner.run(DEMO_SUITE, {
    webhookUrl: `${url}/ci/webhook`,
    onProgress: (p) => log(`  ${p.phase}${p.status ? ` ${p.status}` : ''} (poll ${p.polls}, ${Math.round(p.elapsedMs)} ms)`),
  });
  printReport(report, log);
  log(`  CI webhook delivered: ${report.webhook.delivered} (Idempotency-Key ${report.webhook.idempotencyKey})`);
  log(`  JUnit XML: ${lib.toJUnitXml(report).length} bytes; audit record ${report.audit.auditId} (${report.audit.governanceStatus})`);
}

async function playbookRun(lib, simulator, url, log) {
  log('\n=== 2. Cognigy Playbook run (cognigy-v2 profile, API key)');
  const runner = new lib.TestSuiteRunner({
    api: 'cognigy-v2', baseUrl: url, pollIntervalMs: 200, maxPollIntervalMs: 1000, auth: { apiKey: simulator.DEMO_API_KEY },
  });
  const playbook = simulator.samples.PLAYBOOKS[1];
  const report = await runner.runPlaybook({
    playbookId: playbook._id, flowId: playbook.flowId, localeId: playbook.localeId, entrypoint: playbook.entrypoint,
  });
  printReport(report, log);
}

/** The demo suite in the flow's intent names (NLU scores name intents as the flow does). */
const ENDPOINT_SUITE = {
  suite_id: 'suite_endpoint',
  execution_timeout_seconds: 300,
  test_cases: [
    { input_text: 'I need to reset my password', outcome: { expected_intent: 'passwordReset', expected_entities: ['user_id'], allowed_latency_ms: 1000 } },
    { input_text: 'What are your business hours?', outcome: { expected_intent: 'businessHours', expected_response_contains: 'open from', allowed_latency_ms: 1000 } },
    { input_text: 'I would like to order a large pizza', outcome: { expected_intent: 'orderPizza', expected_entities: ['size'], allowed_latency_ms: 2000 } },
    { input_text: 'What is the weather in Berlin?', outcome: { expected_intent: 'weather', expected_entities: ['city'], allowed_latency_ms: 1500 } },
    { input_text: 'Can I get a refund for my pizza?', outcome: { expected_intent: 'orderPizza', allowed_latency_ms: 1500 } },
    { input_text: 'Hello there', outcome: { expected_intent: 'greeting', allowed_latency_ms: 1000 } },
    { input_text: 'Tell me a joke', outcome: { expected_intent: 'greeting', allowed_latency_ms: 1000 } },
  ],
};

async function endpointRun(lib, simulator, sim, log) {
  log("\n=== 3. The suite against the bot's REST Endpoint, with NLU scores (cognigy-v2, API key)");
  const runner = new lib.TestSuiteRunner({ api: 'cognigy-v2', baseUrl: sim.url, auth: { apiKey: simulator.DEMO_API_KEY } });
  const { samples } = simulator;
  const options = {
    endpointUrl: sim.endpointUrl(),
    nlu: { projectId: samples.PROJECT_ID, flowReferenceId: samples.FLOWS[0]._id, localeReferenceId: samples.LOCALE_ID },
    passThreshold: 0.5,
  };
  const baseline = await runner.runEndpoint(ENDPOINT_SUITE, options);
  log('  (endpoint URL not shown: its token is a secret)');
  printReport(baseline, log);
  const { accuracy, macroF1, perIntent, confusion } = baseline.nlu;
  log(`  NLU: accuracy ${pct(accuracy)}, macro-F1 ${macroF1.toFixed(3)}; confusion matrix (rows expected, columns predicted):`);
  const width = Math.max(...confusion.labels.map((l) => l.length)) + 2;
  log(`  ${''.padEnd(width)}${confusion.labels.map((_, i) => String(i + 1).padStart(4)).join('')}`);
  confusion.matrix.forEach((row, i) => log(`  ${`${i + 1} ${confusion.labels[i]}`.padEnd(width)}${row.map((n) => String(n).padStart(4)).join('')}`));
  for (const m of perIntent) log(`  F1 ${m.f1.toFixed(2)} ${'#'.repeat(Math.round(m.f1 * 20)).padEnd(20)} ${m.intent} (support ${m.support})`);

  log('  The bot gets slower: the same suite, compared with that run as its baseline (failOnRegression)');
  sim.setFaults('POST /endpoint/*', [{ delayMs: 1200, times: 2 }]);
  const current = await runner.runEndpoint(ENDPOINT_SUITE, { ...options, concurrency: 1, baseline, failOnRegression: true });
  sim.clearFaults('POST /endpoint/*');
  printReport(current, log);
  const { regressions, fixed, passRateDelta } = current.comparison;
  log(`  comparison: ${regressions.length} regressed, ${fixed.length} fixed, pass rate ${passRateDelta >= 0 ? '+' : ''}${(passRateDelta * 100).toFixed(1)} pts; gate ${current.gate.toUpperCase()}`);
  for (const r of regressions) log(`  regressed #${r.index} "${r.inputText}": ${r.reasons.join('; ')}`);
}

async function guardedCalls(lib, simulator, sim, log) {
  log('\n=== 4. Guarded calls through an outage (cognigy-v2 profile, API key)');
  const manager = new lib.TimeoutManager({
    api: 'cognigy-v2', baseUrl: sim.url, webhookUrl: sim.url, auth: { apiKey: simulator.DEMO_API_KEY },
    breaker: { failureThreshold: 3, resetTimeoutMs: 2000 }, deadlineMs: 8000,
  });
  await manager.configureTimeout({ endpointId: 'weather', maxWaitTimeMs: 1500, slaThresholdMs: 800, retryAttempts: 1, backoffMs: 100,
    fallbackTemplate: { message: 'The weather service is resting; here is the last forecast we know.' } });
  await manager.configureTimeout({ endpointId: 'quote', maxWaitTimeMs: 1000, slaThresholdMs: 500, retryAttempts: 0,
    fallbackTemplate: '{"message": "No quote right now."}' });
  const weather = () => manager.call('weather', { url: `${sim.url}/ext/weather?city=Berlin` });
  const show = (label, r) => log(`  ${label.padEnd(28)} source=${r.source.padEnd(8)} circuit=${r.circuit.padEnd(9)} attempts=${r.attempts}  ${Math.round(r.latencyMs)} ms`);

  show('healthy call', await weather());
  log('  -- injecting an outage: /ext/weather answers 503, /ext/quote hangs');
  sim.setFaults('GET /ext/weather', [{ status: 503 }], { repeat: true });
  sim.setFaults('GET /ext/quote', [{ hang: true }], { repeat: true });
  for (let i = 1; i <= 4; i++) show(`call during outage #${i}`, await weather());
  const quote = await manager.call('quote', { url: `${sim.url}/ext/quote` });
  show('quote (hangs, nothing cached)', quote);
  log(`  fallback answer: ${JSON.stringify(quote.data)}`);
  log('  -- outage over; waiting for the reset timeout');
  sim.clearFaults();
  await sleep(2100);
  show('probe after reset timeout', await weather());
  const m = manager.metrics().endpoints.weather;
  for (const h of manager.history('weather')) {
    const recovered = h.recoveryLatencyMs != null ? `, recovered after ${Math.round(h.recoveryLatencyMs)} ms` : '';
    log(`  ${h.at} ${h.from} -> ${h.to} (${h.reason}${recovered})`);
  }
  log(`  weather: ${m.calls} calls, ${m.failures} failures, ${m.cacheHits} cache hits, ${m.rejections} rejected while open, recovery latency ${Math.round(m.recoveryLatency.last ?? 0)} ms`);
  const sync = await manager.syncMetrics();
  log(`  metrics synced to the dashboard: ${sync.delivered} events delivered, ${sync.pending} pending`);
  const audit = manager.auditLog();
  log(`  audit log: ${audit.length} records, chain ${lib.verifyAuditLog(audit).ok ? 'verified' : 'BROKEN'}`);
  manager.close();
}

module.exports = { runDemo, DEMO_SUITE };
