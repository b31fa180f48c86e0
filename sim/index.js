'use strict';
// Cognigy simulator: an HTTP server speaking the seed-v1 and cognigy-v2 profiles of docs/WIRE.md, a REST
// Endpoint with NLU scores, and the Simulator API under /testing.
// Every simulator keeps its own state, so several can run in one process.

const http = require('node:http');
const { createAuth, ALL_SCOPES, DEMO_CLIENT, DEMO_API_KEY } = require('./auth');
const { createFaults } = require('./faults');
const { createRateLimits } = require('./rate-limit');
const { createRequestLog } = require('./request-log');
const { createDeliveries } = require('./receivers');
const { createSeedState } = require('./seed-v1');
const { createV2State, PLAYBOOKS, FLOWS, LOCALE_ID, ENTRYPOINT } = require('./cognigy-v2');
const { createStatic } = require('./static');
const { createTestingState, SCENARIOS } = require('./testing');
const { createEndpointState, describe: describeEndpoint, PROJECT_ID, DEMO_ENDPOINT_TOKEN } = require('./endpoint');
const { createRequestListener } = require('./server');

function checkOptions({ port, host, tokenTtlSeconds, timeScale, clients, apiKeys, endpointTokens }) {
  const problems = [];
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) problems.push('port must be an integer in 0..65535');
  if (typeof host !== 'string' || host === '') problems.push('host must be a non-empty string');
  if (!(typeof tokenTtlSeconds === 'number' && tokenTtlSeconds > 0)) problems.push('tokenTtlSeconds must be a number > 0');
  if (!(typeof timeScale === 'number' && timeScale > 0 && Number.isFinite(timeScale))) problems.push('timeScale must be a finite number > 0');
  if (!Array.isArray(clients) || !clients.every((c) => c && c.id && c.secret)) problems.push('clients must be an array of { id, secret, scopes? }');
  if (!Array.isArray(apiKeys) || !apiKeys.every((k) => typeof k === 'string' && k !== '')) problems.push('apiKeys must be an array of non-empty strings');
  if (!Array.isArray(endpointTokens) || !endpointTokens.every((t) => typeof t === 'string' && /^[^/?#\s]+$/.test(t))) {
    problems.push('endpointTokens must be an array of URL tokens (non-empty, no /, ?, # or spaces)');
  }
  if (problems.length) throw new TypeError(`startSimulator: ${problems.join('; ')}`);
}

/** The per-server state handed to every handler as `ctx.sim` (and exposed as `simulator.state`). */
function createState(options) {
  const timers = new Set();
  const held = new Set();
  const state = {
    options,
    timeScale: options.timeScale,
    closing: false,
    auth: createAuth(options),
    faults: createFaults(),
    rateLimits: createRateLimits(),
    requestLog: createRequestLog(),
    deliveries: createDeliveries(),
    seed: createSeedState(),
    v2: createV2State(),
    endpoint: createEndpointState(),
    testing: createTestingState(),
    ext: { quotes: 0 },
    serveStatic: createStatic(options.staticRoots, { pageBaseUrl: options.pageBaseUrl }),

    /** Simulated milliseconds since the real instant `since` (real time multiplied by timeScale). */
    elapsed(since) {
      return (Date.now() - since) * state.timeScale;
    },

    /** Waits `ms` real milliseconds; resolves false instead when the simulator closes first. */
    sleep(ms) {
      return new Promise((resolve) => {
        const timer = { resolve };
        timer.handle = setTimeout(() => {
          timers.delete(timer);
          resolve(true);
        }, ms);
        timers.add(timer);
      });
    },

    /** Keeps a socket open without answering until the client gives up or the simulator closes. */
    hold(socket) {
      if (!socket) return;
      held.add(socket);
      socket.once('close', () => held.delete(socket));
    },

    /**
     * Forgets executions, tasks, simulator batches, services, endpoint conversations and counters, faults,
     * rate limiters, the request log and deliveries (not tokens).
     */
    reset() {
      state.faults.clear();
      state.rateLimits.clear();
      state.requestLog.clear();
      state.deliveries.clear();
      state.seed = createSeedState();
      state.v2 = createV2State();
      state.endpoint = createEndpointState();
      state.testing = createTestingState();
      state.ext = { quotes: 0 };
    },

    /** Stops pending delays and drops held sockets (used by close). */
    shutdown() {
      state.closing = true;
      for (const timer of timers) {
        clearTimeout(timer.handle);
        timer.resolve(false);
      }
      timers.clear();
      for (const socket of held) socket.destroy();
    },
  };
  return state;
}

function urlHost(host) {
  if (host === '0.0.0.0' || host === '::') return 'localhost';
  return host.includes(':') ? `[${host}]` : host;
}

/**
 * Starts a simulator. Options: `{ port = 0, host = '127.0.0.1', clients, apiKeys, endpointTokens,
 * tokenTtlSeconds = 3600, timeScale = 1, staticRoots = {} }`. Resolves `{ url, port, host, state, close(),
 * setFaults(route, faults, opts), setRateLimit(route, limit, windowMs), requests(filter), deliveries(path),
 * endpoint(filter), endpointUrl(token?) }`.
 */
async function startSimulator(options = {}) {
  const settings = {
    port: 0,
    host: '127.0.0.1',
    clients: [DEMO_CLIENT],
    apiKeys: [DEMO_API_KEY],
    endpointTokens: [DEMO_ENDPOINT_TOKEN],
    tokenTtlSeconds: 3600,
    timeScale: 1,
    staticRoots: {},
    ...options,
  };
  checkOptions(settings);
  const state = createState(settings);
  const server = http.createServer(createRequestListener(state));
  const sockets = new Set();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();

  let closed;
  function close() {
    if (!closed) {
      closed = new Promise((resolve) => {
        state.shutdown();
        server.close(() => resolve());
        if (typeof server.closeAllConnections === 'function') server.closeAllConnections();
        for (const socket of sockets) socket.destroy();
      });
    }
    return closed;
  }

  const url = `http://${urlHost(settings.host)}:${port}`;
  return {
    url,
    port,
    host: settings.host,
    state,
    close,
    setFaults: (route, faults, opts) => state.faults.set(route, faults, opts),
    clearFaults: (route) => state.faults.clear(route),
    setRateLimit: (route, limit, windowMs) => state.rateLimits.set(route, limit, windowMs),
    requests: (filter) => state.requestLog.list(filter),
    deliveries: (path) => state.deliveries.summary(path),
    endpoint: (filter) => describeEndpoint(state, filter),
    endpointUrl: (token = settings.endpointTokens[0]) => `${url}/endpoint/${encodeURIComponent(token)}`,
  };
}

module.exports = {
  startSimulator,
  bot: require('./bot'),
  samples: { PLAYBOOKS, FLOWS, LOCALE_ID, ENTRYPOINT, PROJECT_ID, SCENARIOS },
  DEMO_CLIENT,
  DEMO_API_KEY,
  DEMO_ENDPOINT_TOKEN,
  ALL_SCOPES,
};
