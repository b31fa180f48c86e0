// The README's "run the demo" command, end to end: `node scripts/demo.mjs --exit` against the built
// package and the simulator. A newcomer must see a suite report, the breaker opening and recovering,
// and the admin page URL.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { root } from './helpers.mjs';

test('the demo shows a suite report, a playbook report, an endpoint run with its confusion matrix and a regression, and a breaker opening and recovering', async () => {
  const out = await new Promise((resolve, reject) => {
    execFile(process.execPath, [join(root, 'scripts', 'demo.mjs'), '--exit', '--port', '0'], { timeout: 120_000 },
      (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stdout}\n${stderr}`)) : resolve(stdout)));
  });
  assert.match(out, /Admin page: +http:\/\/127\.0\.0\.1:\d+\//);
  assert.match(out, /1\. Bot test suite[\s\S]*execution \S+: completed, gate (PASSED|FAILED)/);
  assert.match(out, /6 cases: \d+ passed, \d+ failed, 1 unverified; pass rate/);
  assert.match(out, /CI webhook delivered: true/);
  assert.match(out, /2\. Cognigy Playbook run[\s\S]*pass rate/);
  assert.match(out, /3\. The suite against the bot's REST Endpoint[\s\S]*NLU: accuracy \d+\.\d%, macro-F1 \d\.\d{3}; confusion matrix/);
  assert.match(out, /F1 \d\.\d\d #* +orderPizza \(support 2\)/);
  assert.match(out, /comparison: [1-9]\d* regressed, 0 fixed, pass rate -[\d.]+ pts; gate FAILED/);
  assert.match(out, /regressed #\d "[^"]+": latency: \d+ ms, over the \d+ ms allowed/);
  assert.ok(!out.includes('demo-endpoint-token'), 'the endpoint token is not printed');
  assert.match(out, /call during outage #\d +source=cache +circuit=open/);
  assert.match(out, /quote \(hangs, nothing cached\) +source=fallback/);
  assert.match(out, /probe after reset timeout +source=live +circuit=closed/);
  assert.match(out, /half_open -> closed \(success_threshold, recovered after (\d+) ms\)/);
  const recovered = Number(out.match(/recovered after (\d+) ms/)[1]);
  assert.ok(recovered >= 2000, `recovery latency ${recovered} ms must include the 2 s open time`);
  assert.match(out, /audit log: \d+ records, chain verified/);
  assert.match(out, /demo finished/);
});
