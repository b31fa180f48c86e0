'use strict';
// Paged lists: `limit`, `skip` and the `next` / `previous` cursors both APIs (/new/v2.0 and /testing) take.

function encodeCursor(skip) {
  return Buffer.from(JSON.stringify({ skip })).toString('base64url');
}

function decodeCursor(cursor) {
  try {
    const { skip } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    return Number.isInteger(skip) && skip >= 0 ? skip : null;
  } catch {
    return null;
  }
}

function integerParam(query, name, fallback) {
  const raw = query.get(name);
  if (raw === null || raw === '') return fallback;
  return /^\d+$/.test(raw) ? Number(raw) : NaN;
}

/**
 * Reads the page a query asks for: `limit` (1..maxLimit, default defaultLimit) and `skip`, or the cursor in
 * `next` or `previous` (one this API issued; it overrides skip). Returns `{ ok: true, window }` with
 * `window.page(items)` → `{ items, total, next, previous }` (cursors or null), or `{ ok: false, details }`
 * (`[{ field, message }]`).
 */
function readWindow(query, { defaultLimit, maxLimit }) {
  const limit = integerParam(query, 'limit', defaultLimit);
  let skip = integerParam(query, 'skip', 0);
  const details = [];
  if (!(limit >= 1 && limit <= maxLimit)) details.push({ field: 'limit', message: `must be an integer in 1..${maxLimit}` });
  if (!(skip >= 0)) details.push({ field: 'skip', message: 'must be an integer >= 0' });
  for (const field of ['next', 'previous']) {
    if (!query.has(field)) continue;
    skip = decodeCursor(query.get(field));
    if (skip === null) details.push({ field, message: 'is not a cursor this API issued' });
  }
  if (details.length) return { ok: false, details };
  const page = (items) => ({
    items: items.slice(skip, skip + limit),
    total: items.length,
    limit,
    skip,
    next: skip + limit < items.length ? encodeCursor(skip + limit) : null,
    previous: skip > 0 ? encodeCursor(Math.max(0, skip - limit)) : null,
  });
  return { ok: true, window: { page } };
}

module.exports = { readWindow };
