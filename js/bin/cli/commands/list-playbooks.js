'use strict';
// `cognigy-guard list-playbooks`: the tenant's playbooks (cognigy-v2 `GET /new/v2.0/playbooks`, every
// page, read by the library's `TestSuiteRunner.listPlaybooks`) with the ids `run-playbook` needs.

const { UsageError, defaultApi, reportMissing } = require('../flags');
const { connection } = require('../connection');
const { writeOutput } = require('../io');
const { EXIT } = require('../report');

async function listPlaybooks({ values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('list-playbooks'));
  reportMissing('list-playbooks', conn.missing);
  if (conn.options.api !== 'cognigy-v2') throw new UsageError('list-playbooks needs --api cognigy-v2 (playbooks exist on the real platform only)');
  const runner = new (lib().TestSuiteRunner)(conn.options);
  let playbooks;
  try {
    playbooks = await runner.listPlaybooks();
  } finally {
    runner.free();
  }
  if (values.json) {
    writeOutput(values.json, `${JSON.stringify(playbooks, null, 2)}\n`, 'playbooks', io);
    if (values.json === '-') return EXIT.OK;
  }
  if (playbooks.length === 0) io.out('no playbooks');
  for (const p of playbooks) {
    io.out(`${p.name ?? '(no name)'}${p.stepCount === undefined ? '' : ` (${p.stepCount} steps)`}`);
    io.out(`  --playbook ${p._id} --flow ${p.flowId ?? '?'} --locale ${p.localeId ?? '?'} --entrypoint ${p.entrypoint ?? '?'}`);
  }
  return EXIT.OK;
}

module.exports = { listPlaybooks };
