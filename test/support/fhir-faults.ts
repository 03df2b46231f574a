/**
 * Misbehaviour the test FHIR server can be told to show, per request kind. A rule says which
 * requests it hits (resource type and/or a predicate), an optional delay before answering, and an
 * optional fault instead of the normal answer.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export type Fault =
  /** Accept the request and never answer (the socket stays open until the client gives up). */
  | 'hang'
  /** Destroy the connection without an answer (the client sees a reset / socket hang up). */
  | 'drop'
  /** 200 with a body that is not JSON. */
  | 'malformed'
  /** 200 with an OperationOutcome instead of the requested resource or searchset. */
  | 'outcome'
  /** 200 with a Bundle of type `collection` instead of a searchset. */
  | 'wrong-bundle'
  /** Searchsets whose `next` link never ends (each page links to one more). */
  | 'endless-next'
  /** Any status with an OperationOutcome (or the given body), e.g. 500, 429, 404. */
  | { status: number; body?: unknown; headers?: Record<string, string> }
  /** Answered by this function: raw or streamed bytes, encodings, anything the others do not send. */
  | { respond: (req: IncomingMessage, res: ServerResponse) => void };

export interface RequestInfo {
  method: string;
  /** Path below the FHIR base, without the leading slash, e.g. `Observation` or `Patient/123`. */
  path: string;
  query: URLSearchParams;
  resourceType: string | undefined;
}

export interface FaultRule {
  /** Only requests for these resource types (first path segment). */
  resourceType?: string | readonly string[];
  /** Only requests this predicate accepts. */
  match?: (req: RequestInfo) => boolean;
  /** Wait this long before answering (or before applying `fault`). */
  delayMs?: number;
  fault?: Fault;
  /** Apply to the first N matching requests only. */
  times?: number;
}

interface ActiveRule {
  rule: FaultRule;
  used: number;
}

export class FaultPlan {
  private rules: ActiveRule[] = [];

  set(rules: FaultRule | readonly FaultRule[] | undefined): void {
    const list = rules === undefined ? [] : Array.isArray(rules) ? rules : [rules as FaultRule];
    this.rules = list.map((rule) => ({ rule, used: 0 }));
  }

  /** The first rule matching this request, counted as used. */
  take(req: RequestInfo): FaultRule | undefined {
    for (const active of this.rules) {
      const { rule } = active;
      if (rule.times !== undefined && active.used >= rule.times) continue;
      if (rule.resourceType !== undefined) {
        const types = typeof rule.resourceType === 'string' ? [rule.resourceType] : rule.resourceType;
        if (req.resourceType === undefined || !types.includes(req.resourceType)) continue;
      }
      if (rule.match && !rule.match(req)) continue;
      active.used += 1;
      return rule;
    }
    return undefined;
  }
}

const FHIR_JSON = 'application/fhir+json';

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': FHIR_JSON, ...headers });
  res.end(text);
}

export function outcome(code: string, text: string, severity: 'error' | 'fatal' | 'warning' = 'error'): unknown {
  return { resourceType: 'OperationOutcome', issue: [{ severity, code, details: { text } }] };
}

/** Answers the request according to `fault`; `selfUrl` is the absolute URL of this request. */
export function applyFault(fault: Fault, req: IncomingMessage, res: ServerResponse, selfUrl: URL): void {
  if (fault === 'hang') return;
  if (fault === 'drop') {
    req.socket.destroy();
    return;
  }
  if (fault === 'malformed') {
    send(res, 200, '{"resourceType":"Bundle","type":"searchset","entry":[{"resource":');
    return;
  }
  if (fault === 'outcome') {
    send(res, 200, outcome('exception', 'The server could not complete the search'));
    return;
  }
  if (fault === 'wrong-bundle') {
    send(res, 200, { resourceType: 'Bundle', type: 'collection', entry: [] });
    return;
  }
  if (typeof fault === 'object' && 'respond' in fault) {
    fault.respond(req, res);
    return;
  }
  if (fault === 'endless-next') {
    const page = Number(selfUrl.searchParams.get('_page') ?? '1');
    const next = new URL(selfUrl);
    next.searchParams.set('_page', String(page + 1));
    send(res, 200, {
      resourceType: 'Bundle',
      type: 'searchset',
      link: [
        { relation: 'self', url: selfUrl.toString() },
        { relation: 'next', url: next.toString() },
      ],
      entry: [],
    });
    return;
  }
  const status = fault.status;
  const headers = { ...(status === 429 && { 'retry-after': '1' }), ...fault.headers };
  const body =
    fault.body ??
    outcome(status === 404 ? 'not-found' : status === 429 ? 'throttled' : 'exception', `Injected HTTP ${status}`);
  send(res, status, body, headers);
}
