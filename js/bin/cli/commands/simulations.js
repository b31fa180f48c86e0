'use strict';
// `cognigy-guard run-simulation --simulation REF --project ID --flow-ref ID --locale-ref ID` (a Cognigy
// Simulator batch, one case per run) and `list-simulations --project ID` (the project's scenarios,
// `GET /testing/simulations`, every page, read by the library's `TestSuiteRunner.listSimulations`,
// with the flags run-simulation needs).

const { UsageError, defaultApi, reportMissing, number } = require('../flags');
const { connection } = require('../connection');
const { writeOutput } = require('../io');
const { EXIT } = require('../report');
const { finish } = require('./run');
const RUN_FLAGS = ['simulation', 'project', 'flow-ref', 'locale-ref'];

async function runSimulation({ values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('run-simulation'));
  reportMissing('run-simulation', [...RUN_FLAGS.filter((f) => !values[f]).map((f) => `--${f} ${f === 'simulation' ? 'REF' : 'ID'}`), ...conn.missing]);
  const runs = number(values, 'runs', undefined);
  if (runs !== undefined && !Number.isInteger(runs)) throw new UsageError(`--runs needs an integer, got ${JSON.stringify(values.runs)}`);
  const spec = {
    simulationReferenceId: values.simulation,
    projectId: values.project,
    flowReferenceId: values['flow-ref'],
    localeReferenceId: values['locale-ref'],
    entrypoint: values.entrypoint,
    numberOfRuns: runs,
    runName: values['run-name'],
  };
  return finish(lib, conn, values, io, (r, options) => r.runSimulation(spec, options));
}

async function listSimulations({ values, lib, io }) {
  const conn = connection(values, io.env, defaultApi('list-simulations'));
  reportMissing('list-simulations', [...(values.project ? [] : ['--project ID']), ...conn.missing]);
  if (conn.options.api !== 'cognigy-v2') throw new UsageError('list-simulations needs --api cognigy-v2 (the Simulator exists on the real platform only)');
  const runner = new (lib().TestSuiteRunner)(conn.options);
  let scenarios;
  try {
    scenarios = await runner.listSimulations(values.project);
  } finally {
    runner.free();
  }
  if (values.json) {
    writeOutput(values.json, `${JSON.stringify(scenarios, null, 2)}\n`, 'scenarios', io);
    if (values.json === '-') return EXIT.OK;
  }
  if (scenarios.length === 0) io.out('no simulations');
  for (const s of scenarios) {
    io.out(`${s.name ?? '(no name)'}${s.mission ? `: ${s.mission}` : ''}`);
    io.out(`  --simulation ${s.referenceId} --project ${values.project} --flow-ref ${s.flowReferenceId ?? '?'} --locale-ref ID`);
  }
  return EXIT.OK;
}

module.exports = { runSimulation, listSimulations };
