#!/usr/bin/env node
'use strict';
// The `cognigy-guard` command line (the package's `bin`). Exit codes, as Cognigy's own CLI:
// 0 success or gate passed, 1 gate failed or invalid input, 2 timeout, error or cancelled.
// Each command lives in cli/commands/; flags and help texts in cli/flags.js.

const { readFileSync } = require('node:fs');
const path = require('node:path');
const { UsageError, parse } = require('./cli/flags');
const { EXIT } = require('./cli/report');
const { printIssues, validate } = require('./cli/commands/validate');
const { configure } = require('./cli/commands/configure');
const { runSuite, runPlaybook } = require('./cli/commands/run');
const { runEndpoint } = require('./cli/commands/run-endpoint');
const { runSimulation, listSimulations } = require('./cli/commands/simulations');
const { listPlaybooks } = require('./cli/commands/list-playbooks');
const { sim, demo } = require('./cli/commands/serve');

const pkgRoot = path.join(__dirname, '..');

const COMMANDS = {
  validate,
  configure,
  'run-suite': runSuite,
  'run-playbook': runPlaybook,
  'run-endpoint': runEndpoint,
  'run-simulation': runSimulation,
  'list-simulations': listSimulations,
  'list-playbooks': listPlaybooks,
  sim,
  demo,
};

const lib = () => require(path.join(pkgRoot, 'node', 'index.cjs'));

/** Exit code for an error: invalid input → 1, everything else (timeouts, HTTP, network, Ctrl-C) → 2. */
function exitCodeFor(err) {
  if (err instanceof UsageError) return EXIT.FAILED;
  if (err && err.name === 'GuardError' && (err.code === 'VALIDATION' || err.code === 'CONFIG')) return EXIT.FAILED;
  return EXIT.ERROR;
}

/**
 * Runs the CLI with `argv` (without node and script); resolves to the exit code. `io`: `out` and
 * `err` (a line each), `stdout`, `stderr` (streams), `isTTY`, `env`, `readStdin()`, and `signal`
 * (aborted on Ctrl-C).
 */
async function main(argv, io) {
  let parsed;
  try {
    parsed = parse(argv);
  } catch (err) {
    io.err(err.message);
    return EXIT.FAILED;
  }
  if (parsed.version) {
    io.out(JSON.parse(readFileSync(path.join(pkgRoot, 'package.json'), 'utf8')).version);
    return EXIT.OK;
  }
  if (parsed.help) {
    io.out(parsed.help);
    return EXIT.OK;
  }
  const { command } = parsed;
  try {
    return await COMMANDS[command]({ ...parsed, lib, io });
  } catch (err) {
    if (err instanceof UsageError) {
      io.err(`cognigy-guard ${command}: ${err.message}`);
      return EXIT.FAILED;
    }
    const code = err && err.code ? ` ${err.code}` : '';
    const what = err && err.code === 'CANCELLED' && io.signal.aborted ? 'cancelled (Ctrl-C)' : `${err && err.name === 'GuardError' ? `GuardError${code}` : 'error'}: ${err && err.message}`;
    io.err(`cognigy-guard ${command}: ${what}`);
    if (err && Array.isArray(err.errors)) printIssues('error', err.errors, '', io.err);
    return exitCodeFor(err);
  }
}

if (require.main === module) {
  const interrupt = new AbortController();
  // The first Ctrl-C aborts the run (the platform task is cancelled) or stops the simulator; a
  // second one, or a command that has not ended 10 s later (the cancel request takes 5 s at most),
  // exits at once.
  const stop = () => {
    if (interrupt.signal.aborted) process.exit(EXIT.ERROR);
    interrupt.abort();
    setTimeout(() => process.exit(EXIT.ERROR), 10_000).unref();
  };
  process.on('SIGINT', stop);
  process.once('SIGTERM', stop);
  const io = {
    out: (line) => process.stdout.write(`${line}\n`),
    err: (line) => process.stderr.write(`${line}\n`),
    stdout: process.stdout,
    stderr: process.stderr,
    isTTY: Boolean(process.stderr.isTTY),
    env: process.env,
    readStdin: () => readFileSync(0, 'utf8'),
    signal: interrupt.signal,
  };
  main(process.argv.slice(2), io).then((code) => {
    process.exitCode = code;
    // A run ended by Ctrl-C may leave timers of the aborted run behind: do not wait for them.
    if (interrupt.signal.aborted) process.exit(code);
  });
}

module.exports = { main };
