// Timeouts view in Chromium: live validation by field, the time budget, applying a policy, and (with
// TimeoutManager in the build) a breaker that opens during an injected outage and recovers.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { openPage, overflow, screenshot, startStack } from './helpers.mjs';

let stack;
before(async () => {
  stack = await startStack();
});
after(() => stack?.close());

const fieldError = (page, name) => page.textContent(`#to-${name}-err`);

test('live validation: each error next to its field, budget warning, apply disabled while invalid', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  assert.equal(await fieldError(page, 'endpointId'), '');
  assert.equal(await page.isDisabled('#to-apply'), !(await page.evaluate(async () => 'TimeoutManager' in (await import('/pkg/web/index.js')))));

  await page.fill('#to-endpointId', '../etc/passwd');
  await page.fill('#to-slaThresholdMs', '9000');
  await page.fill('#to-fallbackTemplate', '{ "message": ');
  assert.match(await fieldError(page, 'endpointId'), /letters, digits/);
  assert.equal(await page.getAttribute('#to-endpointId', 'aria-invalid'), 'true');
  assert.match(await fieldError(page, 'slaThresholdMs'), /maxWaitTimeMs|max/i);
  assert.match(await fieldError(page, 'fallbackTemplate'), /JSON/);
  assert.equal(await fieldError(page, 'maxWaitTimeMs'), '');
  assert.equal(await page.getAttribute('#to-maxWaitTimeMs', 'aria-invalid'), 'false');
  assert.ok(await page.isDisabled('#to-apply'));

  await page.fill('#to-maxWaitTimeMs', '12a');
  assert.match(await fieldError(page, 'maxWaitTimeMs'), /integer/);
  await page.fill('#to-maxWaitTimeMs', '9000');
  await page.fill('#to-retryAttempts', '3');
  assert.equal(await fieldError(page, 'maxWaitTimeMs'), '');
  // 4 attempts of 9 s plus backoffs 0.5 + 1 + 2 s = 39.5 s > 20 s (the core's rule)
  assert.match(await page.textContent('#to-budget'), /39\.5 s/);
  assert.ok(await page.isVisible('#to-budget [data-code="BUDGET_EXCEEDED"]'));
  await screenshot(page, 'timeouts-invalid-1280');

  await page.fill('#to-endpointId', 'ext_svc_weather_01');
  await page.fill('#to-slaThresholdMs', '2000');
  await page.fill('#to-maxWaitTimeMs', '4000');
  await page.fill('#to-retryAttempts', '1');
  await page.fill('#to-fallbackTemplate', '{"message": "<img src=x onerror=alert(1)> resting"}');
  for (const name of ['endpointId', 'maxWaitTimeMs', 'slaThresholdMs', 'retryAttempts', 'backoffMs', 'fallbackTemplate']) {
    assert.equal(await fieldError(page, name), '', name);
  }
  assert.match(await page.textContent('#to-budget'), /8\.5 s|8500 ms/);
  assert.equal(await page.isVisible('#to-budget [data-code="BUDGET_EXCEEDED"]'), false);
  assert.deepEqual(problems(), []);
  await context.close();
});

test('375 px: the timeouts form with errors fits the width', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { width: 375, height: 800 });
  await page.fill('#to-endpointId', 'bad id with spaces');
  await page.fill('#to-maxWaitTimeMs', '99');
  const o = await overflow(page);
  assert.ok(o.scrollWidth <= o.clientWidth, o.culprits.join(', '));
  await screenshot(page, 'timeouts-375');
  assert.deepEqual(problems(), []);
  await context.close();
});
