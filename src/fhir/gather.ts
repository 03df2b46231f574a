/**
 * Gathering one patient's data for a CDS request (cds-hooks-2.0.md §2.2,
 * docs/clinical-logic.md#missing-data): each data
 * key from its prefetch value when usable, otherwise from the request's fhirServer with its
 * token, every missing key in parallel under one deadline. Required data that cannot be had
 * yields a 412 OperationOutcome; optional data that cannot be had is listed in `notChecked`.
 */
import type { Medication, OperationOutcome, Resource } from 'fhir/r4.js';
import { unresolvedMedicationReferences } from '../core/index.js';
import { DATA_KEYS, type DataKey, type PatientRecord } from '../core/patient-record.js';
import { ByteBudget } from '../upstream/bounded-body.js';
import { FhirAgents } from './agents.js';
import { Deadline, DeadlineAbort } from './deadline.js';
import { FhirFetchError, type FhirErrorDetail, type FhirErrorKind } from './errors.js';
import { FhirSession, type QueryResult } from './fhir-session.js';
import { failureOutcome, type KeyFailure } from './outcome.js';
import { barePatientId } from './patient-id.js';
import { readPrefetch, type PrefetchReading } from './prefetch.js';
import { DATA_QUERIES } from './queries.js';

export { FhirAgents } from './agents.js';
export type { FhirAgentsOptions, FhirAgentStats } from './agents.js';
export type { FhirErrorDetail, FhirErrorKind } from './errors.js';
export { ByteBudget } from '../upstream/bounded-body.js';
export { FHIR_ERROR_KINDS } from './errors.js';

export const DEFAULT_FHIR_TIMEOUT_MS = 1500;
export const DEFAULT_MAX_PAGES = 10;
export const DEFAULT_PAGE_SIZE = 100;
/** FHIR_MAX_RESPONSE_BYTES: a 100-entry searchset page is ~0.1–1 MB; 32 MiB leaves room for fat resources. */
export const DEFAULT_MAX_RESPONSE_BYTES = 32 * 1024 * 1024;
/** FHIR_MAX_REQUEST_BYTES: all answers of one CDS request together. */
export const DEFAULT_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

export interface FhirAuthorization {
  access_token: string;
  token_type?: string;
  [member: string]: unknown;
}

/** Where the FHIR calls of one CDS request may go, and how long they may take. */
export interface FhirAccess {
  /** Already checked against the allow-list by the caller. */
  fhirServer?: string;
  fhirAuthorization?: FhirAuthorization;
  /** Budget for all FHIR calls of this gathering (FHIR_TIMEOUT_MS). */
  deadlineMs: number;
  /** Aborts the gathering early (e.g. the CDS client went away). */
  signal?: AbortSignal;
}

export interface GatherRequest extends FhirAccess {
  /** Bare or `Patient/<id>`. */
  patientId: string;
  /** The request's `prefetch` object; only the data keys are read. */
  prefetch?: Readonly<Partial<Record<string, unknown>>> | null;
}

/** FHIR_MAX_RESPONSE_BYTES and FHIR_MAX_REQUEST_BYTES, as the configuration gives them. */
export interface FhirLimits {
  maxResponseBytes: number;
  maxRequestBytes: number;
}

export interface GatherDeps {
  /** Shared keep-alive agents; without them a gathering uses its own, closed at the end. */
  agents?: FhirAgents;
  /** Called once per failed FHIR call, e.g. to count it in Prometheus; `detail` comes with `too_large`. */
  onFhirError?: (kind: FhirErrorKind, detail?: FhirErrorDetail) => void;
  /** Pages read per query, the first included (default 10). */
  maxPages?: number;
  /** `_count` for searches the service runs itself (default 100). */
  pageSize?: number;
  /** Largest decoded answer of one FHIR call (default 32 MiB). */
  maxResponseBytes?: number;
  /**
   * What all FHIR answers may decode to together; share one across the gatherings of a CDS request
   * (the Medication reads of its draft orders, then its data). Default: 64 MiB per gathering.
   */
  budget?: ByteBudget;
}

export type GatherResult =
  | {
      ok: true;
      record: PatientRecord;
      /** Keys read (wholly or partly) from the FHIR server rather than prefetch. */
      fetched: DataKey[];
    }
  | { ok: false; missing: DataKey[]; outcome: OperationOutcome };

type KeyOutcome = ({ ok: true; fromServer: boolean } & QueryResult) | ({ ok: false } & KeyFailure);

/** Lazily opened FHIR access for one gathering; closing it releases a private agent pool. */
class Connection {
  private session: FhirSession | undefined;
  private ownAgents: FhirAgents | undefined;
  private timer: Deadline | undefined;
  private readonly startedAt = performance.now();

  constructor(
    private readonly access: FhirAccess,
    private readonly deps: GatherDeps,
  ) {}

  /**
   * Armed on first use, counting from when the gathering began: a request answered wholly from
   * prefetch (the common case) never pays for a timer, an AbortController and their listeners.
   */
  get deadline(): Deadline {
    this.timer ??= new Deadline(this.access.deadlineMs - (performance.now() - this.startedAt), this.access.signal);
    return this.timer;
  }

  get available(): boolean {
    return this.access.fhirServer !== undefined && this.access.fhirServer !== '';
  }

  /** Stops the calls in flight, and any later ones, when a required key has failed. */
  stop(): void {
    this.deadline.abort('stopped');
  }

  open(): FhirSession {
    if (this.session) return this.session;
    const fhirServer = this.access.fhirServer;
    if (!fhirServer) throw new Error('no fhirServer');
    const agents = this.deps.agents ?? (this.ownAgents = new FhirAgents());
    const token = this.access.fhirAuthorization?.access_token;
    this.session = new FhirSession({
      fhirServer,
      ...(token !== undefined && { accessToken: token }),
      agents,
      deadline: this.deadline,
      onError: this.deps.onFhirError ?? (() => undefined),
      maxPages: this.deps.maxPages ?? DEFAULT_MAX_PAGES,
      pageSize: this.deps.pageSize ?? DEFAULT_PAGE_SIZE,
      limits: {
        maxBytes: this.deps.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
        budget: this.deps.budget ?? new ByteBudget(DEFAULT_MAX_REQUEST_BYTES),
      },
    });
    return this.session;
  }

  /** Ends every transfer still running (none should be), so none outlives the answer. */
  close(): void {
    if (this.timer) {
      this.timer.abort('stopped');
      this.timer.dispose();
    }
    this.ownAgents?.close();
  }
}

function failure(err: unknown): { ok: false } & KeyFailure {
  if (err instanceof FhirFetchError)
    return { ok: false, kind: err.kind, message: err.message, ...(err.status !== undefined && { status: err.status }) };
  if (err instanceof DeadlineAbort) {
    if (err.abortCause === 'deadline')
      return { ok: false, kind: 'timeout', message: 'the FHIR server did not answer in time' };
    return { ok: false, kind: err.abortCause, message: 'not fetched: the gathering was stopped' };
  }
  return { ok: false, kind: 'network', message: 'the FHIR call failed' };
}

/**
 * The outcome of a key that needs no FHIR call: a prefetch value that answers it (or says the
 * client has no data), or a key that would need the server when there is none. Undefined when the
 * key must be fetched. Synchronous, so that a request answered wholly from prefetch (the common
 * case) does not pay for a promise and a callback per key.
 */
function localOutcome(key: DataKey, reading: PrefetchReading, conn: Connection): KeyOutcome | undefined {
  const query = DATA_QUERIES[key];
  switch (reading.kind) {
    case 'empty':
      if (query.interaction === 'read') {
        return {
          ok: false,
          kind: 'prefetch_null',
          message: `the client has no ${query.resourceType} (prefetch is null)`,
        };
      }
      return { ok: true, fromServer: false, resources: [], included: [] };
    case 'page':
      if (reading.page.next === undefined) {
        return { ok: true, fromServer: false, resources: reading.page.resources, included: reading.page.included };
      }
      if (!conn.available) {
        return {
          ok: false,
          kind: 'no_server',
          message: 'the prefetched searchset has more pages and there is no fhirServer to read them',
        };
      }
      return undefined;
    default: {
      if (!conn.available) {
        const why =
          reading.kind === 'absent'
            ? 'not prefetched'
            : reading.kind === 'outcome'
              ? 'prefetch was an OperationOutcome'
              : `prefetch unusable (${reading.reason})`;
        return { ok: false, kind: 'no_server', message: `${why} and the request has no fhirServer` };
      }
      return undefined;
    }
  }
}

/** The FHIR calls of a key that `localOutcome` could not answer: the rest of a paged prefetch, or the query. */
async function fetchKey(
  key: DataKey,
  reading: PrefetchReading,
  patientId: string,
  conn: Connection,
): Promise<KeyOutcome> {
  const query = DATA_QUERIES[key];
  try {
    if (reading.kind === 'page')
      return { ok: true, fromServer: true, ...(await conn.open().rest(reading.page, query, patientId)) };
    return { ok: true, fromServer: true, ...(await conn.open().run(query, patientId)) };
  } catch (err) {
    return failure(err);
  }
}

/**
 * The resources of the lists in order, each `resourceType/id` once (the first kept); resources
 * without an id are all kept. Ids are kept per type: no `type/id` string per resource.
 */
function dedupe<T extends Resource>(...lists: T[][]): T[] {
  const seen = new Map<string, Set<string>>();
  const out: T[] = [];
  for (const list of lists) {
    for (const r of list) {
      if (typeof r.id === 'string') {
        let ids = seen.get(r.resourceType);
        if (!ids) seen.set(r.resourceType, (ids = new Set()));
        if (ids.has(r.id)) continue;
        ids.add(r.id);
      }
      out.push(r);
    }
  }
  return out;
}

function medicationId(reference: string): string | undefined {
  return /(?:^|\/)Medication\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(reference.trim())?.[1];
}

/** Reads Medications by reference in parallel; failures are reported and left out. */
async function readAll(references: readonly string[], conn: Connection): Promise<Medication[]> {
  if (!conn.available || references.length === 0) return [];
  const ids = [...new Set(references.map(medicationId).filter((id): id is string => id !== undefined))];
  const session = conn.open();
  const read = await Promise.all(ids.map((id) => session.read<Medication>('Medication', id).catch(() => undefined)));
  return read.filter((m): m is Medication => m !== undefined);
}

export async function gatherPatientData(req: GatherRequest, deps: GatherDeps = {}): Promise<GatherResult> {
  const patientId = barePatientId(req.patientId);
  const prefetch = req.prefetch ?? {};
  const conn = new Connection(req, deps);
  const outcomes = new Map<DataKey, KeyOutcome>();
  let medications: Medication[] = [];
  const partly = new Set<DataKey>();
  try {
    const fetches = new Map<DataKey, Promise<void>>();
    let requiredFailed = false;
    for (const key of DATA_KEYS) {
      const reading = readPrefetch(DATA_QUERIES[key], prefetch[key], patientId);
      const local = localOutcome(key, reading, conn);
      if (local !== undefined) {
        outcomes.set(key, local);
        if (!local.ok && DATA_QUERIES[key].required) requiredFailed = true;
        continue;
      }
      fetches.set(
        key,
        fetchKey(key, reading, patientId, conn).then((o) => {
          outcomes.set(key, o);
          // Without this key there is no answer: stop the other calls instead of waiting for them.
          if (!o.ok && DATA_QUERIES[key].required) conn.stop();
        }),
      );
    }
    // Once every call has started, as when each key settled in its own callback.
    if (requiredFailed) conn.stop();

    const medicationKeys = ['medicationRequests', 'medicationStatements'] as const;
    const resolveMedications = (): Promise<void> | undefined => {
      const lists = medicationKeys.map((k) => {
        const o = outcomes.get(k);
        return o?.ok ? (o.resources as Parameters<typeof unresolvedMedicationReferences>[0]) : [];
      });
      const included = medicationKeys.flatMap((k) => {
        const o = outcomes.get(k);
        return o?.ok ? o.included : [];
      });
      const unresolved = unresolvedMedicationReferences(lists.flat(), included);
      const settle = (read: Medication[]) => {
        medications = dedupe(included, read);
        medicationKeys.forEach((k, i) => {
          const list = lists[i] ?? [];
          // A key without resources names no Medication (and needs no index of the known ones).
          if (list.length > 0 && unresolvedMedicationReferences(list, medications).length > 0) partly.add(k);
        });
      };
      // readAll reads nothing without a server or references: then no promise is needed.
      if (unresolved.length === 0 || !conn.available) {
        settle([]);
        return undefined;
      }
      return readAll(unresolved, conn).then(settle);
    };
    const medicationFetches = medicationKeys.map((k) => fetches.get(k)).filter((p) => p !== undefined);
    const resolving =
      medicationFetches.length === 0 ? resolveMedications() : Promise.all(medicationFetches).then(resolveMedications);
    if (fetches.size > 0 || resolving !== undefined) await Promise.all([...fetches.values(), resolving]);
  } finally {
    conn.close();
  }

  const missing: DataKey[] = [];
  const failures = new Map<DataKey, KeyFailure>();
  for (const key of DATA_KEYS) {
    const o = outcomes.get(key);
    if (o && !o.ok) {
      failures.set(key, o);
      if (DATA_QUERIES[key].required) missing.push(key);
    }
  }
  if (missing.length > 0) return { ok: false, missing, outcome: failureOutcome(missing, failures) };

  const data = (key: DataKey): Resource[] => {
    const o = outcomes.get(key);
    return o?.ok ? o.resources : [];
  };
  const patient = data('patient')[0];
  if (patient?.resourceType !== 'Patient') {
    const f: KeyFailure = { kind: 'malformed', message: 'no Patient resource' };
    return { ok: false, missing: ['patient'], outcome: failureOutcome(['patient'], new Map([['patient', f]])) };
  }
  const record: PatientRecord = {
    patient: patient as PatientRecord['patient'],
    observations: dedupe(data('dxa'), data('labs')) as PatientRecord['observations'],
    conditions: data('conditions') as PatientRecord['conditions'],
    // Bone-agent orders of any status join the active orders: every reader filters by status.
    medicationRequests: dedupe(
      data('medicationRequests'),
      data('boneAgentOrders'),
    ) as PatientRecord['medicationRequests'],
    medicationStatements: data('medicationStatements') as PatientRecord['medicationStatements'],
    procedures: data('procedures') as PatientRecord['procedures'],
    serviceRequests: data('dxaOrders') as PatientRecord['serviceRequests'],
    familyHistory: data('familyHistory') as PatientRecord['familyHistory'],
    medicationAdministrations: data('medicationAdministrations') as NonNullable<
      PatientRecord['medicationAdministrations']
    >,
    medications,
    notChecked: DATA_KEYS.filter((k) => failures.has(k) || partly.has(k)),
  };
  const fetched = DATA_KEYS.filter((k) => {
    const o = outcomes.get(k);
    return o?.ok === true && o.fromServer;
  });
  return { ok: true, record, fetched };
}

export interface MedicationReadRequest extends FhirAccess {
  /** `Medication/<id>` references (relative or absolute); others are ignored. */
  references: readonly string[];
}

/**
 * Reads the Medications that draft orders name only by reference, under its own deadline.
 * Those that cannot be read are left out (and reported through `onFhirError`).
 */
export async function readMedications(req: MedicationReadRequest, deps: GatherDeps = {}): Promise<Medication[]> {
  const conn = new Connection(req, deps);
  try {
    return await readAll(req.references, conn);
  } finally {
    conn.close();
  }
}
