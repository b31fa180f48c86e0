// Test suites view in Chromium: validation by path, and (with TestSuiteRunner in the build) a suite run and
// a playbook run against the simulator whose numbers are checked against the simulated bot itself.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { openPage, openTab, overflow, root, screenshot, simModule, startStack } from './helpers.mjs';

const pkg = createRequire(import.meta.url)(join(root, 'pkg'));
const needsRunner = { skip: typeof pkg.TestSuiteRunner !== 'function' && 'TestSuiteRunner is not in this build yet' };
const { bot, samples } = simModule;

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

/** Expected counts of a seed-v1 suite, computed with the simulated bot (not through the page or the runner). */
function expectedCounts(suite) {
  const statuses = suite.test_cases.map((c, i) => bot.caseStatus(bot.evaluateCase(c, i)));
  const count = (s) => statuses.filter((x) => x === s).length;
  return { passed: count('passed'), failed: count('failed'), unverified: count('unverified'), total: statuses.length };
}

test('a broken suite: every error listed with its path; run disabled', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await openTab(page, 'suites');
  await page.selectOption('#suite-sample', 'broken-suite.json');
  await page.waitForSelector('#suite-validation li');
  const paths = await page.$$eval('#suite-validation li.error', (items) => items.map((li) => li.dataset.path));
  for (const path of ['suiteId', 'executionTimeoutSeconds', 'testCases[0].outcome.allowedLatencyMs', 'testCases[1].inputText', 'testCases[2].contextVariables']) {
    assert.ok(paths.includes(path), `${path} in ${paths}`);
  }
  assert.ok(await page.isDisabled('#suite-run'));
  await page.fill('#suite-json', '{ "suite_id": "x", ');
  assert.match(await page.textContent('#suite-validation'), /not valid JSON/);
  // Paste a hostile suite: its text must show up as text, never as markup.
  await page.fill('#suite-json', JSON.stringify({ suite_id: '<img src=x onerror=alert(1)>', execution_timeout_seconds: 1, test_cases: [] }));
  assert.equal(await page.$$eval('#suite-validation img', (n) => n.length), 0);
  await screenshot(page, 'suites-validation-1280');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('runs a sample suite; pass rate and counts match the simulated bot', needsRunner, async () => {
  const suite = JSON.parse(readFileSync(join(root, 'www', 'samples', 'support-smoke.json'), 'utf8'));
  const expected = expectedCounts(suite);
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await openTab(page, 'suites');
  await page.selectOption('#suite-sample', 'support-smoke.json');
  await page.waitForFunction(() => !document.querySelector('#suite-run').disabled);
  await page.click('#suite-run');
  await page.waitForSelector('#results:not([hidden]) #pass-rate', { timeout: 30_000 });
  const shown = await page.evaluate(() => ({
    rate: Number(document.querySelector('#pass-rate').dataset.value),
    rateText: document.querySelector('#pass-rate .stat-value').textContent,
    passed: Number(document.querySelector('#count-passed .stat-value').textContent),
    failed: Number(document.querySelector('#count-failed .stat-value').textContent),
    unverified: Number(document.querySelector('#count-unverified .stat-value').textContent),
    rows: document.querySelectorAll('#case-table tbody tr').length,
    bars: document.querySelectorAll('svg.bars rect').length,
    hist: document.querySelectorAll('svg.histogram rect.hist-bar').length,
    progress: document.querySelector('#suite-progress-bar').value,
  }));
  assert.equal(shown.passed, expected.passed);
  assert.equal(shown.failed, expected.failed);
  assert.equal(shown.unverified, expected.unverified);
  assert.equal(shown.rate, expected.passed / expected.total);
  assert.equal(shown.rateText, `${((expected.passed / expected.total) * 100).toFixed(1)} %`);
  assert.equal(shown.rows, expected.total);
  assert.ok(shown.bars > 0 && shown.hist > 0, 'charts drawn');
  assert.equal(shown.progress, 1);
  assert.equal(await page.textContent('#gate'), 'gate failed');

  // sortable: latency descending puts the slowest case first
  await page.click('th[data-key="latencyMs"] button');
  await page.click('th[data-key="latencyMs"] button');
  assert.equal(await page.getAttribute('th[data-key="latencyMs"]', 'aria-sort'), 'descending');
  const latencies = suite.test_cases.map((c) => bot.respond(c.input_text).latencyMs);
  // one duration style on the page: milliseconds below a second, seconds (two decimals at most) above
  const slowest = Math.max(...latencies);
  assert.equal(await page.textContent('#case-table tbody tr:first-child td.latency'), slowest < 1000 ? `${slowest} ms` : `${Number((slowest / 1000).toFixed(2))} s`);

  const [json] = await Promise.all([page.waitForEvent('download'), page.click('#dl-json')]);
  assert.match(json.suggestedFilename(), /\.json$/);
  const [xml] = await Promise.all([page.waitForEvent('download'), page.click('#dl-junit')]);
  assert.match(xml.suggestedFilename(), /\.junit\.xml$/);
  const xmlText = readFileSync(await xml.path(), 'utf8');
  assert.match(xmlText, /<testsuite/);
  await screenshot(page, 'suites-results-1280');
  await page.setViewportSize({ width: 375, height: 800 });
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, o.culprits.join(', '));
  await screenshot(page, 'suites-results-375');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('runs a sample playbook (cognigy-v2); failures match the simulated bot', needsRunner, async () => {
  const playbook = samples.PLAYBOOKS[1];
  const steps = playbook.steps.map((step) => bot.evaluateStep(step));
  const failed = steps.filter((s) => s.status === 'failed').length;
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await openTab(page, 'suites');
  await page.waitForSelector(`#playbook-select option[value="${playbook._id}"]`, { state: 'attached' });
  await page.selectOption('#playbook-select', playbook._id);
  await page.click('#playbook-run');
  await page.waitForSelector('#results:not([hidden]) #pass-rate', { timeout: 30_000 });
  assert.equal(Number(await page.textContent('#count-failed .stat-value')), failed);
  assert.equal(await page.$$eval('#case-table tbody tr[data-status="failed"]', (r) => r.length), failed);
  await screenshot(page, 'suites-playbook-1280');
  assert.deepEqual(problems(), []);
  await context.close();
});
