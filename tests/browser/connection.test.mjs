// The admin page and its server, in Chromium: Save checks the credentials against the server; a run
// without credentials says what is missing next to its button; the Metrics view refreshes itself; and a
// page served for another origin (a Cognigy tenant; here a second simulator) reaches it through the
// connect-src its server wrote, while a page that was not gets guidance instead of blocked requests.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { openPage, openTab, root, screenshot, simModule, startStack } from './helpers.mjs';

let stack;
let tenant;
let tenantPage;
before(async () => {
  stack = await startStack();
  // "the tenant": another origin, API only (no page), CORS as Cognigy answers it (Access-Control-Allow-Origin: *)
  tenant = await simModule.startSimulator({ timeScale: 50 });
  // the page served for that tenant, as `node sim/cli.js --base-url <tenant>` serves it
  tenantPage = await simModule.startSimulator({
    timeScale: 50,
    pageBaseUrl: tenant.url,
    staticRoots: { '/': join(root, 'www'), '/pkg/': join(root, 'pkg') },
  });
});
after(async () => {
  await stack?.close();
  await tenant?.close();
  await tenantPage?.close();
});

const pill = (page) => page.evaluate(() => ({ text: document.querySelector('#conn-status').textContent, tone: document.querySelector('#conn-status').dataset.tone }));

test('Save checks the credentials: a wrong API key is reported as rejected, the demo key as accepted', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url, { expectHttpErrors: true });
  await page.waitForFunction(() => document.querySelector('#conn-status').dataset.tone === 'ok');
  await page.click('#settings-toggle');
  await page.fill('input[name="apiKey"]', 'not-the-right-key');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#conn-status').dataset.tone === 'bad');
  const shown = await pill(page);
  assert.doesNotMatch(shown.text, /simulator/, `a refused key is not shown as connected: ${shown.text}`);
  assert.match(shown.text, /^cognigy-v2 · 127\.0\.0\.1:\d+ · API key rejected$/);
  assert.match(await page.textContent('#cred-check'), /API key rejected by http:\/\/127\.0\.0\.1:\d+ \(HTTP 401/);
  assert.equal(await page.getAttribute('input[name="apiKey"]', 'aria-invalid'), 'true');
  assert.equal(await page.getAttribute('input[name="apiKey"]', 'aria-describedby'), 'cred-check');
  assert.ok(!(await page.evaluate(() => document.documentElement.outerHTML.includes('not-the-right-key'))));
  await screenshot(page, 'settings-rejected-1280');

  await page.click('#demo-creds');
  await page.waitForFunction(() => document.querySelector('#conn-status').dataset.tone === 'ok');
  assert.match((await pill(page)).text, /cognigy-v2 · 127\.0\.0\.1:\d+ · simulator/);
  assert.match(await page.textContent('#cred-check'), /API key accepted/);
  assert.equal(await page.getAttribute('input[name="apiKey"]', 'aria-invalid'), null);

  // seed-v1 speaks OAuth: the demo client is checked with a token request
  await page.selectOption('select[name="api"]', 'seed-v1');
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => /OAuth client "demo-client" accepted/.test(document.querySelector('#cred-check').textContent));
  assert.deepEqual(problems(), []);
  await context.close();
});

test('a run without credentials says so next to its button; Open Settings leads to the field', async () => {
  const { page, context, problems } = await openPage(stack.browser, `${stack.sim.url}/#suites`);
  await page.click('#settings-toggle');
  await page.click('#forget-creds');
  await page.click('#settings-toggle');
  await page.selectOption('#suite-sample', 'support-smoke.json');
  await page.waitForFunction(() => !document.querySelector('#suite-run').disabled);
  const before = tenantRequestsOf(stack.sim);
  await page.click('#suite-run');
  await page.waitForSelector('#suite-needs:not([hidden])');
  assert.match(await page.textContent('#suite-needs'), /OAuth client id and secret: set them in Settings/);
  assert.equal(await page.isVisible('#suite-progress-bar'), false, 'no progress bar for a run that never started');
  assert.doesNotMatch(await page.textContent('#panel-suites'), /CONFIG:/);
  assert.equal(tenantRequestsOf(stack.sim), before, 'nothing was sent');
  // the playbook side says the same next to its button, and offers nothing stale to run
  assert.match(await page.textContent('#playbook-needs'), /API key or an OAuth client: set one in Settings/);
  assert.ok(await page.isDisabled('#playbook-run'));
  assert.equal(await page.$$eval('#playbook-select option', (o) => o.length), 0);
  await page.click('#suite-needs button.open-settings');
  assert.equal(await page.isVisible('#settings'), true);
  assert.equal(await page.evaluate(() => document.activeElement.name), 'clientId');
  await screenshot(page, 'suites-no-credentials-1280');

  // with the demo credentials the message goes away and the run goes through
  await page.click('#demo-creds');
  await page.waitForSelector('#suite-needs', { state: 'hidden' });
  await page.click('#suite-run');
  await page.waitForSelector('#results:not([hidden]) #pass-rate', { timeout: 30_000 });
  assert.deepEqual(problems(), []);
  await context.close();
});

function tenantRequestsOf(sim) {
  return sim.requests({}).filter((r) => r.path.startsWith('/api/') || r.path.startsWith('/auth/')).length;
}

test('the Metrics view refreshes itself while it is visible', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await page.fill('#to-endpointId', 'metrics_live');
  await page.fill('#to-url', '/ext/quote');
  await page.click('#to-apply');
  await page.waitForSelector('[data-endpoint="metrics_live"]');
  await page.click('[data-endpoint="metrics_live"] button[aria-pressed]');
  await openTab(page, 'metrics');
  const calls = () => page.evaluate(() => Number(document.querySelector('#metrics-table tr[data-endpoint="metrics_live"] td:nth-child(3)')?.textContent ?? -1));
  await page.waitForFunction(() => document.querySelector('#metrics-table tr[data-endpoint="metrics_live"]'));
  const first = await calls();
  await page.waitForFunction((n) => Number(document.querySelector('#metrics-table tr[data-endpoint="metrics_live"] td:nth-child(3)').textContent) > n, first, { timeout: 5000 });
  assert.ok((await calls()) > first);
  await openTab(page, 'timeouts');
  await page.click('[data-endpoint="metrics_live"] button[aria-pressed]');
  assert.deepEqual(problems(), []);
  await context.close();
});

test('a page served for another origin reaches it: connect-src and base URL come from its server', async () => {
  const { page, context, problems } = await openPage(stack.browser, tenantPage.url);
  const csp = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
  assert.match(csp, new RegExp(`connect-src 'self' ${tenant.url.replace(/[.]/g, '\\.')}(;|$)`));
  for (const directive of ["default-src 'self'", "script-src 'self' 'wasm-unsafe-eval'", "object-src 'none'", "base-uri 'none'", "form-action 'none'"]) {
    assert.ok(csp.includes(directive), directive);
  }
  await page.click('#settings-toggle');
  assert.equal(await page.inputValue('input[name="baseUrl"]'), tenant.url, 'the page starts with the configured base URL');
  assert.equal(await page.isVisible('#csp-note'), false);
  // No simulator on the page's own origin is assumed: credentials are the user's to give.
  assert.match((await pill(page)).text, /no credentials/);
  await page.fill('input[name="apiKey"]', simModule.DEMO_API_KEY);
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => document.querySelector('#conn-status').dataset.tone === 'ok');
  assert.match(await page.textContent('#cred-check'), new RegExp(`API key accepted by ${tenant.url.replace(/[.]/g, '\\.')}`));
  assert.ok(tenant.requests({ path: '/new/v2.0/flows' }).length >= 1, 'the check went to the tenant');

  // a playbook run against the tenant, listed and run cross-origin
  await openTab(page, 'suites');
  await page.click('#panel-suites button:has-text("Reload list")');
  await page.waitForSelector('#playbook-select option', { state: 'attached' });
  await page.click('#playbook-run');
  await page.waitForSelector('#results:not([hidden]) #pass-rate', { timeout: 30_000 });
  assert.ok(tenant.requests({ method: 'POST' }).some((r) => /\/schedule$/.test(r.path)), 'the playbook was scheduled on the tenant');
  await screenshot(page, 'tenant-playbook-1280');
  assert.deepEqual(problems(), [], 'no CSP violation, no console error');
  await context.close();
});

test('a page not served for the base URL explains how instead of sending blocked requests', async () => {
  const { page, context, problems } = await openPage(stack.browser, stack.sim.url);
  await page.click('#settings-toggle');
  await page.fill('input[name="baseUrl"]', tenant.url);
  await page.click('#settings-form button[type="submit"]');
  await page.waitForFunction(() => /Content-Security-Policy/.test(document.querySelector('#cred-check').textContent));
  const note = await page.textContent('#csp-note');
  assert.match(note, new RegExp(`--base-url ${tenant.url.replace(/[.]/g, '\\.')}`));
  assert.equal((await pill(page)).tone, 'bad');
  assert.equal(await page.getAttribute('input[name="baseUrl"]', 'aria-invalid'), 'true');
  assert.deepEqual(problems(), [], 'nothing was sent to the blocked origin (no CSP violation)');
  await context.close();
});

test('the page server: only HTML changes, lengths match, a bad base URL is refused at start', async () => {
  const page = await fetch(`${tenantPage.url}/`);
  const html = await page.text();
  assert.equal(Number(page.headers.get('content-length')), Buffer.byteLength(html));
  assert.match(html, /<meta name="cognigy-guard-base-url" content="http:\/\/127\.0\.0\.1:\d+">/);
  assert.equal((html.match(/http-equiv="Content-Security-Policy"/g) || []).length, 1, 'one policy, rewritten in place');
  const head = await fetch(`${tenantPage.url}/index.html`, { method: 'HEAD' });
  assert.equal(head.headers.get('content-length'), page.headers.get('content-length'));
  const script = await (await fetch(`${tenantPage.url}/app.js`)).text();
  assert.equal(script, (await import('node:fs')).readFileSync(join(root, 'www', 'app.js'), 'utf8'), 'scripts are served as they are');
  // a path with markup in it cannot break out of the attribute
  const odd = await simModule.startSimulator({ pageBaseUrl: 'https://tenant.example/a"b<c>', staticRoots: { '/': join(root, 'www') } });
  try {
    const text = await (await fetch(`${odd.url}/`)).text();
    assert.match(text, /content="https:\/\/tenant\.example\/a%22b%3Cc%3E"/);
    assert.match(text, /connect-src 'self' https:\/\/tenant\.example;/);
  } finally {
    await odd.close();
  }
  for (const bad of ['javascript:alert(1)', 'not a url', 'https://user:pw@tenant.example']) {
    await assert.rejects(simModule.startSimulator({ pageBaseUrl: bad }), /pageBaseUrl/, bad);
  }
});
