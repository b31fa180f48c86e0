// An endpoint suite run across several node executions: each execution runs the next slice of the
// suite's cases (Cognigy ends an execution after 20 s), and the context keeps a resume marker with
// a compact copy of every slice's per-case results. The last execution hands them to the core
// (`aggregateEndpointChunks`), which decides counts, gate, NLU scores and flaky cases.
import type { EndpointChunk, SuiteReport } from 'cognigy-guard/inline';
import { truncate } from './limits';

/** Most cases an endpoint suite may have here (their compact results must fit the context). */
export const MAX_ENDPOINT_CASES = 100;
/** Characters kept of a case's utterance and of its first reason in the marker (the merged report lists that one). */
const TEXT_CHARS = 100;
const REASON_CHARS = 120;
const REASONS_KEPT = 1;

/** What the context keeps between the executions of one endpoint run. */
export interface EndpointResume {
  v: 1;
  /** Suite, NLU settings and slice size the marker belongs to (a changed suite starts over). */
  fingerprint: string;
  /** Index of the next case to run. */
  next: number;
  /** Cases in the suite. */
  total: number;
  /** The compact results of the slices run so far, in order. */
  chunks: EndpointChunk[];
}

/** A short FNV-1a hash (hex) of `text`: tells suites apart, reveals nothing of them. */
export function fingerprint(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash.toString(16).padStart(8, '0');
}

/** The marker in `value` when it belongs to `print` (else undefined: start over). */
export function resumable(value: unknown, print: string): EndpointResume | undefined {
  const resume = (value as { resume?: Partial<EndpointResume> } | undefined)?.resume;
  if (!resume || resume.v !== 1 || resume.fingerprint !== print) return undefined;
  if (typeof resume.next !== 'number' || typeof resume.total !== 'number' || !Array.isArray(resume.chunks)) return undefined;
  return JSON.parse(JSON.stringify(resume)) as EndpointResume;
}

/** A compact copy of one slice's report: its status, flaky cases and per-case results, without what the merge recomputes. */
export function compactChunk(report: SuiteReport): EndpointChunk {
  const cases = report.cases.map((c) => {
    const out: Record<string, unknown> = { index: c.index, status: c.status, inputText: truncate(c.inputText, TEXT_CHARS) };
    if (c.reasons.length) out.reasons = c.reasons.slice(0, REASONS_KEPT).map((r) => truncate(r, REASON_CHARS));
    if (c.matchedIntent) out.matchedIntent = c.matchedIntent;
    if (c.expectedIntent) out.expectedIntent = c.expectedIntent;
    if (c.intentVerified) out.intentVerified = true;
    if (c.entitiesExpected.length) out.entitiesExpected = c.entitiesExpected;
    if (c.entitiesExtracted.length) out.entitiesExtracted = c.entitiesExtracted;
    if (typeof c.latencyMs === 'number') out.latencyMs = Math.round(c.latencyMs);
    if (typeof c.allowedLatencyMs === 'number') out.allowedLatencyMs = c.allowedLatencyMs;
    return out;
  });
  return {
    ...(report.executionId ? { executionId: report.executionId } : {}),
    ...(report.status ? { status: report.status } : {}),
    total: cases.length,
    cases,
    ...(report.flaky?.length ? { flaky: report.flaky.map((f) => ({ ...f, inputText: truncate(f.inputText, TEXT_CHARS), reasons: f.reasons.slice(0, 1).map((r) => truncate(r, REASON_CHARS)) })) } : {}),
    ...(report.nlu ? { nlu: true } : {}),
  };
}

/** The endpoint URL and its parts that reveal its token (whole, path, last path segment), to redact. */
export function endpointSecrets(url: string): string[] {
  const secrets = [url];
  try {
    const parsed = new URL(url);
    const path = parsed.pathname.replace(/^\/+/, '');
    const last = path.split('/').filter(Boolean).pop();
    secrets.push(path, ...(last ? [last, decodeURIComponent(last)] : []));
  } catch {
    // Not a URL: the whole text is the secret.
  }
  return secrets.filter((s) => s.length >= 4);
}
