// The inline entry's base64 decoder: the native path (Buffer here) and the JS path of a bare
// sandbox decode the same bytes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { root } from './helpers.mjs';

const { decodeBase64, decodeBase64InJs } = await import(join(root, 'js', 'base64.mjs'));

test('decodeBase64: native and JS paths give the same bytes, every padding', () => {
  for (const length of [0, 1, 2, 3, 4, 5, 63, 64, 65, 100_003]) {
    const bytes = randomBytes(length);
    const text = bytes.toString('base64');
    const native = decodeBase64(text);
    assert.ok(native instanceof Uint8Array);
    assert.deepEqual(Uint8Array.from(native), Uint8Array.from(bytes), `native, ${length} bytes`);
    assert.deepEqual(decodeBase64InJs(text), Uint8Array.from(bytes), `JS, ${length} bytes`);
  }
});
