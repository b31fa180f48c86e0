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

/**
 * Serves GET/HEAD requests from `roots` (`{ '/': dir, '/pkg/': dir }`, longest prefix first; roots whose
 * directory does not exist are skipped). Resolves true when it answered, false when no file matched.
 */
function createStatic(roots = {}) {
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

module.exports = { createStatic, contentType };
