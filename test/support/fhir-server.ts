/**
 * A real FHIR R4 server on a loopback port for tests: Medplum's FHIR router and in-memory
 * repository behind node:http, seeded from the Synthea transaction bundles
 * (test/support/fixtures.ts), with a request log,
 * connection counts and fault injection (test/support/fhir-faults.ts).
 *
 * Shims for what Medplum's router leaves to its own HTTP server:
 * - `GET [base]/metadata` answers a CapabilityStatement;
 * - `patient=<id>` / `subject=<id>` with a bare id are read as `Patient/<id>` (FHIR allows the
 *   bare form when the target type is implied; Medplum matches only the typed form);
 * - searchsets are paged like a real server's: a default and a maximum page size, `_offset`, and
 *   working `self`/`next`/`previous` links.
 *
 * Usage:
 *   const fhir = await startFhirServer({ fixtures: ['Gayla_Ferry'] });   // default: all six
 *   const id = fhir.patients['Gayla_Ferry'];
 *   fhir.setFault([{ resourceType: 'Observation', delayMs: 20 }, { resourceType: 'Condition', fault: 'hang' }]);
 *   … fhir.requests[i].headers.authorization, fhir.connections().opened …
 *   await fhir.close();
 * The first server of a test file costs ~0.2 s (Medplum schema) plus ~30 ms per fixture; later
 * servers in the same file copy the seeded fixtures (~50 ms for all six).
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { getStatus } from '@medplum/core';
import type { FhirRequest, HttpMethod } from '@medplum/fhir-router';
import type { Bundle as MedplumBundle, OperationOutcome, Resource as MedplumResource } from '@medplum/fhirtypes';
import type { Bundle, Resource } from 'fhir/r4.js';
import { applyFault, FaultPlan, outcome, type FaultRule, type RequestInfo } from './fhir-faults.js';
import { fixtureFiles } from './fixtures.js';
import { createMedplum } from './medplum-repository.js';

export type { Fault, FaultRule } from './fhir-faults.js';

export interface RecordedRequest {
  method: string;
  /** The URL as received (path and query), before any shim. */
  url: string;
  /** Path below the FHIR base without the leading slash, e.g. `Observation`, `Patient/123`. */
  path: string;
  resourceType: string | undefined;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  /** Server-side connection number (1, 2, …): equal numbers mean a reused keep-alive socket. */
  connection: number;
  at: number;
}

export interface FhirServerOptions {
  /** Synthea fixtures to load by name (`Gayla_Ferry`, …); default all six. `[]` for none. */
  fixtures?: readonly string[];
  /** More resources to create after the fixtures (ids are kept when given). */
  resources?: readonly Resource[];
  /** Path of the FHIR base on the server; default `/fhir`. */
  basePath?: string;
  /** Page size when a search has no `_count`; default 20 (Medplum's server default). */
  defaultPageSize?: number;
  /** Largest page the server returns, whatever `_count` asks; default 1000. */
  maxPageSize?: number;
  /** Added before every answer (simulated network + server time). */
  latencyMs?: number;
  faults?: FaultRule | readonly FaultRule[];
  port?: number;
}

export interface TestFhirServer {
  /** e.g. `http://127.0.0.1:40123/fhir` (no trailing slash). */
  baseUrl: string;
  origin: string;
  port: number;
  /** Patient id per loaded fixture, keyed by fixture name (`Gayla_Ferry` → `<uuid>`). */
  patients: Record<string, string>;
  /** Every request received, in order (live array). */
  requests: RecordedRequest[];
  clearRequests(): void;
  /** Replace the fault rules (none when called without argument). */
  setFault(rules?: FaultRule | readonly FaultRule[]): void;
  setLatency(ms: number): void;
  connections(): { opened: number; open: number };
  add<T extends Resource>(resource: T): Promise<T & { id: string }>;
  transaction(bundle: Bundle): Promise<Bundle>;
  /** Read straight from the repository (no HTTP, not logged). */
  read<T extends Resource>(resourceType: T['resourceType'], id: string): Promise<T>;
  close(): Promise<void>;
}

function fixtureBundle(name: string, files: Map<string, string>): MedplumBundle {
  const file = files.get(name);
  if (!file) throw new Error(`unknown fixture ${name}; known: ${[...files.keys()].join(', ')}`);
  return JSON.parse(readFileSync(file, 'utf8')) as MedplumBundle;
}

interface SeededFixture {
  patientId: string;
  resources: MedplumResource[];
}

// What each fixture's transaction created, shared by the servers of one test module: a later
// server copies these (same ids) instead of running the transaction again (~10× faster).
const seeded = new Map<string, SeededFixture>();

const FHIR_JSON = 'application/fhir+json';
const REFERENCE_PARAMS = new Set(['patient', 'subject']);
const SEARCHABLE = [
  'Patient',
  'Observation',
  'Condition',
  'MedicationRequest',
  'MedicationStatement',
  'Medication',
  'Procedure',
  'ServiceRequest',
  'FamilyMemberHistory',
  'Encounter',
];

function capabilityStatement(baseUrl: string): unknown {
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: '2025-01-01',
    kind: 'instance',
    fhirVersion: '4.0.1',
    format: ['json'],
    implementation: { description: 'aibl-cds test FHIR server (Medplum in-memory)', url: baseUrl },
    rest: [
      {
        mode: 'server',
        resource: SEARCHABLE.map((type) => ({
          type,
          interaction: [{ code: 'read' }, { code: 'search-type' }, { code: 'create' }],
          searchParam: [
            { name: 'patient', type: 'reference' },
            { name: 'code', type: 'token' },
            { name: 'status', type: 'token' },
            { name: 'date', type: 'date' },
          ],
        })),
        interaction: [{ code: 'transaction' }, { code: 'batch' }],
      },
    ],
  };
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': FHIR_JSON });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  if (chunks.length === 0) return undefined;
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** `patient=123` → `patient=Patient/123`; everything else unchanged. */
function typedReferences(query: URLSearchParams): URLSearchParams {
  const out = new URLSearchParams();
  for (const [k, v] of query) {
    const name = k.split(':')[0] ?? k;
    out.append(
      k,
      REFERENCE_PARAMS.has(name)
        ? v
            .split(',')
            .map((id) => (id.includes('/') ? id : `Patient/${id}`))
            .join(',')
        : v,
    );
  }
  return out;
}

export async function startFhirServer(opts: FhirServerOptions = {}): Promise<TestFhirServer> {
  const { router, repo } = createMedplum();
  const basePath = (opts.basePath ?? '/fhir').replace(/\/+$/, '');
  const defaultPageSize = opts.defaultPageSize ?? 20;
  const maxPageSize = opts.maxPageSize ?? 1000;
  let latencyMs = opts.latencyMs ?? 0;
  const faults = new FaultPlan();
  faults.set(opts.faults);

  async function handle(
    method: HttpMethod,
    url: string,
    body?: unknown,
  ): Promise<[OperationOutcome, MedplumResource?]> {
    const req: FhirRequest = { method, url, pathname: '', params: {}, query: {}, body };
    const [out, resource] = await router.handleRequest(req, repo);
    return [out, resource];
  }

  async function transaction(bundle: MedplumBundle | Bundle): Promise<MedplumBundle> {
    const [out, result] = await handle('POST', '', bundle);
    if (getStatus(out) >= 400 || result?.resourceType !== 'Bundle') {
      throw new Error(`transaction failed: ${JSON.stringify(out)}`);
    }
    return result;
  }

  const patients: Record<string, string> = {};
  const files = opts.fixtures?.length === 0 ? new Map<string, string>() : fixtureFiles();
  for (const name of opts.fixtures ?? [...files.keys()]) {
    const known = seeded.get(name);
    if (known) {
      for (const r of known.resources) await repo.createResource(r);
      patients[name] = known.patientId;
      continue;
    }
    const result = await transaction(fixtureBundle(name, files));
    const created = (result.entry ?? []).map((e) => e.resource);
    const patient = created.find((r) => r?.resourceType === 'Patient');
    if (!patient?.id) throw new Error(`fixture ${name} has no Patient`);
    patients[name] = patient.id;
    if (created.every((r): r is MedplumResource => r?.id !== undefined)) {
      seeded.set(name, { patientId: patient.id, resources: created });
    }
  }
  for (const r of opts.resources ?? []) await repo.createResource(r as MedplumResource);

  const requests: RecordedRequest[] = [];
  const socketIds = new WeakMap<Socket, number>();
  const timers = new Set<NodeJS.Timeout>();
  let opened = 0;
  let open = 0;
  let baseUrl = '';

  function sleep(ms: number): Promise<void> {
    return new Promise((done) => {
      const t = setTimeout(() => {
        timers.delete(t);
        done();
      }, ms);
      timers.add(t);
    });
  }

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = req.url ?? '/';
    const url = new URL(raw, baseUrl);
    const inBase = url.pathname === basePath || url.pathname.startsWith(`${basePath}/`);
    const path = inBase ? url.pathname.slice(basePath.length).replace(/^\/+/, '') : url.pathname;
    const resourceType = /^[A-Z][A-Za-z]+/.exec(path)?.[0];
    const method = (req.method ?? 'GET').toUpperCase();
    requests.push({
      method,
      url: raw,
      path,
      resourceType,
      query: url.searchParams,
      headers: { ...req.headers },
      connection: socketIds.get(req.socket) ?? 0,
      at: Date.now(),
    });

    const info: RequestInfo = { method, path, query: url.searchParams, resourceType };
    const rule = faults.take(info);
    const delay = latencyMs + (rule?.delayMs ?? 0);
    if (delay > 0) await sleep(delay);
    if (res.destroyed) return;
    if (rule?.fault !== undefined) {
      applyFault(rule.fault, req, res, new URL(`${basePath}/${path}${url.search}`, url.origin));
      return;
    }

    if (!inBase) return send(res, 404, outcome('not-found', `No FHIR endpoint at ${url.pathname}`));
    if (method === 'GET' && path === 'metadata') return send(res, 200, capabilityStatement(baseUrl));

    let body: unknown;
    try {
      body = await readBody(req);
    } catch {
      return send(res, 400, outcome('structure', 'Request body is not valid JSON'));
    }
    const query = typedReferences(url.searchParams);
    const isSearch = method === 'GET' && resourceType !== undefined && path === resourceType;
    let count: number | undefined;
    let offset = 0;
    if (isSearch) {
      const asked = Number(query.get('_count') ?? defaultPageSize);
      count = Math.max(0, Math.min(Number.isFinite(asked) ? asked : defaultPageSize, maxPageSize));
      offset = Math.max(0, Number(query.get('_offset') ?? '0') || 0);
      query.set('_count', String(count));
      query.set('_offset', String(offset));
    }
    const qs = query.toString();
    const [out, resource] = await handle(method as HttpMethod, `${path}${qs ? `?${qs}` : ''}`, body);
    const status = getStatus(out);
    if (resource === undefined) return send(res, status, out);
    if (isSearch && resource.resourceType === 'Bundle' && count !== undefined) {
      addPageLinks(resource, url, count, offset);
    }
    send(res, status, resource);
  }

  function addPageLinks(bundle: MedplumBundle, url: URL, count: number, offset: number): void {
    const page = (at: number): string => {
      const q = new URLSearchParams(url.searchParams);
      q.set('_count', String(count));
      q.set('_offset', String(at));
      return `${baseUrl}/${url.pathname.slice(basePath.length + 1)}?${q.toString()}`;
    };
    const total = bundle.total ?? 0;
    bundle.link = [{ relation: 'self', url: page(offset) }];
    if (count > 0 && offset + count < total) bundle.link.push({ relation: 'next', url: page(offset + count) });
    if (offset > 0) bundle.link.push({ relation: 'previous', url: page(Math.max(0, offset - count)) });
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((err: unknown) => {
      send(res, 500, outcome('exception', err instanceof Error ? err.message : String(err)));
    });
  });
  server.on('connection', (socket: Socket) => {
    opened += 1;
    open += 1;
    socketIds.set(socket, opened);
    socket.once('close', () => {
      open -= 1;
    });
  });

  await new Promise<void>((ready, fail) => {
    server.once('error', fail);
    server.listen(opts.port ?? 0, '127.0.0.1', () => ready());
  });
  const port = (server.address() as AddressInfo).port;
  const origin = `http://127.0.0.1:${port}`;
  baseUrl = `${origin}${basePath}`;

  return {
    baseUrl,
    origin,
    port,
    patients,
    requests,
    clearRequests: () => {
      requests.length = 0;
    },
    setFault: (rules) => faults.set(rules),
    setLatency: (ms) => {
      latencyMs = ms;
    },
    connections: () => ({ opened, open }),
    add: async <T extends Resource>(resource: T) =>
      (await repo.createResource(resource as MedplumResource)) as unknown as T & { id: string },
    transaction: async (bundle: Bundle) => (await transaction(bundle)) as unknown as Bundle,
    read: async <T extends Resource>(resourceType: T['resourceType'], id: string) =>
      (await repo.readResource(resourceType, id)) as unknown as T,
    close: () =>
      new Promise<void>((done) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => done());
        server.closeAllConnections();
      }),
  };
}
