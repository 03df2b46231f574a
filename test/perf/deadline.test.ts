/**
 * The FHIR deadline (docs/decisions/0005-fhir-fallback-deadline.md): with a FHIR server that
 * never answers, every service call ends by
 * FHIR_TIMEOUT_MS + 50 ms — a 412 when required data hangs, degraded cards when only optional data
 * does — and the calls left hanging are aborted: after 1 000 such calls no socket, queued request
 * or timer is left behind, in the service's agents, on the FHIR server, or in the process.
 *
 * Service, FHIR server and client share this process; the client is plain node:http so that the
 * harness adds as little as possible to what is timed.
 */
import { Agent, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourcesOf } from '../support/prefetch-resources.js';
import { DATA_KEY_LABELS } from '../../src/cards/format.js';
import { defaultPolicy } from '../../src/core/index.js';
import { InProcessEngine } from '../../src/engine/engine.js';
import { DATA_KEYS } from '../../src/core/patient-record.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { example, testApp } from '../http/support/app.js';

const TIMEOUT_MS = 100;
const LATE_MS = 50;
/** CPU starvation allowance for concurrent calls on a loaded CI machine (see the 100-call test). */
const LOAD_SLACK_MS = 200;
const REQUIRED = ['patient', 'dxa', 'medicationRequests'] as const;
const OPTIONAL = ['labs', 'conditions', 'medicationStatements', 'procedures', 'dxaOrders', 'familyHistory'] as const;
/** FHIR queries a call sends (and abandons): one per data key, or the six optional ones. */
const QUERIES = { required: DATA_KEYS.length, optional: 6 };

type Kind = keyof typeof QUERIES;

let fhir: TestFhirServer;
let engine: InProcessEngine;
let server: Server;
let url: string;
let client: Agent;
const bodies: Record<Kind, string> = { required: '', optional: '' };

interface Answer {
  status: number;
  body: any;
  ms: number;
}

function call(kind: Kind): Promise<Answer> {
  const data = bodies[kind];
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent: client,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
            ms: performance.now() - t0,
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

/** Runs `count` calls, `concurrency` at a time, alternating the two kinds. */
async function many(count: number, concurrency: number): Promise<(Answer & { kind: Kind })[]> {
  const out: (Answer & { kind: Kind })[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const kind: Kind = next++ % 2 === 0 ? 'required' : 'optional';
        out.push({ kind, ...(await call(kind)) });
      }
    }),
  );
  return out;
}

/** `aibl_fhir_errors_total{kind="timeout"}` from GET /metrics (through the harness's own agent). */
function timeouts(): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(new URL('/metrics', url), { agent: client }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString('utf8')));
      res.on('end', () => resolve(Number(/^aibl_fhir_errors_total\{kind="timeout"\} (\d+)$/m.exec(text)?.[1] ?? NaN)));
    });
    req.on('error', reject);
    req.end();
  });
}

/** Sockets and timers that keep the process alive (what a leak would add to). */
function handles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((n) => n === 'TCPSocketWrap').length,
    timers: info.filter((n) => n === 'Timeout').length,
  };
}

/** Closes the harness's own keep-alive connections to the app, so that only the service's sockets count. */
function dropClientConnections(): void {
  client.destroy();
  client = new Agent({ keepAlive: true, maxSockets: 64 });
  server.closeIdleConnections();
}

async function settle(until: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!until() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

function expectDegraded(a: Answer): void {
  expect(a.status).toBe(200);
  expect(a.body.cards.length).toBeGreaterThan(0);
  const labels = OPTIONAL.map((k) => DATA_KEY_LABELS[k]).join(', ');
  for (const card of a.body.cards)
    expect(card.detail).toContain(`**Not checked** (could not be retrieved): ${labels}.`);
}

beforeAll(async () => {
  const ex = example('order-sign');
  fhir = await startFhirServer({ fixtures: [], resources: resourcesOf(ex) });
  engine = new InProcessEngine({ policy: defaultPolicy });
  const t = testApp({ config: { fhirTimeoutMs: TIMEOUT_MS }, engine });
  server = t.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/cds-services/aibl-order-sign`;
  client = new Agent({ keepAlive: true, maxSockets: 64 });

  const required = example('order-sign');
  delete required.prefetch;
  required.fhirServer = fhir.baseUrl;
  bodies.required = JSON.stringify(required);
  const optional = example('order-sign');
  for (const key of OPTIONAL) delete optional.prefetch[key];
  optional.fhirServer = fhir.baseUrl;
  bodies.optional = JSON.stringify(optional);

  fhir.setFault({ fault: 'hang' });
  // The first calls load code and open connections; what follows is timed warm.
  await many(8, 2);
});
afterAll(async () => {
  client.destroy();
  await engine.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fhir.close();
});

describe('a FHIR server that never answers', () => {
  test('required data hanging: 412 naming each required input as timed out, by the deadline', async () => {
    const a = await call('required');
    expect(a.status).toBe(412);
    expect(a.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(a.ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
    expect(a.body.resourceType).toBe('OperationOutcome');
    expect(a.body.issue.map((i: any) => [i.code, i.expression[0]])).toEqual(
      REQUIRED.map((k) => ['timeout', `prefetch.${k}`]),
    );
  });

  test('only optional data hanging: cards by the deadline, naming everything not checked', async () => {
    const a = await call('optional');
    expect(a.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(a.ms).toBeLessThan(TIMEOUT_MS + LATE_MS);
    expectDegraded(a);
  });

  test('100 calls, 5 at a time: typically answered by the deadline + 50 ms, never much later', async () => {
    const answers = await many(100, 5);
    for (const a of answers) {
      if (a.kind === 'required') expect(a.status).toBe(412);
      else expectDegraded(a);
    }
    // The +50 ms target holds for the typical call; five concurrent calls on a two-core machine
    // shared with other jest workers can be starved of CPU for a few tens of ms more, so each call
    // gets scheduling slack — a broken deadline would still take the hung server's full time.
    const sorted = answers.map((a) => a.ms).sort((x, y) => x - y);
    expect(sorted[Math.floor(sorted.length / 2)]).toBeLessThan(TIMEOUT_MS + LATE_MS);
    expect(answers.filter((a) => a.ms >= TIMEOUT_MS + LATE_MS + LOAD_SLACK_MS).map((a) => Math.round(a.ms))).toEqual(
      [],
    );
    expect(Math.min(...answers.map((a) => a.ms))).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
  });

  test('1 000 calls, 25 at a time: all answered, then no socket, queued request or timer is left', async () => {
    const timeoutsBefore = await timeouts();
    dropClientConnections();
    await settle(() => engine.fhirAgents.stats().active === 0 && fhir.connections().open === 0);
    const before = handles();
    const sent = fhir.requests.length;

    // 25 at a time saturates one core here (each call opens and abandons 6–9 connections), so
    // calls queue for CPU; timing is held to the deadline above, this is about what is left.
    const answers = await many(1000, 25);
    expect(answers.filter((a) => a.kind === 'required' && a.status === 412)).toHaveLength(500);
    expect(answers.filter((a) => a.kind === 'optional' && a.status === 200 && a.body.cards.length > 0)).toHaveLength(
      500,
    );
    // None waited on a FHIR socket past the deadline (an unaborted call would hang or hit the 15 s idle timeout).
    // 3 s of slack, not 1: inside the full suite, on two cores shared with the other jest workers,
    // the slowest of these 1 000 queued calls reached 1.15 and 1.87 s in two runs of ten.
    expect(Math.max(...answers.map((a) => a.ms))).toBeLessThan(TIMEOUT_MS + 3000);
    // Every query was counted as timed out once, whether it reached the server or was still queued for a socket.
    expect((await timeouts()) - timeoutsBefore).toBe(500 * QUERIES.required + 500 * QUERIES.optional);
    expect(fhir.requests.length - sent).toBeGreaterThan(0);
    expect(fhir.requests.length - sent).toBeLessThanOrEqual(500 * QUERIES.required + 500 * QUERIES.optional);

    // The aborted calls closed their sockets on both sides, and their deadline timers are gone.
    dropClientConnections();
    await settle(
      () =>
        engine.fhirAgents.stats().active === 0 &&
        fhir.connections().open === 0 &&
        handles().sockets <= before.sockets &&
        handles().timers <= before.timers,
    );
    expect(engine.fhirAgents.stats()).toEqual({ origins: 1, active: 0, idle: 0, queued: 0 });
    expect(fhir.connections().open).toBe(0);
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });
});
