// Shared helpers of the JS test layer.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
/** The built package (scripts/build.mjs). */
export const pkgDir = join(root, 'pkg');
