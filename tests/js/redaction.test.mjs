// A server that echoes credentials back in its error bodies must not get them into our errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { pkgDir } from './helpers.mjs';

const { TestSuiteRunner } = createRequire(import.meta.url)(pkgDir);
const API_KEY = 'echoed-api-key-1234567';

test('TestSuiteRunner errors never carry an API key the server echoed', async () => {
  const echo = async (url, init) => new Response(JSON.stringify({
    type: 'about:blank', title: `bad key ${init.headers['X-API-Key'] ?? init.headers['x-api-key']}`,
    status: 400, detail: `you sent X-API-Key: ${API_KEY}`,
  }), { status: 400, headers: { 'content-type': 'application/problem+json' } });
  const runner = new TestSuiteRunner({ api: 'cognigy-v2', baseUrl: 'https://api.example.invalid', auth: { apiKey: API_KEY }, fetch: echo });
  const err = await runner.runPlaybook({ playbookId: 'p1', flowId: 'f1', localeId: 'l1', entrypoint: 'e1' })
    .then(() => assert.fail('should reject'), (e) => e);
  assert.equal(err.name, 'GuardError');
  assert.equal(err.code, 'HTTP');
  const everything = JSON.stringify({ message: err.message, ...err });
  assert.ok(!everything.includes(API_KEY), everything);
});
