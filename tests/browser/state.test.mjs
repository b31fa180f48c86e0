// What the admin page keeps for its user, in Chromium: page settings and endpoint policies across a reload
// (credentials never), the tab in the URL, and the list of runs, each downloadable; plus the 375 px results.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { openPage, openTab, overflow, root, screenshot, startStack } from './helpers.mjs';

const pkg = createRequire(import.meta.url)(join(root, 'pkg'));
const needsRunner = { skip: typeof pkg.TestSuiteRunner !== 'function' && 'TestSuiteRunner is not in this build yet' };

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

/** Pairs of histogram axis labels whose drawn boxes intersect (and whether any label is drawn at all). */
const axisOverlaps = (page) => page.evaluate(() => {
  const boxes = [...document.querySelectorAll('svg.histogram text.axis')].map((t) => ({ text: t.textContent, r: t.getBoundingClientRect() }));
  const overlaps = [];
  for (let i = 1; i < boxes.length; i += 1) {
    if (boxes[i].r.left < boxes[i - 1].r.right) overlaps.push(`${boxes[i - 1].text} / ${boxes[i].text}`);
  }
  return { labels: boxes.length >= 2, overlaps };
});
const storage = (page) => page.evaluate(() => JSON.stringify({ local: { ...localStorage }, session: { ...sessionStorage } }));
const reload = async (page) => {
  await page.reload();
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
};

test('settings persist across a reload; credentials do not', async () => {
  // The made-up OAuth client is checked on Save and refused by the simulator (401): an expected HTTP error.
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { expectHttpErrors: true });
  await page.click('#settings-toggle');
  await page.selectOption('select[name="api"]', 'seed-v1');
  await page.selectOption('select[name="authMode"]', 'oauth');
  await page.fill('input[name="failureThreshold"]', '7');
  await page.fill('input[name="resetTimeoutMs"]', '9000');
  await page.fill('input[name="apiKey"]', 'sekret-key-123');
  await page.fill('input[name="clientId"]', 'my-client-77');
  await page.fill('input[name="clientSecret"]', 'sekret-secret-456');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#cred-status').textContent.includes('my-client-77'));
  await page.waitForFunction(() => document.querySelector('#conn-status').dataset.tone === 'bad');
  assert.match(await page.textContent('#cred-check'), /OAuth client "my-client-77" rejected .*HTTP 401/);

  await reload(page);
  await page.click('#settings-toggle');
  const form = await page.evaluate(() => {
    const f = document.querySelector('#settings-form').elements;
    return { api: f.api.value, authMode: f.authMode.value, failureThreshold: f.failureThreshold.value, resetTimeoutMs: f.resetTimeoutMs.value, baseUrl: f.baseUrl.value };
  });
  assert.deepEqual(form, { api: 'seed-v1', authMode: 'oauth', failureThreshold: '7', resetTimeoutMs: '9000', baseUrl: stack.sim.url });
  const stored = await storage(page);
  assert.ok(!/sekret|my-client-77/.test(stored), `no credential in storage: ${stored}`);
  assert.doesNotMatch(await page.textContent('#cred-status'), /my-client-77/, 'the OAuth client is not restored');
  // The breaker tuning reached the manager the page builds: 7 failures before it opens.
  assert.match(await page.textContent('#settings'), /Connection/);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('the tab is in the URL: #suites opens it, switching updates it, a reload keeps it', async () => {
  const { page, context, problems } = await openPage(stack.browser, `${stack.sim.url}/#suites`);
  const visible = () => page.evaluate(() => [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id));
  assert.deepEqual(await visible(), ['panel-suites']);
  assert.equal(await page.getAttribute('#tab-suites', 'aria-selected'), 'true');
  await openTab(page, 'metrics');
  assert.equal(new URL(page.url()).hash, '#metrics');
  const historyLength = await page.evaluate(() => history.length);
  await openTab(page, 'timeouts');
  assert.equal(new URL(page.url()).hash, '#timeouts');
  assert.equal(await page.evaluate(() => history.length), historyLength, 'switching tabs adds no history entries');
  await page.keyboard.press('End');
  await page.focus('#tab-timeouts');
  await page.keyboard.press('ArrowRight');
  assert.equal(new URL(page.url()).hash, '#suites', 'keyboard selection updates the URL too');
  await reload(page);
  assert.deepEqual(await visible(), ['panel-suites']);
  await page.evaluate(() => { location.hash = '#metrics'; });
  await page.waitForSelector('#panel-metrics:not([hidden])');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('applied endpoint policies persist across a reload until removed', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await page.fill('#to-endpointId', 'kept_endpoint');
  await page.fill('#to-maxWaitTimeMs', '3000');
  await page.fill('#to-url', '/ext/quote');
  await page.click('#to-apply');
  await page.waitForSelector('[data-endpoint="kept_endpoint"]');
  await reload(page);
  await page.waitForSelector('[data-endpoint="kept_endpoint"]');
  assert.match(await page.textContent('[data-endpoint="kept_endpoint"] .facts'), /3 s × 3/);
  // The restored policy is live in the manager: a guarded call goes through it.
  await page.click('[data-endpoint="kept_endpoint"] button.primary');
  await page.waitForFunction(() => /live/.test(document.querySelector('[data-endpoint="kept_endpoint"] .call-result').textContent));
  // Edit loads it back into the form.
  await page.fill('#to-maxWaitTimeMs', '');
  await page.click('[data-endpoint="kept_endpoint"] button.edit');
  assert.equal(await page.inputValue('#to-maxWaitTimeMs'), '3000');
  assert.equal(await page.inputValue('#to-url'), '/ext/quote');
  await page.click('[data-endpoint="kept_endpoint"] button.remove');
  await reload(page);
  assert.equal(await page.$$eval('[data-endpoint="kept_endpoint"]', (n) => n.length), 0);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('several runs are listed, each downloadable, kept across a reload; 375 px results fit', needsRunner, async () => {
  const { page, context, problems } = await openPage(stack.browser, `${stack.sim.url}/#suites`);
  await page.selectOption('#suite-sample', 'support-smoke.json');
  await page.waitForFunction(() => !document.querySelector('#suite-run').disabled);
  await page.fill('#suite-threshold', '50');
  await page.dispatchEvent('#suite-threshold', 'change');
  for (let i = 0; i < 2; i += 1) {
    await page.click('#suite-run');
    await page.waitForFunction((n) => document.querySelectorAll('#run-list li').length === n, i + 1, { timeout: 30_000 });
  }
  await page.waitForSelector('#results:not([hidden]) #pass-rate');
  assert.equal(await page.$$eval('#run-list li', (items) => items.length), 2);
  assert.equal(await page.$$eval('#run-list li[aria-current="true"]', (items) => items.length), 1, 'the newest is shown');

  // the older run: shown on demand, downloadable as the SuiteReport the CLI writes, and as JUnit
  const older = '#run-list li:nth-child(2)';
  const olderId = await page.getAttribute(older, 'data-run');
  await page.click(`${older} button.show-run`);
  assert.equal(await page.getAttribute(`[data-run="${olderId}"]`, 'aria-current'), 'true');
  const [json] = await Promise.all([page.waitForEvent('download'), page.click(`${older} button.dl-json`)]);
  const report = JSON.parse(readFileSync(await json.path(), 'utf8'));
  for (const key of ['executionId', 'status', 'total', 'passed', 'failed', 'passRate', 'gate', 'latency']) assert.ok(key in report, key);
  assert.equal(report.gate, report.passRate >= 0.5 ? 'passed' : 'failed', 'the stored gate threshold (50 %) was used');
  const [xml] = await Promise.all([page.waitForEvent('download'), page.click(`${older} button.dl-junit`)]);
  assert.match(readFileSync(await xml.path(), 'utf8'), /<testsuite/);
  assert.deepEqual(await axisOverlaps(page), { labels: true, overlaps: [] });
  await screenshot(page, 'runs-1280');

  await reload(page);
  assert.equal(await page.$$eval('#run-list li', (items) => items.length), 2, 'runs survive a reload');
  assert.equal(await page.inputValue('#suite-threshold'), '50', 'the gate threshold survives a reload');
  await page.click('#run-list li:first-child button.show-run');
  await page.waitForSelector('#results:not([hidden]) #case-table');

  // 375 px: the case table fits its viewport as cards, status first; the page does not scroll sideways
  await page.setViewportSize({ width: 375, height: 800 });
  // drawn afresh at this width (the other run), so the histogram is laid out for 375 px, not scaled down
  await page.click('#run-list li:nth-child(2) button.show-run');
  await page.waitForSelector('#run-list li:nth-child(2)[aria-current="true"]');
  const fit = await page.evaluate(() => {
    const table = document.querySelector('#case-table');
    const wrap = table.closest('.table-wrap');
    const rows = [...table.querySelectorAll('tbody tr')];
    return {
      tableRight: table.getBoundingClientRect().right,
      wrapScroll: wrap.scrollWidth - wrap.clientWidth,
      viewport: document.documentElement.clientWidth,
      firstCells: rows.map((r) => r.querySelector('td').dataset.label),
      rowsWithinViewport: rows.every((r) => r.getBoundingClientRect().right <= document.documentElement.clientWidth),
    };
  });
  assert.ok(fit.tableRight <= fit.viewport, `table ends at ${fit.tableRight} > ${fit.viewport}`);
  assert.ok(fit.wrapScroll <= 0, `no sideways scroll inside the table (${fit.wrapScroll} px)`);
  assert.ok(fit.rowsWithinViewport);
  assert.ok(fit.firstCells.length > 0 && fit.firstCells.every((l) => l === 'Status'), 'status comes first');
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, `page overflows: ${o.culprits.join(', ')}`);
  assert.deepEqual(await axisOverlaps(page), { labels: true, overlaps: [] });
  await screenshot(page, 'runs-results-375');
  assert.deepEqual(problems(), []);
  await context.close();
});
