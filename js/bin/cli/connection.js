'use strict';
// Connection options (base URL, profile, credentials) from flags and the environment. Every
// missing piece is named at once; credentials are never printed.

const API_NAMES = ['cognigy-v2', 'seed-v1'];

/**
 * `{ options, missing }`: the options for TimeoutManager / TestSuiteRunner, and what is missing
 * (a list of flag descriptions, empty when complete).
 */
function connection(values, env, defaultApi) {
  const missing = [];
  const baseUrl = values['base-url'] || env.COGNIGY_BASE_URL;
  if (!baseUrl) missing.push('--base-url URL (or COGNIGY_BASE_URL)');
  const api = values.api || defaultApi;
  if (!API_NAMES.includes(api)) missing.push(`a valid --api: ${API_NAMES.join(' or ')}, got ${JSON.stringify(api)}`);
  const apiKey = values['api-key'] || env.COGNIGY_API_KEY;
  const clientId = values['client-id'] || env.COGNIGY_CLIENT_ID;
  const clientSecret = values['client-secret'] || env.COGNIGY_CLIENT_SECRET;
  let auth;
  if (apiKey && api !== 'seed-v1') auth = { apiKey };
  else if (clientId && clientSecret) auth = { clientId, clientSecret };
  else if (clientId || clientSecret) missing.push(clientId ? '--client-secret (or COGNIGY_CLIENT_SECRET)' : '--client-id (or COGNIGY_CLIENT_ID)');
  else if (api === 'seed-v1') missing.push('--client-id and --client-secret (seed-v1 authenticates with OAuth)');
  else missing.push('--api-key KEY, or --client-id and --client-secret (or COGNIGY_API_KEY, ...)');
  return { options: { api, baseUrl, auth, allowInsecureHttp: Boolean(values['allow-insecure-http']) }, missing };
}

module.exports = { connection };
