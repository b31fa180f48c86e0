// The limits of a Cognigy Extension node execution (see /work/shared/COGNIGY.md, "Extensions"):
// 20 s per execution, at most 10 `api.*` calls, each object passed to `api.*` at most 62 KB.
// Everything here is plain JS: no Node built-ins, so the bundle runs in Cognigy's sandbox.
import type { ApiKeyConnection, OAuthConnection } from '../connections';

/** Wall-clock budget of one node execution. */
export const EXECUTION_BUDGET_MS = 20_000;
/** Kept free at the end of the budget for writing the results (api calls, snapshot). */
export const SAFETY_MARGIN_MS = 1_500;
/** Most `api.*` calls one execution may make. */
export const MAX_API_CALLS = 10;
/** Largest object (JSON, UTF-8 bytes) passed to one `api.*` call. */
export const MAX_API_OBJECT_BYTES = 62 * 1000;

/** UTF-8 byte length of a string, without TextEncoder or Buffer. */
export function utf8Length(text: string): number {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) bytes += 1;
    else if (c < 0x800) bytes += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
}

/** JSON byte size of a value (0 for undefined). */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Length(text);
}

/** Replaces every occurrence of the given secrets in `text` by `[REDACTED]`. */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = String(text);
  for (const secret of secrets) {
    if (typeof secret === 'string' && secret.length >= 4) out = out.split(secret).join('[REDACTED]');
  }
  return out;
}

/** Cuts a string to `max` characters. */
export function truncate(text: unknown, max: number): string {
  const s = String(text ?? '');
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** The subset of Cognigy's node API this extension uses. */
export interface NodeApi {
  addToContext?: (key: string, value: unknown, mode: string) => void;
  log?: (level: string, text: string) => void;
  setNextNode?: (nodeId: string) => void;
}

/**
 * Wraps Cognigy's `api` so one execution never breaks the platform's limits: calls beyond
 * MAX_API_CALLS are dropped, an object over MAX_API_OBJECT_BYTES is replaced by a small marker,
 * and log lines are redacted.
 */
export class LimitedApi {
  calls = 0;
  constructor(private readonly api: NodeApi, private readonly secrets: readonly (string | undefined)[]) {}

  /** One call is always kept for `setNextNode`, so the node can take its result's path whatever it wrote. */
  private admit(reserve = 1): boolean {
    if (this.calls >= MAX_API_CALLS - reserve) return false;
    this.calls++;
    return true;
  }

  /** Continues the Flow at a child node (the node's path for its result). */
  setNextNode(nodeId: string): void {
    if (!this.api.setNextNode || !this.admit(0)) return;
    this.api.setNextNode(nodeId);
  }

  addToContext(key: string, value: unknown): void {
    if (!this.api.addToContext || !this.admit()) return;
    const bytes = jsonBytes(value);
    const safe = bytes > MAX_API_OBJECT_BYTES ? { error: { code: 'TOO_LARGE', message: `value of ${bytes} bytes not stored` } } : value;
    this.api.addToContext(key, safe, 'simple');
  }

  log(level: 'debug' | 'info' | 'warn' | 'error', text: string): void {
    if (!this.api.log || !this.admit()) return;
    this.api.log(level, truncate(redact(text, this.secrets), 2000));
  }
}

/** The credentials of the chosen Connection, in the shape cognigy-guard takes. */
export type GuardAuthInput =
  | { apiKey: string }
  | { clientId: string; clientSecret: string; scopes?: string[]; tokenUrl?: string };

export function authFrom(
  authType: string | undefined,
  apiKey: ApiKeyConnection | undefined,
  oauth: OAuthConnection | undefined,
): { auth?: GuardAuthInput; secrets: string[]; problem?: string } {
  if (authType === 'apiKey') {
    if (!apiKey?.apiKey) return { secrets: [], problem: 'the API key connection has no apiKey' };
    return { auth: { apiKey: apiKey.apiKey }, secrets: [apiKey.apiKey] };
  }
  if (authType === 'oauth') {
    if (!oauth?.clientId || !oauth?.clientSecret) return { secrets: [], problem: 'the OAuth connection needs clientId and clientSecret' };
    const scopes = (oauth.scopes ?? '').split(/[\s,]+/).filter(Boolean);
    return {
      auth: {
        clientId: oauth.clientId,
        clientSecret: oauth.clientSecret,
        ...(scopes.length ? { scopes } : {}),
        ...(oauth.tokenUrl ? { tokenUrl: oauth.tokenUrl } : {}),
      },
      secrets: [oauth.clientSecret],
    };
  }
  return { secrets: [] };
}

/** `{ code, message }` of anything thrown, redacted. */
export function errorInfo(e: unknown, secrets: readonly (string | undefined)[]): { code: string; message: string } {
  const err = e as { code?: unknown; message?: unknown } | null;
  const code = typeof err?.code === 'string' ? err.code : 'INTERNAL';
  return { code, message: truncate(redact(String(err?.message ?? e), secrets), 500) };
}

/** A number from a node field (numbers may arrive as strings), clamped, or the default. */
export function numberField(value: unknown, fallback: number, min: number, max: number): number {
  const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isFinite(n)) return fallback;
  return Math.min(max, Math.max(min, Math.round(n)));
}

/** A JSON object from a `json` field (Cognigy may hand an object or its text). */
export function objectField(value: unknown): Record<string, unknown> | undefined {
  if (value && typeof value === 'object' && !Array.isArray(value)) return value as Record<string, unknown>;
  if (typeof value === 'string' && value.trim() !== '') {
    try {
      const parsed: unknown = JSON.parse(value);
      if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) return parsed as Record<string, unknown>;
    } catch {
      return undefined;
    }
  }
  return undefined;
}
