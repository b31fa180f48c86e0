// The extension: two Flow Nodes with their paths (child nodes) and the three Connections that hold their credentials.
import { createExtension } from '@cognigy/extension-tools';
import { apiKeyConnection, endpointConnection, oauthConnection } from './connections';
import { guardedHttpPaths, guardedHttpRequest } from './nodes/guardedHttpRequest';
import { runTestSuite, runTestSuitePaths } from './nodes/runTestSuite';

export default createExtension({
  // Each node with its child nodes (its paths: live / degraded / error; gate passed / failed / running / error).
  nodes: [guardedHttpRequest, ...guardedHttpPaths, runTestSuite, ...runTestSuitePaths],
  connections: [apiKeyConnection, oauthConnection, endpointConnection],
  options: { label: 'cognigy-guard' },
});
