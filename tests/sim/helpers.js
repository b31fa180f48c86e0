'use strict';
// Shared helpers for the simulator tests: one simulator per test, tokens, raw HTTP over node:net.

const net = require('node:net');
const { startSimulator } = require('../../sim');

/** Starts a simulator with `options`, runs `fn(sim)`, always closes it. */
async function withSim(options, fn) {
  const sim = await startSimulator(options);
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

/** Fetches an OAuth token from `path` (seed-v1 spelling by default); returns the parsed answer. */
async function token(sim, { scope = '', path = '/auth/oauth/token', id = 'demo-client', secret = 'demo-secret' } = {}) {
  const form = { grant_type: 'client_credentials', client_id: id, client_secret: secret };
  if (scope) form.scope = scope;
  const res = await fetch(sim.url + path, { method: 'POST', body: new URLSearchParams(form) });
  if (res.status !== 200) throw new Error(`token request failed: ${res.status} ${await res.text()}`);
  return res.json();
}

/** `fetch` + parsed JSON body: `{ status, headers, body }`. */
async function json(url, init = {}) {
  const res = await fetch(url, init);
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends `request` (raw HTTP/1.1 text, should say `Connection: close`) and resolves
 * `{ status, headers (lower-case names), body }` once the server closes the connection.
 */
function rawRequest(sim, request) {
  return new Promise((resolve, reject) => {
    const socket = net.connect(sim.port, '127.0.0.1', () => socket.write(request));
    const chunks = [];
    socket.on('data', (c) => chunks.push(c));
    socket.on('error', reject);
    socket.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head, ...rest] = text.split('\r\n\r\n');
      const [statusLine, ...headerLines] = head.split('\r\n');
      const headers = {};
      for (const line of headerLines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: rest.join('\r\n\r\n') });
    });
  });
}

/** Polls `fn` every `everyMs` until `done(value)` or `timeoutMs`; returns every value seen. */
async function pollUntil(fn, done, { everyMs = 10, timeoutMs = 5000 } = {}) {
  const seen = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    seen.push(value);
    if (done(value)) return seen;
    if (Date.now() > deadline) throw new Error(`pollUntil timed out; last value ${JSON.stringify(value)}`);
    await sleep(everyMs);
  }
}

module.exports = { withSim, token, json, sleep, rawRequest, pollUntil };
