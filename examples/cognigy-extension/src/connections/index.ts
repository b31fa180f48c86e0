import type { IConnectionSchema } from '@cognigy/extension-tools';

/**
 * Cognigy stores Connections encrypted and hands their fields to the node as `config.<field key>`.
 * Secrets therefore never sit in a node's plain configuration, and this extension never writes them
 * to the context, the input or a log line.
 */
export const apiKeyConnection: IConnectionSchema = {
  type: 'cognigy-guard-api-key',
  label: 'API key (sent as X-API-Key to the base URL only)',
  fields: [{ fieldName: 'apiKey' }],
};

export const oauthConnection: IConnectionSchema = {
  type: 'cognigy-guard-oauth',
  label: 'OAuth2 client credentials',
  fields: [{ fieldName: 'clientId' }, { fieldName: 'clientSecret' }, { fieldName: 'tokenUrl' }, { fieldName: 'scopes' }],
};

export const endpointConnection: IConnectionSchema = {
  type: 'cognigy-guard-endpoint',
  label: "A bot's REST Endpoint URL (its token authorizes every message)",
  fields: [{ fieldName: 'endpointUrl' }],
};

export interface EndpointConnection {
  endpointUrl?: string;
}

export interface ApiKeyConnection {
  apiKey?: string;
}

export interface OAuthConnection {
  clientId?: string;
  clientSecret?: string;
  /** Optional; default `{baseUrl}/auth/oauth2/token` (cognigy-v2) or the seed's token path. */
  tokenUrl?: string;
  /** Optional, space- or comma-separated. */
  scopes?: string;
}
