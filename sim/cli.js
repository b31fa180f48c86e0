#!/usr/bin/env node
'use strict';
// Command line: node sim/cli.js [--port 8787] [--host 127.0.0.1] [--www DIR] [--pkg DIR] [--time-scale N]
//   [--token-ttl SECONDS] [--base-url URL]. Prints the URL; Ctrl-C stops. With --base-url (a Cognigy API, say
//   https://api-trial.cognigy.ai) the admin page is served with that origin in its CSP connect-src and starts
//   with it as its base URL.

const fs = require('node:fs');
const path = require('node:path');
const { startSimulator } = require('./index');

const USAGE = `usage: node sim/cli.js [--port 8787] [--host 127.0.0.1] [--www DIR] [--pkg DIR]
                       [--time-scale N] [--token-ttl SECONDS] [--base-url URL]
  --base-url URL   serve the admin page for this Cognigy API (added to the page's CSP connect-src)`;

const FLAGS = {
  '--port': ['port', Number],
  '--host': ['host', String],
  '--www': ['www', String],
  '--pkg': ['pkg', String],
  '--time-scale': ['timeScale', Number],
  '--token-ttl': ['tokenTtlSeconds', Number],
  '--base-url': ['pageBaseUrl', String],
};

/** Parses argv into simulator options; throws an Error with a usage hint on bad flags. */
function parseArgs(argv) {
  const repo = path.resolve(__dirname, '..');
  // In the repository the built package is pkg/; in the installed package this folder's parent is the package.
  const pkgDir = fs.existsSync(path.join(repo, 'pkg')) ? path.join(repo, 'pkg') : repo;
  const parsed = { port: 8787, www: path.join(repo, 'www'), pkg: pkgDir };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    if (arg === '--help' || arg === '-h') throw new Error(USAGE);
    const [flag, inline] = arg.includes('=') ? arg.split(/=(.*)/s) : [arg, undefined];
    const spec = FLAGS[flag];
    if (!spec) throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const raw = inline !== undefined ? inline : argv[++i];
    if (raw === undefined) throw new Error(`${flag} needs a value\n${USAGE}`);
    const value = spec[1](raw);
    if (typeof value === 'number' && Number.isNaN(value)) throw new Error(`${flag} needs a number\n${USAGE}`);
    parsed[spec[0]] = value;
  }
  const { www, pkg, ...options } = parsed;
  return { ...options, staticRoots: { '/': www, '/pkg/': pkg } };
}

async function main() {
  let options;
  try {
    options = parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err.message);
    process.exitCode = 2;
    return;
  }
  const sim = await startSimulator(options);
  console.log(sim.url);
  console.error(`cognigy simulator listening (demo credentials: see sim/README.md); Ctrl-C stops`);
  const stop = () => sim.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err) => {
    console.error(`simulator failed to start: ${err.message}`);
    process.exit(2);
  });
}

module.exports = { parseArgs };
