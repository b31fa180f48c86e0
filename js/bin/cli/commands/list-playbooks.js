'use strict';
// `cognigy-guard list-playbooks`: the tenant's playbooks (cognigy-v2 `GET /new/v2.0/playbooks`,
// read page by page) with the ids `run-playbook` needs; its HTTP helpers serve list-simulations too.

const { UsageError, defaultApi, reportMissing } = require('../flags');
const { connection } = require('../connection');
const { writeOutput } = require('../io');
const { EXIT } = require('../report');

const PAGE = 100;
const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/;

/** Refuses credentials over plain http:// to a host that is not loopback, as the library does. */
function checkUrl(baseUrl, allowInsecureHttp) {
  let url;
  try {
    url = new URL(baseUrl);
  } catch {
    throw new UsageError(`--base-url is not a URL: ${JSON.stringify(baseUrl)}`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname) && !allowInsecureHttp) {
    throw new UsageError('--base-url must be https:// (http:// only to loopback, or with --allow-insecure-http)');
  }
  return baseUrl.replace(/\/+$/, '');
}

async function request(url, init) {
  let response;
  try {
    response = await fetch(url, init);
  } catch (err) {
    throw Object.assign(new Error(`network error: ${err.cause?.code || err.message}`), { name: 'GuardError', code: 'NETWORK' });
  }
  const text = await response.text();
  if (!response.ok) {
    const code = response.status === 401 || response.status === 403 ? 'AUTH' : 'HTTP';
    let detail = '';
    try {
      const body = JSON.parse(text);
      detail = body.detail || body.error_description || body.title || '';
    } catch { /* not JSON */ }
    throw Object.assign(new Error(`HTTP ${response.status}${detail ? `: ${detail}` : ''}`), { name: 'GuardError', code, status: response.status });
  }
  return JSON.parse(text);
}

async function headers(base, auth) {
  if (auth.apiKey) return { Accept: 'application/json', 'X-API-Key': auth.apiKey };
  const body = new URLSearchParams({ grant_type: 'client_credentials', client_id: auth.clientId, client_secret: auth.clientSecret });
  const token = await request(`${base}/auth/oauth2/token`, { method: 'POST', body, headers: { Accept: 'application/json' } });
  return { Accept: 'application/json', Authorization: `Bearer ${token.access_token}` };
}

async function listPlaybooks({ values, io }) {
  const conn = connection(values, io.env, defaultApi('list-playbooks'));
  reportMissing('list-playbooks', conn.missing);
  if (conn.options.api !== 'cognigy-v2') throw new UsageError('list-playbooks needs --api cognigy-v2 (playbooks exist on the real platform only)');
  const base = checkUrl(conn.options.baseUrl, conn.options.allowInsecureHttp);
  const init = { headers: await headers(base, conn.options.auth) };
  const playbooks = [];
  for (;;) {
    const page = await request(`${base}/new/v2.0/playbooks?limit=${PAGE}&skip=${playbooks.length}`, init);
    const items = Array.isArray(page.items) ? page.items : [];
    playbooks.push(...items);
    if (items.length === 0 || (typeof page.total === 'number' && playbooks.length >= page.total) || !page.nextCursor) break;
  }
  if (values.json) {
    writeOutput(values.json, `${JSON.stringify(playbooks, null, 2)}\n`, 'playbooks', io);
    if (values.json === '-') return EXIT.OK;
  }
  if (playbooks.length === 0) io.out('no playbooks');
  for (const p of playbooks) {
    io.out(`${p.name ?? '(no name)'}${p.stepCount === undefined ? '' : ` (${p.stepCount} steps)`}`);
    io.out(`  --playbook ${p._id} --flow ${p.flowId ?? '?'} --locale ${p.localeId ?? '?'} --entrypoint ${p.entrypoint ?? '?'}`);
  }
  return EXIT.OK;
}

module.exports = { listPlaybooks, checkUrl, request, headers };
