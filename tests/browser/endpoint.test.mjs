// The admin page's endpoint run in Chromium: a suite sent to the simulator's REST Endpoint with NLU scores;
// the confusion heat map's counts are recomputed with the simulated bot itself; a baseline report loaded
// from a file gives the regression list; flaky cases are marked. Screenshots in artifacts/screenshots/.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { openPage, openTab, overflow, screenshot, simModule, startStack } from './helpers.mjs';

const { bot, samples } = simModule;
const FLOW = samples.FLOWS[0];

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

const suite = (intents) => ({
  suite_id: 'endpoint_page',
  execution_timeout_seconds: 120,
  test_cases: [
    ['I want to order a large pizza', intents[0]],
    ['hello there', intents[1]],
    ['Can I get a refund', intents[2]],
    ['What is the weather in Berlin', intents[3]],
    ['Tell me a joke', intents[4]],
  ].map(([input_text, expected_intent]) => ({ input_text, outcome: { expected_intent, allowed_latency_ms: 5000 } })),
});

/** The confusion counts the bot's own NLU rules give. */
function expectedMatrix(payload) {
  const names = FLOW.intents.map((i) => i.name);
  const pairs = payload.test_cases.map((c) => [c.outcome.expected_intent, bot.nluScores(c.input_text, names)[0]?.name ?? 'none']);
  const labels = [...new Set(pairs.flat())].sort();
  return { labels, matrix: labels.map((r) => labels.map((c) => pairs.filter(([e, p]) => e === r && p === c).length)) };
}

async function runOnPage(page, payload) {
  await page.fill('#suite-json', JSON.stringify(payload));
  await page.fill('#endpoint-url', stack.sim.endpointUrl());
  await page.fill('#nlu-project', samples.PROJECT_ID);
  await page.fill('#nlu-flow', FLOW._id);
  await page.fill('#nlu-locale', samples.LOCALE_ID);
  await page.waitForFunction(() => !document.querySelector('#endpoint-run').disabled);
  await page.click('#endpoint-run');
  await page.waitForFunction(() => /Finished/.test(document.querySelector('#endpoint-status').textContent), null, { timeout: 30_000 });
}

test('endpoint run: confusion heat map with counts, F1 bars, regressions against a loaded baseline', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await openTab(page, 'suites');
  const first = suite(['orderPizza', 'greeting', 'orderPizza', 'weather', 'greeting']);
  await runOnPage(page, first);
  const want = expectedMatrix(first);
  const shown = await page.evaluate(() => ({
    labels: [...document.querySelectorAll('#confusion thead th')].slice(1).map((th) => th.textContent),
    matrix: [...document.querySelectorAll('#confusion tbody tr')].map((tr) => [...tr.querySelectorAll('td')].map((td) => Number(td.textContent))),
    levels: [...document.querySelectorAll('#confusion td')].map((td) => td.dataset.level),
    bars: [...document.querySelectorAll('#f1-bars g.bar-row')].map((g) => g.dataset.intent),
  }));
  assert.deepEqual(shown.labels, want.labels);
  assert.deepEqual(shown.matrix, want.matrix);
  assert.ok(shown.levels.includes('0') && shown.levels.some((l) => Number(l) >= 1), 'cells are shaded by count');
  assert.deepEqual(shown.bars, want.labels);
  assert.match(await page.textContent('#nlu h3'), /NLU: accuracy 60\.0 %, macro-F1/);
  await screenshot(page, 'endpoint-confusion-1280');

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-json')]);
  const baselinePath = await download.path();
  assert.ok(JSON.parse(readFileSync(baselinePath, 'utf8')).nlu, 'the downloaded report has its nlu');
  await page.setInputFiles('#baseline-file', baselinePath);
  await page.waitForFunction(() => /baseline:/.test(document.querySelector('#baseline-name').textContent));
  // Case 1 now expects an intent the bot does not predict (a regression); case 2 the one it does (fixed).
  await runOnPage(page, suite(['orderPizza', 'weather', 'refund', 'weather', 'greeting']));
  await page.waitForSelector('#regressions li');
  const regressions = await page.$$eval('#regressions li', (items) => items.map((li) => li.dataset.index));
  assert.deepEqual(regressions, ['1']);
  assert.match(await page.textContent('#comparison h3'), /1 regressed, 1 fixed/);
  await screenshot(page, 'endpoint-regressions-1280');
  await page.setViewportSize({ width: 375, height: 800 });
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, o.culprits.join(', '));
  await screenshot(page, 'endpoint-regressions-375');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('endpoint run: a case that passes only in a rerun is marked flaky', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await openTab(page, 'suites');
  stack.sim.setFaults('POST /endpoint/*', [{ delayMs: 400 }]);
  await page.fill('#retry-failed', '1');
  const payload = { suite_id: 'flaky', execution_timeout_seconds: 60,
    test_cases: [{ input_text: 'What are your opening hours', outcome: { expected_response_contains: 'open from', allowed_latency_ms: 200 } }] };
  await page.fill('#nlu-project', '');
  await page.fill('#suite-json', JSON.stringify(payload));
  await page.fill('#endpoint-url', stack.sim.endpointUrl());
  await page.click('#endpoint-run');
  await page.waitForSelector('#case-table .pill.flaky', { timeout: 30_000 });
  stack.sim.clearFaults('POST /endpoint/*');
  assert.equal(await page.$$eval('#case-table .pill.flaky', (n) => n.length), 1);
  assert.equal(await page.$$eval('#confusion', (n) => n.length), 0, 'no NLU section without nlu');
  await screenshot(page, 'endpoint-flaky-1280');
  assert.deepEqual(problems(), []);
  await context.close();
});
