'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const bot = require('../../sim/bot');
const { FLOWS, LOCALE_ID } = require('../../sim/cognigy-v2');
const { PROJECT_ID, DEMO_ENDPOINT_TOKEN } = require('../../sim/endpoint');
const { withSim, json } = require('./helpers');

const KEY = { 'X-API-Key': 'demo-api-key' };

function send(sim, body, token = DEMO_ENDPOINT_TOKEN) {
  return json(sim.endpointUrl(token), { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
}

function scores(sim, body, projectId = PROJECT_ID, headers = KEY) {
  return json(`${sim.url}/new/v2.0/projects/${projectId}/nlu/scores`, {
    method: 'POST',
    headers: { ...headers, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const inspect = async (sim, query = '') => (await json(`${sim.url}/__sim/endpoint${query}`)).body;

test('REST Endpoint: the answer shape, slots in data.slots, memory per session, a new session forgets', async () => {
  await withSim({ timeScale: 1000 }, async (sim) => {
    const first = await send(sim, { userId: 'u1', sessionId: 's1', text: 'I want a pizza', data: { channel: 'test' } });
    assert.equal(first.status, 200);
    assert.deepEqual(Object.keys(first.body).sort(), ['data', 'outputStack', 'sessionId', 'text', 'userId']);
    assert.deepEqual([first.body.userId, first.body.sessionId], ['u1', 's1']);
    assert.deepEqual(first.body.data, { channel: 'test', slots: {}, turn: 1 });
    assert.equal(first.body.text, 'Great, let us order a pizza. What size would you like?');
    assert.deepEqual(first.body.outputStack, [{ text: first.body.text, data: {}, source: 'bot' }]);

    // "large" alone continues the pizza order in the same session ...
    const second = await send(sim, { userId: 'u1', sessionId: 's1', text: 'large' });
    assert.equal(second.body.text, 'Great, I will order a large pizza for you.');
    assert.deepEqual(second.body.data.slots, { size: 'large' });
    // ... and the next turn remembers the size: a second output, joined into text.
    const third = await send(sim, { userId: 'u1', sessionId: 's1', text: 'What is the weather in Berlin?' });
    assert.deepEqual(third.body.outputStack.map((o) => o.text), ['The weather in Berlin is sunny with 21 degrees.', 'I remember: size large.']);
    assert.equal(third.body.text, third.body.outputStack.map((o) => o.text).join(' '));
    assert.deepEqual(third.body.data.slots, { size: 'large', city: 'Berlin' });

    // A new sessionId starts over: "large" alone is not understood.
    const fresh = await send(sim, { userId: 'u1', sessionId: 's2', text: 'large' });
    assert.equal(fresh.body.text, bot.converse(bot.newMemory(), 'large').outputs[0]);
    assert.deepEqual(fresh.body.data, { slots: { size: 'large' }, turn: 1 });

    const log = await inspect(sim);
    assert.deepEqual(log.log.map((e) => [e.sessionId, e.turn, e.newSession]), [['s1', 1, true], ['s1', 2, false], ['s1', 3, false], ['s2', 1, true]]);
    assert.deepEqual(log.log[0].data, { channel: 'test' });
    assert.equal(log.log[1].intent, 'intent_order_pizza');
    assert.deepEqual([log.sessions, log.requests, log.inFlight], [2, 4, 0]);
    assert.deepEqual((await inspect(sim, '?sessionId=s2')).log.map((e) => e.text), ['large']);
  });
});

test('REST Endpoint: bad messages 400, an unknown token 404, the token is redacted in the request log', async () => {
  await withSim({ timeScale: 1000, endpointTokens: ['tok-A'] }, async (sim) => {
    for (const body of [{ sessionId: 's', text: 'hi' }, { userId: 'u', text: 'hi' }, { userId: 'u', sessionId: 's' }, { userId: 'u', sessionId: 's', text: 1 }, []]) {
      const answer = await send(sim, body, 'tok-A');
      assert.equal(answer.status, 400, JSON.stringify(body));
      assert.equal(answer.body.error, 'bad_request');
    }
    assert.equal((await send(sim, { userId: 'u', sessionId: 's', data: { a: 1 } }, 'tok-A')).status, 200);
    assert.equal((await send(sim, { userId: 'u', sessionId: 's', text: 'hi' }, DEMO_ENDPOINT_TOKEN)).status, 404);
    assert.equal((await json(sim.endpointUrl('tok-A'))).status, 405);
    const paths = sim.requests().map((r) => r.path);
    assert.ok(paths.every((p) => p === '/endpoint/[REDACTED]'));
    assert.ok(!JSON.stringify(sim.requests()).includes('tok-A'));
    await assert.rejects(withSim({ endpointTokens: ['a/b'] }, () => {}), /endpointTokens/);
  });
});

test('REST Endpoint: concurrent requests in flight are counted at the server (max seen)', async () => {
  await withSim({ timeScale: 1000 }, async (sim) => {
    sim.setFaults('POST /endpoint/*', [{ delayMs: 150, times: 6 }]);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => send(sim, { userId: 'u', sessionId: `c${i}`, text: 'hello' })));
    assert.ok(answers.every((a) => a.status === 200));
    let view = await inspect(sim);
    assert.deepEqual([view.maxInFlight, view.inFlight, view.requests], [6, 0, 6]);
    await send(sim, { userId: 'u', sessionId: 'one', text: 'hello' });
    await send(sim, { userId: 'u', sessionId: 'two', text: 'hello' });
    assert.equal((await json(`${sim.url}/__sim/endpoint`, { method: 'DELETE' })).status, 200);
    view = await inspect(sim);
    assert.deepEqual([view.maxInFlight, view.requests, view.count, view.sessions], [0, 0, 0, 0]);
    await send(sim, { userId: 'u', sessionId: 'three', text: 'hello' });
    assert.equal((await inspect(sim)).maxInFlight, 1);
  });
});

test('REST Endpoint: faults apply (429 with Retry-After, 503), and the bot latency is scaled', async () => {
  await withSim({ timeScale: 10 }, async (sim) => {
    sim.setFaults('POST /endpoint/*', [{ status: 429, retryAfter: 2 }, { status: 503 }]);
    const limited = await send(sim, { userId: 'u', sessionId: 's', text: 'hello' });
    assert.equal(limited.status, 429);
    assert.equal(limited.headers.get('retry-after'), '2');
    assert.equal((await send(sim, { userId: 'u', sessionId: 's', text: 'hello' })).status, 503);
    const text = 'hello there';
    const started = Date.now();
    assert.equal((await send(sim, { userId: 'u', sessionId: 's', text })).status, 200);
    assert.ok(Date.now() - started >= bot.respond(text).latencyMs / 10 - 5);
    // Faulted requests never reached the bot: one turn in the log.
    assert.equal((await inspect(sim)).count, 1);
  });
});

test('NLU scores: one score per flow intent, highest first; the top one is the bot intent with its confidence', async () => {
  await withSim({}, async (sim) => {
    const flow = FLOWS[0];
    for (const sentence of ['I want a large pizza', 'I forgot my password', 'Tell me a joke', '']) {
      const answer = await scores(sim, { flowReferenceId: flow._id, localeReferenceId: LOCALE_ID, sentence });
      assert.equal(answer.status, 200);
      const list = answer.body.scores;
      assert.deepEqual(list.map((s) => s.name).sort(), flow.intents.map((i) => i.name).sort());
      assert.ok(list.every((s) => s.negated === false && s.flow === flow._id && flow.intents.find((i) => i.name === s.name)._id === s.id));
      assert.ok(list.every((s, i) => i === 0 || list[i - 1].score >= s.score));
      const expected = bot.respond(sentence);
      const top = bot.flowIntentName(expected.intent);
      if (top === null) {
        assert.ok(list[0].score < expected.confidence, sentence);
      } else {
        assert.deepEqual([list[0].name, list[0].score], [top, expected.confidence]);
        assert.ok(list[1].score < 0.2);
      }
    }
  });
});

test('NLU scores: auth, validation and unknown project / flow / locale', async () => {
  await withSim({}, async (sim) => {
    const ok = { flowReferenceId: FLOWS[1]._id, localeReferenceId: LOCALE_ID, sentence: 'hi' };
    assert.equal((await scores(sim, ok, PROJECT_ID, {})).status, 401);
    const missing = await scores(sim, { sentence: 'hi' });
    assert.equal(missing.status, 400);
    assert.deepEqual(Object.keys(missing.body.details), ['flowReferenceId', 'localeReferenceId']);
    assert.equal(missing.body.code, 400);
    const notFound = await scores(sim, ok, 'other-project');
    assert.deepEqual([notFound.status, notFound.body.code], [404, 1002]);
    assert.equal((await scores(sim, { ...ok, flowReferenceId: 'nope' })).status, 404);
    assert.equal((await scores(sim, { ...ok, localeReferenceId: 'nope' })).status, 404);
    assert.equal((await scores(sim, ok)).body.scores.length, FLOWS[1].intents.length);
  });
});
