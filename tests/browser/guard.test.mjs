// Guarded calls in Chromium (needs TimeoutManager in the build): apply a policy, inject an outage in the
// simulator, watch the breaker open and recover, then read metrics, sync them and verify the audit chain.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { openPage, openTab, overflow, root, screenshot, startStack } from './helpers.mjs';

const pkg = createRequire(import.meta.url)(join(root, 'pkg'));
const needsManager = { skip: typeof pkg.TimeoutManager !== 'function' && 'TimeoutManager is not in this build yet' };

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

async function configure(page) {
  await page.click('#settings-toggle');
  await page.fill('input[name="failureThreshold"]', '2');
  await page.fill('input[name="resetTimeoutMs"]', '800');
  await page.click('#settings-form button[type="submit"]');
  await page.click('#settings-toggle');
  await page.fill('#to-maxWaitTimeMs', '1000');
  await page.fill('#to-slaThresholdMs', '500');
  await page.fill('#to-retryAttempts', '0');
  await page.fill('#to-backoffMs', '0');
  await page.click('#to-apply');
  await page.waitForSelector('[data-endpoint="ext_svc_weather_01"]');
}

const card = '[data-endpoint="ext_svc_weather_01"]';
const stateIs = (page, state, timeout = 15_000) => page.waitForSelector(`${card} .pill.state[data-state="${state}"]`, { timeout });

test('outage: the breaker opens, the bot gets the fallback, the breaker recovers; metrics and audit follow', needsManager, async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { expectHttpErrors: true });
  await configure(page);
  await page.click(`${card} button:text("Guarded call")`);
  await page.waitForFunction((sel) => /^live/.test(document.querySelector(`${sel} .call-result`).textContent), card);
  await stateIs(page, 'closed');

  await page.click(`${card} button:text("Inject outage")`);
  await page.waitForFunction((sel) => /Outage injected/.test(document.querySelector(`${sel} .call-result`).textContent), card);
  assert.equal((await stack.sim.state.faults.list()).length, 1, 'fault script installed through the page');
  await page.click(`${card} button:text("Auto-call every 1 s")`);
  await stateIs(page, 'open');
  await page.waitForTimeout(600); // let the timeline draw a visible open period
  assert.match(await page.textContent(`${card} .call-result`), /fallback|cache|CIRCUIT_OPEN/);
  await screenshot(page, 'timeouts-open-1280');

  await page.click(`${card} button:text("Clear outage")`);
  await stateIs(page, 'closed');
  await page.click(`${card} button:text("Auto-call every 1 s")`);
  assert.notEqual((await page.textContent(`${card} dt:text("Recovery latency") + dd`)).trim(), '–');
  assert.ok(await page.$(`${card} svg.timeline rect.st-open`), 'timeline shows the open period');
  await screenshot(page, 'timeouts-recovered-1280');

  await openTab(page, 'metrics');
  await page.waitForSelector('#metric-counters .counter');
  const opens = await page.textContent('#metrics-table tr[data-endpoint="ext_svc_weather_01"] td:nth-of-type(10)');
  assert.ok(Number(opens) >= 1, `opens ${opens}`);
  assert.match(await page.textContent('#prom-text'), /# (TYPE|HELP)/);
  await page.click('#sync-metrics');
  await page.waitForFunction(() => /Delivered \d+/.test(document.querySelector('#sync-status').textContent));
  assert.match(await page.textContent('#sync-status'), /pending 0/);
  assert.ok(stack.sim.deliveries('/metrics/timeout-sync').count > 0, 'the simulator received metric events');

  await page.click('#verify-audit');
  assert.match(await page.textContent('#audit-status'), /Chain intact/);
  const rows = await page.$$eval('#audit-table tbody tr', (r) => r.length);
  assert.ok(rows > 0);
  // Tamper with a downloaded copy: verification must point at the edited record.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-audit')]);
  const records = JSON.parse(readFileSync(await download.path(), 'utf8'));
  assert.equal(records.length, rows);
  const victim = Math.min(1, records.length - 1);
  records[victim].details = { ...records[victim].details, tampered: true };
  await page.setInputFiles('#audit-file', { name: 'tampered.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(records)) });
  await page.waitForFunction(() => /broken/.test(document.querySelector('#audit-status').textContent));
  assert.match(await page.textContent('#audit-status'), new RegExp(`broken at record ${records[victim].seq}`));
  assert.ok(await page.$('#audit-table tr.broken'));
  await screenshot(page, 'metrics-1280');
  await page.setViewportSize({ width: 375, height: 800 });
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, o.culprits.join(', '));
  await screenshot(page, 'metrics-375');
  await openTab(page, 'timeouts');
  await screenshot(page, 'timeouts-endpoint-375');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('CircuitBreaker.execute in Chromium: the JS half loaded by the browser entry settles like fn and refuses when open', async () => {
  const { page, context } = await openPage(stack.browser, stack.sim.url);
  const result = await page.evaluate(async () => {
    const { CircuitBreaker } = await import('/pkg/web/index.js');
    let t = 1_000;
    const b = new CircuitBreaker({ failureThreshold: 1, resetTimeoutMs: 100, now: () => t });
    const value = await b.execute(async () => 'ok');
    const failure = await b.execute(() => { throw new Error('boom'); }).catch((e) => e.message);
    const refused = await b.execute(async () => 'not run').catch((e) => `${e.name}:${e.code}`);
    t += 100;
    const probe = await b.execute(() => 'probe');
    return { value, failure, refused, probe, state: b.state, stats: b.stats() };
  });
  assert.deepEqual(
    { value: result.value, failure: result.failure, refused: result.refused, probe: result.probe, state: result.state },
    { value: 'ok', failure: 'boom', refused: 'GuardError:CIRCUIT_OPEN', probe: 'probe', state: 'closed' },
  );
  assert.equal(result.stats.successes, 2);
  assert.equal(result.stats.failures, 1);
  await context.close();
});
