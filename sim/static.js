'use strict';
// Static files (the admin page and the built package) from configured roots, without path traversal.

const fs = require('node:fs');
const path = require('node:path');
const { sendError } = require('./http');

const CONTENT_TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.ts': 'text/plain; charset=utf-8',
};

/** Content type for a file name (application/octet-stream when unknown). */
function contentType(file) {
  return CONTENT_TYPES[path.extname(file).toLowerCase()] || 'application/octet-stream';
}

async function realDir(dir) {
  try {
    const real = await fs.promises.realpath(dir);
    return (await fs.promises.stat(real)).isDirectory() ? real : null;
  } catch {
    return null;
  }
}

/** The file for a request path below `root`, or `{ refused: true }` when it would leave the root. */
async function resolveFile(root, relative) {
  let decoded;
  try {
    decoded = decodeURIComponent(relative);
  } catch {
    return { refused: true };
  }
  if (decoded.includes('\0') || decoded.split(/[\\/]/).includes('..')) return { refused: true };
  let file = path.resolve(root, `.${path.sep}${decoded}`);
  try {
    file = await fs.promises.realpath(file);
    if (file !== root && !file.startsWith(root + path.sep)) return { refused: true };
    let stat = await fs.promises.stat(file);
    if (stat.isDirectory()) {
      file = path.join(file, 'index.html');
      stat = await fs.promises.stat(file);
    }
    return stat.isFile() ? { file, size: stat.size } : {};
  } catch {
    return {};
  }
}

/** `text` safe inside a double-quoted HTML attribute. */
function escapeAttribute(text) {
  return String(text).replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The origin and normalised form of a page base URL (`https://api-trial.cognigy.ai/`): throws on anything
 * that is not an absolute http(s) URL.
 */
function pageTarget(baseUrl) {
  let url;
  try {
    url = new URL(String(baseUrl));
  } catch {
    throw new Error(`pageBaseUrl must be an absolute http(s) URL, got ${JSON.stringify(String(baseUrl))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new Error('pageBaseUrl must be an http(s) URL');
  if (url.username || url.password) throw new Error('pageBaseUrl must not carry credentials');
  return { origin: url.origin, baseUrl: `${url.origin}${url.pathname.replace(/\/+$/, '')}` };
}

/**
 * An HTML page as served for a configured base URL: the `connect-src` of its Content-Security-Policy
 * `<meta>` gets the base URL's origin, and a `<meta name="cognigy-guard-base-url">` tells the page which
 * base URL to start with. Pages without a CSP meta are returned unchanged.
 */
function pageFor(html, target) {
  const meta = /<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"\s*\/?>/i;
  const match = meta.exec(html);
  if (!match) return html;
  const directives = match[1].split(';').map((d) => d.trim()).filter(Boolean);
  const i = directives.findIndex((d) => /^connect-src(\s|$)/i.test(d));
  if (i < 0) directives.push(`connect-src 'self' ${target.origin}`);
  else if (!directives[i].split(/\s+/).includes(target.origin)) directives[i] = `${directives[i]} ${target.origin}`;
  const policy = `<meta http-equiv="Content-Security-Policy" content="${escapeAttribute(directives.join('; '))}">`;
  const base = `<meta name="cognigy-guard-base-url" content="${escapeAttribute(target.baseUrl)}">`;
  return `${html.slice(0, match.index)}${policy}\n  ${base}${html.slice(match.index + match[0].length)}`;
}

/**
 * Serves GET/HEAD requests from `roots` (`{ '/': dir, '/pkg/': dir }`, longest prefix first; roots whose
 * directory does not exist are skipped). Resolves true when it answered, false when no file matched.
 * `options.pageBaseUrl` (the base URL of a Cognigy API, say `https://api-trial.cognigy.ai`): HTML pages are
 * served with its origin added to their CSP `connect-src` and with it as the page's starting base URL
 * (see `pageFor`), so the admin page can reach that tenant without an edit by hand.
 */
function createStatic(roots = {}, options = {}) {
  const target = options.pageBaseUrl ? pageTarget(options.pageBaseUrl) : null;
  const mounts = Object.entries(roots)
    .filter(([, dir]) => dir)
    .map(([prefix, dir]) => ({ prefix: prefix.endsWith('/') ? prefix : `${prefix}/`, dir: path.resolve(dir) }))
    .sort((a, b) => b.prefix.length - a.prefix.length);

  return async function serveStatic(ctx) {
    if (ctx.method !== 'GET' && ctx.method !== 'HEAD') return false;
    for (const mount of mounts) {
      if (!ctx.pathname.startsWith(mount.prefix)) continue;
      const root = await realDir(mount.dir);
      if (!root) continue;
      const found = await resolveFile(root, ctx.pathname.slice(mount.prefix.length));
      if (found.refused) {
        sendError(ctx.res, ctx.pathname, 403, { code: 'forbidden', message: 'path outside the served directory' });
        return true;
      }
      if (!found.file) continue;
      if (target && path.extname(found.file).toLowerCase() === '.html') {
        const body = Buffer.from(pageFor(await fs.promises.readFile(found.file, 'utf8'), target), 'utf8');
        ctx.res.writeHead(200, {
          'Content-Type': contentType(found.file),
          'Content-Length': body.length,
          'Cache-Control': 'no-cache',
          'X-Content-Type-Options': 'nosniff',
        });
        ctx.res.end(ctx.method === 'HEAD' ? undefined : body);
        return true;
      }
      ctx.res.writeHead(200, {
        'Content-Type': contentType(found.file),
        'Content-Length': found.size,
        'Cache-Control': 'no-cache',
        'X-Content-Type-Options': 'nosniff',
      });
      if (ctx.method === 'HEAD') ctx.res.end();
      else fs.createReadStream(found.file).on('error', () => ctx.res.destroy()).pipe(ctx.res);
      return true;
    }
    return false;
  };
}

module.exports = { createStatic, contentType, pageFor };
