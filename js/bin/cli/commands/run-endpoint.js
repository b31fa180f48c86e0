'use strict';
// `cognigy-guard run-endpoint FILE|- --endpoint-url URL [--nlu-project ID --flow-ref ID --locale-ref ID]`:
// a seed test suite sent case by case to a bot's REST Endpoint, with NLU scores for expected intents.
// The endpoint URL (its token is the secret) comes from the flag or COGNIGY_ENDPOINT_URL and is never
// printed; the library keeps it out of every error and report.

const { UsageError, defaultApi, reportMissing, number } = require('../flags');
const { connection } = require('../connection');
const { readInput, parseJson } = require('../io');
const { finish } = require('./run');

const NLU_FLAGS = ['nlu-project', 'flow-ref', 'locale-ref'];

/** An integer flag, or undefined when absent. */
function integer(values, name) {
  const n = number(values, name, undefined);
  if (n !== undefined && !Number.isInteger(n)) throw new UsageError(`--${name} needs an integer, got ${JSON.stringify(values[name])}`);
  return n;
}

async function runEndpoint({ positionals: [file], values, lib, io }) {
  const endpointUrl = values['endpoint-url'] || io.env.COGNIGY_ENDPOINT_URL;
  const nluGiven = NLU_FLAGS.filter((f) => values[f]);
  const conn = connection(values, io.env, defaultApi('run-endpoint'));
  const missing = [...(file ? [] : ['FILE (a path, or - for stdin)']), ...(endpointUrl ? [] : ['--endpoint-url URL (or COGNIGY_ENDPOINT_URL)'])];
  if (nluGiven.length > 0) {
    missing.push(...NLU_FLAGS.filter((f) => !values[f]).map((f) => `--${f} ID (NLU scores need all of --nlu-project, --flow-ref, --locale-ref)`));
    missing.push(...conn.missing);
  }
  reportMissing('run-endpoint', missing);
  if (nluGiven.length === 0 && !conn.options.baseUrl) {
    // Without NLU scores nothing goes to the platform API: the messages carry no credentials (the
    // URL token authorizes them), so the runner needs no auth and its base URL is the endpoint's origin.
    try {
      conn.options.baseUrl = new URL(endpointUrl).origin;
    } catch {
      throw new UsageError('--endpoint-url (or COGNIGY_ENDPOINT_URL) is not a URL');
    }
  }
  const payload = parseJson(readInput(file, io), file);
  const extra = {
    endpointUrl,
    userId: values['user-id'],
    concurrency: integer(values, 'concurrency'),
    entitiesPath: values['entities-path'],
    retryFailed: integer(values, 'retry-failed'),
  };
  if (nluGiven.length > 0) {
    extra.nlu = {
      projectId: values['nlu-project'],
      flowReferenceId: values['flow-ref'],
      localeReferenceId: values['locale-ref'],
      minScore: number(values, 'min-score', undefined),
    };
  }
  return finish(lib, conn, values, io, (r, options) => r.runEndpoint(payload, options), extra);
}

module.exports = { runEndpoint };
