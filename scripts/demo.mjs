#!/usr/bin/env node
// `npm run demo`: the demo of js/bin/demo.js against this checkout's simulator, admin page and
// built pkg/. Usage: node scripts/demo.mjs [--exit] [--port N]
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const { runDemo } = require(join(root, 'js', 'bin', 'demo.js'));

const args = process.argv.slice(2);
const portAt = args.indexOf('--port');
let sim;
try {
  sim = await runDemo({
    lib: require(join(root, 'pkg')),
    simulator: require(join(root, 'sim')),
    www: join(root, 'www'),
    pkg: join(root, 'pkg'),
    port: portAt >= 0 ? Number(args[portAt + 1]) : 8787,
  });
} catch (err) {
  console.error(`demo failed: ${err.name}${err.code ? ` ${err.code}` : ''}: ${err.message}`);
  process.exit(2);
}
if (args.includes('--exit')) {
  await sim.close();
  console.log('\ndemo finished');
} else {
  console.log(`\nStill serving the simulator and the admin page at ${sim.url}/ (Ctrl-C stops).`);
  process.once('SIGINT', () => sim.close().then(() => process.exit(0)));
}
