// The page shell in Chromium: loads cleanly under its CSP, keyboard-navigable tabs, settings that keep
// credentials out of the DOM, the URL and localStorage, and a phone-width layout without overflow.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, overflow, screenshot, startStack } from './helpers.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

test('loads under its CSP with the package, simulator detected', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "style-src 'self'", "object-src 'none'", "base-uri 'none'", "form-action 'none'", "connect-src 'self'"]) {
    assert.ok(csp.includes(directive), directive);
  }
  assert.match(await page.textContent('#version'), /^v\d+\.\d+\.\d+/);
  assert.match(await page.textContent('#conn-status'), /cognigy-v2 · 127\.0\.0\.1:\d+ · simulator/);
  assert.equal(await page.evaluate(() => document.querySelectorAll('[style]').length), 0, 'no inline style attributes');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('tabs: arrow keys, Home and End move the selection; panels follow', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await page.focus('#tab-timeouts');
  const selected = () => page.evaluate(() => ({
    tab: document.querySelector('[role="tab"][aria-selected="true"]').id,
    focused: document.activeElement.id,
    visible: [...document.querySelectorAll('[role="tabpanel"]')].filter((p) => !p.hidden).map((p) => p.id),
    tabbable: [...document.querySelectorAll('[role="tab"]')].filter((t) => t.tabIndex === 0).map((t) => t.id),
  }));
  await page.keyboard.press('ArrowRight');
  assert.deepEqual(await selected(), { tab: 'tab-suites', focused: 'tab-suites', visible: ['panel-suites'], tabbable: ['tab-suites'] });
  await page.keyboard.press('ArrowRight');
  assert.equal((await selected()).tab, 'tab-metrics');
  await page.keyboard.press('ArrowRight');
  assert.equal((await selected()).tab, 'tab-timeouts', 'wraps around');
  await page.keyboard.press('End');
  assert.deepEqual(await selected(), { tab: 'tab-metrics', focused: 'tab-metrics', visible: ['panel-metrics'], tabbable: ['tab-metrics'] });
  await page.keyboard.press('ArrowLeft');
  await page.keyboard.press('Home');
  assert.equal((await selected()).tab, 'tab-timeouts');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.id), 'panel-timeouts', 'Tab leaves the tablist for the panel');
  const outline = await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle);
  assert.equal(outline, 'solid', 'visible focus');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('settings: credentials are never echoed into the DOM, the URL or localStorage', async () => {
  // Save checks the made-up credentials against the simulator, which refuses them (401): expected.
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { expectHttpErrors: true });
  await page.click('#settings-toggle');
  assert.equal(await page.getAttribute('#settings-toggle', 'aria-expanded'), 'true');
  await page.fill('input[name="apiKey"]', 'sekret-key-123');
  await page.fill('input[name="clientId"]', 'my-client');
  await page.fill('input[name="clientSecret"]', 'sekret-secret-456');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#cred-status').textContent.includes('my-client'));
  const leaks = await page.evaluate(() => {
    const html = document.documentElement.outerHTML;
    const values = [...document.querySelectorAll('input')].map((i) => i.value).join(' ');
    return { html: /sekret/.test(html), values: /sekret/.test(values), url: /sekret/.test(location.href),
      local: JSON.stringify({ ...localStorage }).includes('sekret'), session: JSON.stringify({ ...sessionStorage }).includes('sekret') };
  });
  assert.deepEqual(leaks, { html: false, values: false, url: false, local: false, session: false });
  assert.match(await page.textContent('#cred-status'), /in memory only/);

  await page.check('input[name="keepForTab"]');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#cred-status').textContent.includes('sessionStorage'));
  assert.ok(await page.evaluate(() => JSON.stringify({ ...sessionStorage }).includes('sekret-key-123')), 'kept for the tab on opt-in');
  // localStorage holds the page settings only: nothing secret, not even the OAuth client id
  assert.ok(await page.evaluate(() => !/sekret|my-client/.test(JSON.stringify({ ...localStorage }))));
  await page.click('#forget-creds');
  await page.uncheck('input[name="keepForTab"]');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#cred-status').textContent.includes('No credentials'));
  assert.equal(await page.evaluate(() => JSON.stringify({ ...sessionStorage }).includes('sekret')), false);

  await page.fill('input[name="baseUrl"]', 'https://api-trial.cognigy.ai');
  await page.click('#settings-form button[type="submit"]');
  assert.match(await page.textContent('#csp-note'), /connect-src/);
  await screenshot(page, 'settings-1280');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('375 px wide: no horizontal overflow in any view', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { width: 375, height: 800 });
  for (const tab of ['timeouts', 'suites', 'metrics']) {
    await page.click(`#tab-${tab}`);
    const o = await overflow(page);
    assert.ok(o.scrollWidth <= o.clientWidth, `${tab}: ${o.scrollWidth} > ${o.clientWidth} (${o.culprits.join(', ')})`);
  }
  await page.click('#settings-toggle');
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, `settings: ${o.culprits.join(', ')}`);
  await screenshot(page, 'settings-375');
  assert.deepEqual(problems(), []);
  await context.close();
});
