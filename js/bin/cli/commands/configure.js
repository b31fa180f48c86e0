'use strict';
// `cognigy-guard configure FILE|-`: validates every timeout config first (errors by item index),
// then applies them. On seed-v1 each is PUT to the platform; cognigy-v2 has no remote timeout
// policy, so the command says that nothing was sent.

const { defaultApi, reportMissing } = require('../flags');
const { connection } = require('../connection');
const { readInput, parseJson } = require('../io');
const { EXIT } = require('../report');
const { printIssues } = require('./validate');

async function configure({ positionals: [file], values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('configure'));
  reportMissing('configure', [...(file ? [] : ['FILE (a path, or - for stdin)']), ...conn.missing]);
  const parsed = parseJson(readInput(file, io), file);
  const configs = Array.isArray(parsed) ? parsed : [parsed];
  const g = lib();
  let valid = true;
  configs.forEach((config, i) => {
    const result = g.validateTimeoutConfig(config);
    if (result.ok) return;
    valid = false;
    const prefix = Array.isArray(parsed) ? `[${i}]` : '';
    io.err(`${file === '-' ? 'stdin' : file}${prefix ? ` ${prefix}` : ''}: invalid timeout config (nothing applied)`);
    printIssues('error', result.errors, prefix, io.err);
  });
  if (!valid) return EXIT.FAILED;
  const manager = new g.TimeoutManager(conn.options);
  try {
    for (const config of configs) {
      const result = await manager.configureTimeout(config);
      printIssues('warning', result.warnings, '', io.err);
      if (conn.options.api === 'seed-v1') io.out(`configured ${result.endpointId} on ${conn.options.baseUrl}`);
      else io.out(`${result.endpointId}: valid; registered locally only (cognigy-v2 has no remote timeout policy: nothing was sent)`);
    }
  } finally {
    manager.close();
  }
  return EXIT.OK;
}

module.exports = { configure };
