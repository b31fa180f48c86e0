'use strict';
// The flags of every command, their help texts, and parsing: each command accepts only its own
// flags, and `--help` after a command prints that command's usage.

const { parseArgs } = require('node:util');

/** A user mistake on the command line (bad or missing flags, unreadable input): exit code 1. */
class UsageError extends Error {}

const CONNECTION = {
  'base-url': { type: 'string', arg: 'URL', help: 'API base URL (or COGNIGY_BASE_URL)' },
  api: { type: 'string', arg: 'NAME', help: 'cognigy-v2 or seed-v1' },
  'api-key': { type: 'string', arg: 'KEY', help: 'API key (or COGNIGY_API_KEY)' },
  'client-id': { type: 'string', arg: 'ID', help: 'OAuth client id (or COGNIGY_CLIENT_ID)' },
  'client-secret': { type: 'string', arg: 'SECRET', help: 'OAuth client secret (or COGNIGY_CLIENT_SECRET)' },
  'allow-insecure-http': { type: 'boolean', help: 'allow http:// to a host that is not loopback' },
};

const RUN = {
  'pass-threshold': { type: 'string', arg: 'X', help: 'pass rate the gate requires, 0..1 (default 0.95)' },
  webhook: { type: 'string', arg: 'URL', help: 'CI webhook to notify' },
  json: { type: 'string', arg: 'FILE', help: 'write the report as JSON (- for stdout; folders are created)' },
  junit: { type: 'string', arg: 'FILE', help: 'write the report as JUnit XML (- for stdout; folders are created)' },
  'poll-interval': { type: 'string', arg: 'MS', help: 'first poll interval (default 2000; grows x1.5 up to 15000)' },
  deadline: { type: 'string', arg: 'MS', help: 'deadline of the whole run' },
  baseline: { type: 'string', arg: 'FILE', help: 'an earlier report (--json output): list regressions and fixes' },
  'fail-on-regression': { type: 'boolean', help: 'with --baseline: any regression fails the gate' },
};

const ENDPOINT = {
  'endpoint-url': { type: 'string', arg: 'URL', help: 'REST Endpoint URL (or COGNIGY_ENDPOINT_URL; a secret, never printed)' },
  'nlu-project': { type: 'string', arg: 'ID', help: 'project id for NLU scores (needed when cases expect intents)' },
  'flow-ref': { type: 'string', arg: 'ID', help: 'flow reference id for NLU scores' },
  'locale-ref': { type: 'string', arg: 'ID', help: 'locale reference id for NLU scores' },
  'min-score': { type: 'string', arg: 'X', help: 'top NLU score below which the prediction is none, 0..1 (default 0)' },
  'user-id': { type: 'string', arg: 'ID', help: 'userId of the messages (default cognigy-guard)' },
  concurrency: { type: 'string', arg: 'N', help: 'cases in flight at once, 1..32 (default 4)' },
  'entities-path': { type: 'string', arg: 'PATH', help: 'where entity names are in the answer data (default slots)' },
  'retry-failed': { type: 'string', arg: 'N', help: 'rerun failed cases up to N times, 0..5; passing reruns are flaky (default 0)' },
};

const PLAYBOOK = {
  playbook: { type: 'string', arg: 'ID', help: 'playbook id' },
  flow: { type: 'string', arg: 'ID', help: 'flow id' },
  locale: { type: 'string', arg: 'ID', help: 'locale id' },
  entrypoint: { type: 'string', arg: 'ID', help: 'entrypoint (endpoint reference)' },
};

const SIMULATION = {
  simulation: { type: 'string', arg: 'REF', help: 'the scenario\'s referenceId (list-simulations shows them)' },
  project: { type: 'string', arg: 'ID', help: 'project id' },
  'flow-ref': { type: 'string', arg: 'ID', help: 'flow reference id the runs talk to' },
  'locale-ref': { type: 'string', arg: 'ID', help: 'locale reference id' },
  entrypoint: { type: 'string', arg: 'ID', help: 'endpoint reference (optional)' },
  runs: { type: 'string', arg: 'N', help: 'runs of the batch, 1..10 (default 1)' },
  'run-name': { type: 'string', arg: 'NAME', help: 'name of the batch' },
};

const COMMON = {
  help: { type: 'boolean', short: 'h', help: 'this text' },
};

const COMMANDS = {
  validate: {
    usage: 'validate FILE|-',
    summary: 'validate timeout config(s) or a test suite (JSON: one object or an array); errors by path',
    flags: { kind: { type: 'string', arg: 'timeout|suite', help: 'what FILE holds (default: detected per item)' } },
  },
  configure: {
    usage: 'configure FILE|-',
    summary: 'validate and apply timeout config(s): one object or an array',
    defaultApi: 'cognigy-v2',
    flags: { ...CONNECTION },
  },
  'run-suite': {
    usage: 'run-suite FILE|-',
    summary: 'run a test suite (seed-v1), wait for it, report and gate',
    defaultApi: 'seed-v1',
    flags: { ...CONNECTION, ...RUN },
  },
  'run-playbook': {
    usage: 'run-playbook --playbook ID --flow ID --locale ID --entrypoint ID',
    summary: 'run a Cognigy Playbook (cognigy-v2), wait for it, report and gate',
    defaultApi: 'cognigy-v2',
    flags: { ...CONNECTION, ...PLAYBOOK, ...RUN },
  },
  'run-endpoint': {
    usage: 'run-endpoint FILE|- --endpoint-url URL',
    summary: 'run a test suite against a bot\'s REST Endpoint (NLU scores for intents), report and gate',
    defaultApi: 'cognigy-v2',
    flags: { ...CONNECTION, ...ENDPOINT, ...RUN },
  },
  'run-simulation': {
    usage: 'run-simulation --simulation REF --project ID --flow-ref ID --locale-ref ID',
    summary: 'run a Cognigy Simulator scenario (cognigy-v2): one case per run, report and gate',
    defaultApi: 'cognigy-v2',
    flags: { ...CONNECTION, ...SIMULATION, ...RUN },
  },
  'list-simulations': {
    usage: 'list-simulations --project ID',
    summary: 'list the project\'s Simulator scenarios (cognigy-v2) with the flags run-simulation needs',
    defaultApi: 'cognigy-v2',
    flags: {
      ...CONNECTION,
      project: SIMULATION.project,
      json: { type: 'string', arg: 'FILE', help: 'write the list as JSON (- for stdout)' },
    },
  },
  'list-playbooks': {
    usage: 'list-playbooks',
    summary: 'list the playbooks of the tenant (cognigy-v2) with the ids run-playbook needs',
    defaultApi: 'cognigy-v2',
    flags: { ...CONNECTION, json: { type: 'string', arg: 'FILE', help: 'write the list as JSON (- for stdout)' } },
  },
  sim: {
    usage: 'sim',
    summary: 'start the Cognigy simulator and the admin page',
    flags: {
      port: { type: 'string', arg: 'N', help: 'port (default 8787; 0: any free one)' },
      host: { type: 'string', arg: 'HOST', help: 'interface (default 127.0.0.1)' },
      'time-scale': { type: 'string', arg: 'N', help: 'simulated time runs N times faster (default 1)' },
      redis: { type: 'string', arg: 'URL', help: 'also show 4 worker processes sharing one breaker through this Redis (needs the redis package)' },
      'base-url': { type: 'string', arg: 'URL', help: 'a Cognigy API the admin page may reach: in its CSP connect-src, its starting base URL (or COGNIGY_BASE_URL)' },
    },
  },
  demo: {
    usage: 'demo',
    summary: 'run the demo against a fresh simulator',
    flags: {
      port: { type: 'string', arg: 'N', help: 'port (default 8787, any free one if taken)' },
      exit: { type: 'boolean', help: 'stop after the demo instead of serving' },
      redis: { type: 'string', arg: 'URL', help: 'also show 4 worker processes sharing one breaker through this Redis (needs the redis package)' },
    },
  },
};

const EXIT_CODES = 'exit codes: 0 success or gate passed, 1 gate failed or invalid input, 2 timeout, error or cancelled';

function flagLines(flags, defaultApi) {
  return Object.entries(flags).map(([name, spec]) => {
    const left = `  ${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.arg ? ` ${spec.arg}` : ''}`;
    return `${left.padEnd(30)} ${spec.help}${name === 'api' ? ` (default ${defaultApi})` : ''}`;
  });
}

/** The usage of one command, or of the whole CLI without `command`. */
function usage(command) {
  if (command) {
    const c = COMMANDS[command];
    return [`usage: cognigy-guard ${c.usage} [options]`, '', c.summary, '', 'options:', ...flagLines({ ...c.flags, ...COMMON }, c.defaultApi), '', EXIT_CODES].join('\n');
  }
  return [
    'usage: cognigy-guard <command> [options]        (cognigy-guard <command> --help: its options)',
    '',
    'commands:',
    ...Object.values(COMMANDS).flatMap((c) => [`  ${c.usage}`, `      ${c.summary}`]),
    '',
    'connection: --base-url, --api, --api-key or --client-id/--client-secret, or the environment',
    '(COGNIGY_BASE_URL, COGNIGY_API_KEY, COGNIGY_CLIENT_ID, COGNIGY_CLIENT_SECRET); credentials are never printed.',
    '',
    '  -h, --help      this text',
    '  -v, --version   the package version',
    '',
    EXIT_CODES,
  ].join('\n');
}

/**
 * Parses `argv` (without node and script): `{ command, positionals, values }`, or `{ help }` /
 * `{ version }`. Throws a UsageError for an unknown command or flag.
 */
function parse(argv) {
  const command = argv[0];
  if (command === undefined || command.startsWith('-')) {
    if (argv.includes('-v') || argv.includes('--version')) return { version: true };
    if (argv.includes('-h') || argv.includes('--help')) return { help: usage() };
    throw new UsageError(`a command is required\n\n${usage()}`);
  }
  const spec = COMMANDS[command];
  if (!spec) throw new UsageError(`unknown command ${JSON.stringify(command)}\n\n${usage()}`);
  const options = Object.fromEntries(Object.entries({ ...spec.flags, ...COMMON })
    .map(([name, { type, short }]) => [name, short ? { type, short } : { type }]));
  let parsed;
  try {
    parsed = parseArgs({ args: argv.slice(1), options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${err.message}\n\n${usage(command)}`);
  }
  if (parsed.values.help) return { help: usage(command) };
  return { command, positionals: parsed.positionals, values: parsed.values };
}

/** The API profile `command` uses unless `--api` says otherwise. */
function defaultApi(command) {
  return COMMANDS[command].defaultApi;
}

/** Throws one UsageError naming every problem in `problems`, when there is any. */
function reportMissing(command, problems) {
  if (problems.length) throw new UsageError(`${problems.map((p) => `missing ${p}`).join('\n')}\n\n${usage(command)}`);
}

/** The number in flag `name`, or `fallback` when it is absent. */
function number(values, name, fallback) {
  if (values[name] === undefined) return fallback;
  const n = Number(values[name]);
  if (values[name].trim() === '' || !Number.isFinite(n)) throw new UsageError(`--${name} needs a number, got ${JSON.stringify(values[name])}`);
  return n;
}

module.exports = { UsageError, parse, usage, reportMissing, number, defaultApi };
