'use strict';
// `cognigy-guard run-simulation --simulation REF --project ID --flow-ref ID --locale-ref ID` (a Cognigy
// Simulator batch, one case per run) and `list-simulations --project ID` (the project's scenarios,
// `GET /testing/simulations`, page by page, with the flags run-simulation needs).

const { UsageError, defaultApi, reportMissing, number } = require('../flags');
const { connection } = require('../connection');
const { writeOutput } = require('../io');
const { EXIT } = require('../report');
const { finish } = require('./run');
const { checkUrl, request, headers } = require('./list-playbooks');

const PAGE = 100;
const MAX_PAGES = 100;
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

async function listSimulations({ values, io }) {
  const conn = connection(values, io.env, defaultApi('list-simulations'));
  reportMissing('list-simulations', [...(values.project ? [] : ['--project ID']), ...conn.missing]);
  if (conn.options.api !== 'cognigy-v2') throw new UsageError('list-simulations needs --api cognigy-v2 (the Simulator exists on the real platform only)');
  const base = checkUrl(conn.options.baseUrl, conn.options.allowInsecureHttp);
  const init = { headers: await headers(base, conn.options.auth) };
  const project = encodeURIComponent(values.project);
  const scenarios = [];
  let cursor = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const next = cursor === null ? '' : `&next=${encodeURIComponent(cursor)}`;
    const answer = await request(`${base}/testing/simulations?projectId=${project}&limit=${PAGE}${next}`, init);
    const items = Array.isArray(answer.data) ? answer.data : [];
    scenarios.push(...items);
    const following = answer.pagination && answer.pagination.next;
    if (items.length === 0 || !following || following === cursor) break;
    cursor = following;
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
