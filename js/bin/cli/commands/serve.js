'use strict';
// `cognigy-guard sim` and `cognigy-guard demo`: the simulator (and the admin page) until Ctrl-C.
// `sim --base-url URL` (or COGNIGY_BASE_URL) serves the page for that Cognigy API: its origin joins the
// page's CSP connect-src, so the page can reach the tenant without an edit by hand.

const path = require('node:path');
const { UsageError, number } = require('../flags');
const { EXIT } = require('../report');

const pkgRoot = path.join(__dirname, '..', '..', '..');
const simulator = () => require(path.join(pkgRoot, 'sim'));

/** Resolves EXIT.OK once `signal` aborts (Ctrl-C) and `sim` is closed. */
function serveUntil(sim, signal) {
  return new Promise((resolve) => {
    const stop = () => sim.close().then(() => resolve(EXIT.OK));
    if (signal.aborted) stop();
    else signal.addEventListener('abort', stop, { once: true });
  });
}

/** The shared-state section (`--redis URL`): worker processes sharing one breaker on Redis. */
async function fleet(server, redisUrl, io) {
  const { fleetDemo } = require('../../fleet-demo.js');
  try {
    await fleetDemo({ sim: server, redisUrl, pkg: pkgRoot, log: io.out });
  } catch (err) {
    await server.close();
    throw err;
  }
}

/** The simulator, with the admin page served for `pageBaseUrl` when given (a bad URL is a UsageError). */
async function startFor(startSimulator, options, pageBaseUrl) {
  try {
    return await startSimulator({ ...options, pageBaseUrl });
  } catch (err) {
    if (pageBaseUrl !== undefined && /^pageBaseUrl /.test(err.message)) {
      throw new UsageError(`--base-url (or COGNIGY_BASE_URL): ${err.message.replace(/^pageBaseUrl /, '')}`);
    }
    throw err;
  }
}

async function sim({ values, io }) {
  const { startSimulator, DEMO_API_KEY, DEMO_CLIENT } = simulator();
  const pageBaseUrl = values['base-url'] ?? (io.env.COGNIGY_BASE_URL || undefined);
  const server = await startFor(startSimulator, {
    port: number(values, 'port', 8787),
    host: values.host || '127.0.0.1',
    timeScale: number(values, 'time-scale', 1),
    staticRoots: { '/': path.join(pkgRoot, 'www'), '/pkg/': pkgRoot },
  }, pageBaseUrl);
  io.out(server.url);
  if (values.redis) await fleet(server, values.redis, io);
  io.err([
    `Cognigy simulator and admin page at ${server.url}/ (Ctrl-C stops)`,
    ...(pageBaseUrl === undefined ? [] : [`the admin page may reach ${pageBaseUrl} (CSP connect-src) and starts with it as its base URL`]),
    'demo credentials (public, accepted by this simulator only):',
    `  api key        ${DEMO_API_KEY}`,
    `  OAuth client   ${DEMO_CLIENT.id} / ${DEMO_CLIENT.secret}`,
    `  e.g. COGNIGY_BASE_URL=${server.url} COGNIGY_API_KEY=${DEMO_API_KEY} cognigy-guard list-playbooks`,
  ].join('\n'));
  return serveUntil(server, io.signal);
}

async function demo({ values, lib, io }) {
  const { runDemo } = require('../../demo.js');
  const server = await runDemo({
    lib: lib(),
    simulator: simulator(),
    www: path.join(pkgRoot, 'www'),
    pkg: pkgRoot,
    port: number(values, 'port', 8787),
    log: io.out,
  });
  if (values.redis) await fleet(server, values.redis, io);
  if (values.exit) {
    await server.close();
    return EXIT.OK;
  }
  io.out(`\nStill serving the simulator and the admin page at ${server.url}/ (Ctrl-C stops).`);
  return serveUntil(server, io.signal);
}

module.exports = { sim, demo };
