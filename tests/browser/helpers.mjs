// Shared harness of the browser tests: the simulator serving www/ and pkg/, Debian's Chromium driven by
// playwright-core, and a page that records console errors, page errors and CSP violations.
import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(import.meta.url);
/** The simulator package (startSimulator, bot, samples). */
export const simModule = require(join(root, 'sim'));

const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SHOTS = join(root, 'artifacts', 'screenshots');

/**
 * Starts a simulator (timeScale 50) serving the page and the built package, and a headless Chromium.
 * @returns {Promise<{ sim: any, browser: import('playwright-core').Browser, close(): Promise<void> }>}
 */
export async function startStack() {
  const sim = await simModule.startSimulator({ timeScale: 50, staticRoots: { '/': join(root, 'www'), '/pkg/': join(root, 'pkg') } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS, headless: true });
  return {
    sim,
    browser,
    async close() {
      await browser.close();
      await sim.close();
    },
  };
}

/**
 * Opens the admin page in a fresh context and waits until it is ready. `problems()` lists console errors,
 * uncaught page errors and CSP violations; `expectHttpErrors` ignores Chromium's "Failed to load resource"
 * lines for HTTP error answers a test provokes on purpose (injected outages).
 * @param {import('playwright-core').Browser} browser
 * @param {string} url
 * @param {{ width?: number, height?: number, expectHttpErrors?: boolean }} [options]
 */
export async function openPage(browser, url, { width = 1280, height = 900, expectHttpErrors = false } = {}) {
  const context = await browser.newContext({ viewport: { width, height }, acceptDownloads: true });
  const page = await context.newPage();
  const problems = [];
  page.on('console', (msg) => {
    if (msg.type() !== 'error') return;
    const text = msg.text();
    if (expectHttpErrors && /^Failed to load resource: the server responded with a status of \d+/.test(text)) return;
    problems.push(`console: ${text}`);
  });
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`CSP violation: ${e.violatedDirective} ${e.blockedURI}`);
    });
  });
  await page.goto(url);
  await page.waitForSelector('body[data-ready="true"]', { timeout: 15_000 });
  return { page, context, problems: () => [...problems] };
}

/**
 * Writes a full-page screenshot to artifacts/screenshots/<name>.png.
 * @param {import('playwright-core').Page} page
 * @param {string} name
 */
export async function screenshot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
}

/**
 * Selects a tab by clicking it.
 * @param {import('playwright-core').Page} page
 * @param {'timeouts' | 'suites' | 'metrics'} name
 */
export async function openTab(page, name) {
  await page.click(`#tab-${name}`);
  await page.waitForSelector(`#panel-${name}:not([hidden])`);
}

/**
 * Whether the document is wider than the viewport (horizontal overflow).
 * @param {import('playwright-core').Page} page
 * @returns {Promise<{ scrollWidth: number, clientWidth: number, culprits: string[] }>}
 */
export function overflow(page) {
  return page.evaluate(() => {
    const doc = document.documentElement;
    const culprits = [...document.querySelectorAll('body *')]
      .filter((el) => el.getBoundingClientRect().right > doc.clientWidth + 1 && !el.closest('.table-wrap, .prom'))
      .slice(0, 5)
      .map((el) => `${el.tagName.toLowerCase()}#${el.id}.${el.className}`);
    return { scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, culprits };
  });
}
