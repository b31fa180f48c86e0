import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const benchDir = join(dirname(fileURLToPath(import.meta.url)), '..');
export const root = join(benchDir, '..');
export const pkgDir = join(root, 'pkg');
export const mainEntry = join(pkgDir, 'node', 'index.cjs');
export const inlineEntry = join(pkgDir, 'inline.cjs');

const require = createRequire(import.meta.url);

/** The built package (CommonJS main entry), as `require('cognigy-guard')` gives it. */
export function loadGuard() {
  if (!existsSync(mainEntry)) throw new Error('pkg/ is not built: run `npm run build` (npm run bench does it)');
  return require(mainEntry);
}

/** A bench dependency (installed in bench/node_modules). */
export function peer(name) {
  return require(require.resolve(name, { paths: [benchDir] }));
}
