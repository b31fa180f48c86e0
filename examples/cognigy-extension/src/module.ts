// The extension: two Flow Nodes and the two Connections that hold their credentials.
import { createExtension } from '@cognigy/extension-tools';
import { apiKeyConnection, oauthConnection } from './connections';
import { guardedHttpRequest } from './nodes/guardedHttpRequest';
import { runTestSuite } from './nodes/runTestSuite';

export default createExtension({
  nodes: [guardedHttpRequest, runTestSuite],
  connections: [apiKeyConnection, oauthConnection],
  options: { label: 'cognigy-guard' },
});
