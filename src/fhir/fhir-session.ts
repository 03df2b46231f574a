/**
 * The FHIR calls of one CDS request: one fhir-kit-client bound to the request's fhirServer and
 * bearer token, on the shared keep-alive agents, under the request's deadline. Every failure is
 * reported once by kind and thrown as FhirFetchError.
 */
import { Client } from 'fhir-kit-client';
import type { Medication, Resource } from 'fhir/r4.js';
import type { FhirAgents } from './agents.js';
import { type Deadline, DeadlineAbort } from './deadline.js';
import type { BodyLimits } from '../upstream/bounded-body.js';
import { NodeHttpDispatcher } from '../upstream/node-dispatcher.js';
import {
  classifyFailure,
  FhirFetchError,
  isConnectionReset,
  type FhirErrorDetail,
  type FhirErrorKind,
} from './errors.js';
import { foreignPatient } from './patient-id.js';
import { relativeUrl, type DataQuery } from './queries.js';
import { isResourceOf, readSearchPage, type SearchPage } from './search-page.js';

export interface SessionOptions {
  fhirServer: string;
  accessToken?: string;
  agents: FhirAgents;
  deadline: Deadline;
  /** `detail` comes with `too_large`, for the operator's log. */
  onError: (kind: FhirErrorKind, detail?: FhirErrorDetail) => void;
  /** What each answer may decode to, and all answers of the CDS request together. */
  limits: BodyLimits;
  /** Pages read per query, the first included. */
  maxPages: number;
  /** `_count` asked of the server. */
  pageSize: number;
}

export interface QueryResult {
  resources: Resource[];
  included: Medication[];
}

export class FhirSession {
  private readonly client: Client;
  private readonly base: URL;
  private readonly basePath: string;

  constructor(private readonly opts: SessionOptions) {
    this.base = new URL(opts.fhirServer);
    this.basePath = this.base.pathname.replace(/\/*$/, '/');
    const bearer =
      opts.accessToken !== undefined
        ? { origin: this.base.origin, authorization: `Bearer ${opts.accessToken}` }
        : undefined;
    this.client = new Client({
      baseUrl: opts.fhirServer.replace(/\/+$/, ''),
      // The token travels in the dispatcher, not in the client (see node-dispatcher.ts).
      requestOptions: {
        dispatcher: new NodeHttpDispatcher({
          agentFor: (url) => opts.agents.agentFor(url),
          ...(bearer && { bearer }),
          limits: opts.limits,
          signal: opts.deadline.signal,
        }),
        redirect: 'error',
      },
    });
  }

  /** Servers may send relative `next` links; they are relative to the FHIR base. */
  private absolute(link: string | undefined): string | undefined {
    if (link === undefined) return undefined;
    try {
      return new URL(link, `${this.base.origin}${this.basePath}`).toString();
    } catch {
      return link;
    }
  }

  /** Whether an absolute URL lies under this request's fhirServer (same origin and base path). */
  isInside(url: string): boolean {
    try {
      const u = new URL(url);
      return u.origin === this.base.origin && `${u.pathname}/`.startsWith(this.basePath);
    } catch {
      return false;
    }
  }

  /**
   * The resource `resourceType/id`, refused unless it is that resource: a Patient answering for
   * another id (a merged record's survivor, or a server's mistake) would give cards about someone
   * else, so it is treated like any other patient's data (see foreignPatient: links are not followed).
   */
  async read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T> {
    const body = await this.get(`${resourceType}/${encodeURIComponent(id)}`, `${this.basePath}${resourceType}/{id}`);
    if (!isResourceOf(body, resourceType)) {
      throw this.fail(
        isResourceOf(body, 'OperationOutcome') ? 'outcome' : 'malformed',
        `expected ${resourceType}, got ${describe(body)}`,
      );
    }
    if (resourceType === 'Patient') {
      const foreign = foreignPatient(body as Record<string, unknown>, id);
      if (foreign !== undefined) throw this.fail('malformed', `the server answered with ${foreign}`);
    } else if ((body as { id?: unknown }).id !== id) {
      throw this.fail('malformed', `the server answered with another ${resourceType}`);
    }
    return body as T;
  }

  /** Runs the query (all pages, up to the limit). */
  async run(query: DataQuery, patientId: string): Promise<QueryResult> {
    if (query.interaction === 'read') {
      return { resources: [await this.read(query.resourceType, patientId)], included: [] };
    }
    const url = `${relativeUrl(query, patientId)}&_count=${this.opts.pageSize}`;
    const first = this.searchPage(await this.get(url, `${this.basePath}${query.resourceType}`), query, patientId);
    return this.rest(first, query, patientId);
  }

  /** Collects the pages after `first` (a server page or a prefetched Bundle). */
  async rest(first: SearchPage, query: DataQuery, patientId: string): Promise<QueryResult> {
    const resources = [...first.resources];
    const included = [...first.included];
    let next = this.absolute(first.next);
    for (let pages = 1; next !== undefined; pages++) {
      if (!this.isInside(next)) throw this.fail('untrusted_link', 'a next link points outside the FHIR server');
      if (pages >= this.opts.maxPages) throw this.fail('too_many_pages', `more than ${this.opts.maxPages} pages`);
      const page = this.searchPage(await this.get(next, new URL(next).pathname), query, patientId);
      resources.push(...page.resources);
      included.push(...page.included);
      next = this.absolute(page.next);
    }
    return { resources, included };
  }

  private searchPage(body: unknown, query: DataQuery, patientId: string): SearchPage {
    if (isResourceOf(body, 'OperationOutcome'))
      throw this.fail('outcome', 'the server answered a search with an OperationOutcome');
    if (!isResourceOf(body, 'Bundle'))
      throw this.fail('wrong_bundle', `expected a searchset Bundle, got ${describe(body)}`);
    const type = (body as { type?: unknown }).type;
    if (type !== undefined && type !== 'searchset') {
      throw this.fail('wrong_bundle', `expected a searchset Bundle, got a ${String(type)} Bundle`);
    }
    const page = readSearchPage(body as Record<string, unknown>, query, patientId);
    if (page.otherPatient) throw this.fail('malformed', 'the server returned resources that do not name this patient');
    return page;
  }

  /**
   * One GET under the deadline; a reset connection is retried once while time remains. `path` is
   * what the log may say of the URL: no query string, no resource id (both can name the patient).
   */
  private async get(url: string, path: string): Promise<unknown> {
    const { deadline } = this.opts;
    for (let attempt = 1; ; attempt++) {
      if (deadline.signal.aborted) throw new DeadlineAbort(deadline.cause ?? 'stopped');
      try {
        return await deadline.race(this.client.request(url, { options: { signal: deadline.signal } }));
      } catch (err) {
        if (err instanceof DeadlineAbort || deadline.signal.aborted) {
          // Only a call the deadline cut short is a FHIR timeout; a cancelled one is nobody's fault.
          if (deadline.cause === 'deadline') this.opts.onError('timeout');
          throw err instanceof DeadlineAbort ? err : new DeadlineAbort(deadline.cause ?? 'stopped');
        }
        const failure = classifyFailure(err);
        this.opts.onError(failure.kind, failure.limit && { host: this.base.host, path, ...failure.limit });
        if (attempt === 1 && isConnectionReset(err) && deadline.remainingMs() > 0) continue;
        throw failure;
      }
    }
  }

  private fail(kind: FhirErrorKind, message: string): FhirFetchError {
    this.opts.onError(kind);
    return new FhirFetchError(kind, message);
  }
}

function describe(body: unknown): string {
  if (typeof body !== 'object' || body === null) return typeof body;
  const type = (body as { resourceType?: unknown }).resourceType;
  return typeof type === 'string' ? type : 'a body without resourceType';
}
