// Base64 decoding of the embedded wasm: natively where the platform has a decoder
// (`Uint8Array.fromBase64`, Node's `Buffer`: under 1 ms for the module, against about 5 ms in JS at
// start-up), else in JS, since a bare sandbox (a Cognigy Extension's) has neither `atob` nor `Buffer`.
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** Decodes standard base64 (no line breaks) into bytes. */
export function decodeBase64(text) {
  if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(text);
  const buffer = globalThis.Buffer;
  if (typeof buffer === 'function' && typeof buffer.from === 'function') return buffer.from(text, 'base64');
  return decodeBase64InJs(text);
}

/** Decodes standard base64 (no line breaks) into bytes, in JS only. */
export function decodeBase64InJs(text) {
  const lookup = new Uint8Array(128);
  for (let i = 0; i < ALPHABET.length; i++) lookup[ALPHABET.charCodeAt(i)] = i;
  const clean = text.replace(/=+$/, '');
  const out = new Uint8Array(Math.floor((clean.length * 3) / 4));
  let o = 0;
  for (let i = 0; i < clean.length; i += 4) {
    const a = lookup[clean.charCodeAt(i)];
    const b = lookup[clean.charCodeAt(i + 1)];
    const c = lookup[clean.charCodeAt(i + 2)];
    const d = lookup[clean.charCodeAt(i + 3)];
    out[o++] = (a << 2) | (b >> 4);
    if (o < out.length) out[o++] = ((b & 15) << 4) | (c >> 2);
    if (o < out.length) out[o++] = ((c & 3) << 6) | d;
  }
  return out;
}
