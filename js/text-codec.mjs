// UTF-8 TextEncoder/TextDecoder for sandboxes that lack them (a bare `node:vm` context, some
// Cognigy Extension runtimes). Installed on globalThis only when missing; the wasm glue needs them.
const g = globalThis;

if (typeof g.TextEncoder === 'undefined') {
  g.TextEncoder = class TextEncoder {
    get encoding() { return 'utf-8'; }
    encode(input = '') {
      const out = [];
      for (const ch of String(input)) {
        let c = ch.codePointAt(0);
        if (c >= 0xd800 && c <= 0xdfff) c = 0xfffd; // lone surrogate
        if (c < 0x80) out.push(c);
        else if (c < 0x800) out.push(0xc0 | (c >> 6), 0x80 | (c & 63));
        else if (c < 0x10000) out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
        else out.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      }
      return new Uint8Array(out);
    }
    encodeInto(input, dest) {
      const bytes = this.encode(input);
      // Only whole characters are written: find the last boundary that fits.
      let n = Math.min(bytes.length, dest.length);
      while (n < bytes.length && n > 0 && (bytes[n] & 0xc0) === 0x80) n--;
      dest.set(bytes.subarray(0, n));
      let read = 0;
      let written = 0;
      for (const ch of String(input)) {
        const len = this.encode(ch).length;
        if (written + len > n) break;
        written += len;
        read += ch.length;
      }
      return { read, written };
    }
  };
}

if (typeof g.TextDecoder === 'undefined') {
  g.TextDecoder = class TextDecoder {
    constructor(label = 'utf-8', options = {}) {
      this.fatal = Boolean(options.fatal);
    }
    get encoding() { return 'utf-8'; }
    decode(input) {
      if (input === undefined) return '';
      const b = input instanceof Uint8Array ? input : new Uint8Array(input.buffer || input);
      let s = '';
      for (let i = 0; i < b.length;) {
        const c = b[i];
        let cp;
        let n;
        if (c < 0x80) { cp = c; n = 1; }
        else if (c >= 0xc2 && c < 0xe0) { cp = c & 31; n = 2; }
        else if (c >= 0xe0 && c < 0xf0) { cp = c & 15; n = 3; }
        else if (c >= 0xf0 && c < 0xf5) { cp = c & 7; n = 4; }
        else { cp = -1; n = 1; }
        for (let k = 1; k < n && cp >= 0; k++) {
          const d = b[i + k];
          if (d === undefined || (d & 0xc0) !== 0x80) { cp = -1; n = k; break; }
          cp = (cp << 6) | (d & 63);
        }
        if (cp < 0 || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
          if (this.fatal) throw new TypeError('The encoded data was not valid for encoding utf-8');
          cp = 0xfffd;
        }
        s += String.fromCodePoint(cp);
        i += n;
      }
      return s;
    }
  };
}
