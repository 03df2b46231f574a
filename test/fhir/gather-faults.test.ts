/**
 * The FHIR fallback against a misbehaving (real, loopback) FHIR server: latency, a server that
 * never answers, dropped connections, error statuses, malformed and unexpected bodies, endless
 * paging. Each ends within the deadline with a 412 (required data) or notChecked (optional data),
 * reports the fault kind, and leaves no socket or timer behind.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DATA_KEYS } from '../../src/core/patient-record.js';
import { FhirAgents, gatherPatientData, type GatherResult } from '../../src/fhir/gather.js';
import type { FhirErrorKind } from '../../src/fhir/errors.js';
import { startFhirServer, type Fault, type TestFhirServer } from '../support/fhir-server.js';

let server: TestFhirServer;
let other: TestFhirServer;
let agents: FhirAgents;
let patientId: string;
let errors: FhirErrorKind[];
const TOKEN = 'secret-token-1';

beforeAll(async () => {
  // One after the other: a server started beside one that failed would never be closed.
  server = await startFhirServer({ fixtures: ['Tamatha_Witting'] });
  other = await startFhirServer({ fixtures: [] });
  patientId = server.patients['Tamatha_Witting']!;
});
afterAll(async () => {
  await Promise.all([server?.close(), other?.close()]);
});
beforeEach(() => {
  agents = new FhirAgents();
  errors = [];
  server.setFault();
  server.setLatency(0);
  server.clearRequests();
});
afterEach(async () => {
  agents.close();
  // Requests of an aborted gathering may still reach the server; let them land before the next test.
  await settle(() => server.connections().open === 0);
});

function gather(
  req: Partial<Parameters<typeof gatherPatientData>[0]> = {},
  deps: Parameters<typeof gatherPatientData>[1] = {},
): Promise<GatherResult> {
  return gatherPatientData(
    { patientId, fhirServer: server.baseUrl, fhirAuthorization: { access_token: TOKEN }, deadlineMs: 1500, ...req },
    { agents, onFhirError: (k) => errors.push(k), ...deps },
  );
}

async function timed<T>(work: Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const result = await work;
  return [result, performance.now() - t0];
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Sockets and timers alive in the process (for leak checks). */
function handles(): { sockets: number; timers: number } {
  const info = process.getActiveResourcesInfo();
  return {
    sockets: info.filter((n) => n === 'TCPSocketWrap').length,
    timers: info.filter((n) => n === 'Timeout').length,
  };
}

async function settle(until: () => boolean, ms = 500): Promise<void> {
  const end = Date.now() + ms;
  while (!until() && Date.now() < end) await sleep(5);
}

describe('parallel queries', () => {
  test('with 20 ms latency per query, all the queries take about one query, not the sum', async () => {
    server.setLatency(20);
    await gather(); // warm the connection pool and the server's code paths
    server.clearRequests();
    const [result, ms] = await timed(gather());
    expect(result.ok).toBe(true);
    expect(server.requests).toHaveLength(DATA_KEYS.length);
    // All of them were on the server before the first answer could leave it (each waits 20 ms).
    const arrivals = server.requests.map((r) => r.at);
    expect(Math.max(...arrivals) - Math.min(...arrivals)).toBeLessThan(20);
    // Sequential would be at least 9 × 20 = 180 ms.
    expect(ms).toBeLessThan(120);
  });

  test('"Patient OK, Observation slow": the slow queries do not hold up the others', async () => {
    server.setFault({ resourceType: 'Observation', delayMs: 150 });
    const [result, ms] = await timed(gather());
    expect(result.ok).toBe(true);
    const answered = server.requests.map((r) => r.resourceType);
    expect(answered.filter((t) => t === 'Observation')).toHaveLength(2);
    expect(ms).toBeGreaterThanOrEqual(150);
    expect(ms).toBeLessThan(400);
  });
});

/** The required query of active orders, not the optional bone-agent orders of any status. */
const activeOrders = (r: { resourceType?: string; url: string }) =>
  r.resourceType === 'MedicationRequest' && r.url.includes('status=active');

describe('deadline', () => {
  test('a server that never answers: 412 by the deadline (+50 ms), every call aborted', async () => {
    server.setFault({ fault: 'hang' });
    const [result, ms] = await timed(gather({ deadlineMs: 300 }));
    expect(ms).toBeGreaterThanOrEqual(299);
    expect(ms).toBeLessThan(350);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toEqual(['patient', 'dxa', 'medicationRequests']);
    expect(result.outcome.issue.map((i) => i.code)).toEqual(['timeout', 'timeout', 'timeout']);
    expect(errors).toEqual(Array(DATA_KEYS.length).fill('timeout'));
    // The in-flight requests were aborted: their sockets are gone on both sides.
    await settle(() => agents.stats().active === 0 && server.connections().open === 0);
    expect(agents.stats()).toEqual({ origins: 1, active: 0, idle: 0, queued: 0 });
    expect(server.connections().open).toBe(0);
  });

  test('only optional data never answers: the answer comes by the deadline with notChecked', async () => {
    server.setFault([
      { resourceType: 'Condition', fault: 'hang' },
      { resourceType: 'FamilyMemberHistory', fault: 'hang' },
    ]);
    const [result, ms] = await timed(gather({ deadlineMs: 250 }));
    expect(ms).toBeLessThan(300);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.notChecked).toEqual(['conditions', 'familyHistory']);
    expect(result.record.conditions).toEqual([]);
    expect(result.record.observations.length).toBeGreaterThan(0);
    expect(errors).toEqual(['timeout', 'timeout']);
  });

  test('a required failure stops the other calls at once instead of waiting for the deadline', async () => {
    server.setFault([{ resourceType: 'Patient', fault: { status: 404 } }, { fault: 'hang' }]);
    const [result, ms] = await timed(gather({ deadlineMs: 1000 }));
    expect(ms).toBeLessThan(200);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.outcome.issue.map((i) => i.code)).toEqual(['not-found', 'incomplete', 'incomplete']);
    expect(errors).toEqual(['http_4xx']);
    await settle(() => agents.stats().active === 0, 100);
    expect(agents.stats().active).toBe(0);
  });

  test('cancelling (the CDS client went away) ends the gathering without counting FHIR errors', async () => {
    server.setFault({ fault: 'hang' });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const [result, ms] = await timed(gather({ deadlineMs: 1000, signal: controller.signal }));
    expect(ms).toBeLessThan(120);
    expect(result.ok).toBe(false);
    expect(errors).toEqual([]);
    await settle(() => agents.stats().active === 0, 100);
    expect(agents.stats().active).toBe(0);
  });

  test('tiny deadlines (aborts racing the connection set-up) end cleanly', async () => {
    server.setFault({ fault: 'hang' });
    const results = await Promise.all(Array.from({ length: 40 }, (_, i) => gather({ deadlineMs: i % 4 })));
    expect(results.every((r) => !r.ok)).toBe(true);
    await settle(() => agents.stats().active === 0 && server.connections().open === 0);
    expect(agents.stats()).toMatchObject({ active: 0, queued: 0 });
  });

  test('an already aborted signal: nothing is sent', async () => {
    const result = await gather({ signal: AbortSignal.abort() });
    expect(result.ok).toBe(false);
    expect(server.requests).toHaveLength(0);
    expect(errors).toEqual([]);
  });

  test('no socket or timer leak after many aborted gatherings', async () => {
    server.setFault({ fault: 'hang' });
    await gather({ deadlineMs: 100 });
    await settle(() => server.connections().open === 0 && agents.stats().active === 0);
    const before = handles();
    // Two at a time: three would need more sockets than the pool's 32 per origin, and a call
    // queued for a socket is aborted before it reaches the server. 400 ms gives every query time to
    // reach the hung server on a busy machine, so that each gathering leaves open sockets to abort.
    for (let batch = 0; batch < 15; batch++) {
      const results = await Promise.all(Array.from({ length: 2 }, () => gather({ deadlineMs: 400 })));
      expect(results.every((r) => !r.ok)).toBe(true);
    }
    expect(server.requests.length).toBe(DATA_KEYS.length * 31);
    // Under CPU load a socket's last timer can fire a little after the socket closes: wait for both
    // (a real leak still fails once the wait is over).
    await settle(
      () =>
        server.connections().open === 0 &&
        agents.stats().active === 0 &&
        handles().sockets <= before.sockets &&
        handles().timers <= before.timers,
      2000,
    );
    expect(agents.stats()).toEqual({ origins: 1, active: 0, idle: 0, queued: 0 });
    expect(server.connections().open).toBe(0);
    const after = handles();
    expect(after.sockets).toBeLessThanOrEqual(before.sockets);
    expect(after.timers).toBeLessThanOrEqual(before.timers);
  });
});

describe('fault kinds', () => {
  const cases: { name: string; fault: Fault; kind: FhirErrorKind; code: string }[] = [
    { name: 'HTTP 500', fault: { status: 500 }, kind: 'http_5xx', code: 'transient' },
    {
      name: 'HTTP 503 with an HTML body',
      fault: { status: 503, body: '<html>down</html>' },
      kind: 'http_5xx',
      code: 'transient',
    },
    { name: 'HTTP 429', fault: { status: 429 }, kind: 'http_429', code: 'throttled' },
    { name: 'HTTP 404', fault: { status: 404 }, kind: 'http_4xx', code: 'not-found' },
    { name: 'HTTP 401', fault: { status: 401 }, kind: 'http_4xx', code: 'security' },
    { name: 'malformed JSON', fault: 'malformed', kind: 'malformed', code: 'structure' },
    { name: 'an OperationOutcome with 200', fault: 'outcome', kind: 'outcome', code: 'processing' },
    { name: 'a Bundle of type collection', fault: 'wrong-bundle', kind: 'wrong_bundle', code: 'structure' },
  ];

  test.each(cases)('$name on a required query (MedicationRequest) → 412 ($kind)', async ({ fault, kind, code }) => {
    server.setFault({ resourceType: 'MedicationRequest', match: (r) => r.query.get('status') === 'active', fault });
    const [result, ms] = await timed(gather());
    expect(ms).toBeLessThan(1500);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toEqual(['medicationRequests']);
    expect(result.outcome.issue).toHaveLength(1);
    expect(result.outcome.issue[0]?.code).toBe(code);
    expect(errors).toEqual([kind]);
  });

  test.each(cases)('$name on an optional query (Condition) → notChecked ($kind)', async ({ fault, kind }) => {
    server.setFault({ resourceType: 'Condition', fault });
    const result = await gather();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.notChecked).toEqual(['conditions']);
    expect(result.record.conditions).toEqual([]);
    expect(errors).toEqual([kind]);
  });

  test('a Bundle answering the Patient read is malformed', async () => {
    server.setFault({ resourceType: 'Patient', fault: 'wrong-bundle' });
    const result = await gather();
    expect(result.ok).toBe(false);
    expect(errors).toEqual(['malformed']);
  });

  test('an endless next chain stops at the page limit (too_many_pages)', async () => {
    server.setFault({ resourceType: 'FamilyMemberHistory', fault: 'endless-next' });
    const result = await gather({}, { maxPages: 4 });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.notChecked).toEqual(['familyHistory']);
    expect(server.requests.filter((r) => r.resourceType === 'FamilyMemberHistory')).toHaveLength(4);
    expect(errors).toEqual(['too_many_pages']);
  });

  test('an endless next chain on required data → 412 (too-costly) after the default 10 pages', async () => {
    server.setFault({
      resourceType: 'MedicationRequest',
      match: (r) => r.query.get('status') === 'active',
      fault: 'endless-next',
    });
    const result = await gather();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.outcome.issue[0]?.code).toBe('too-costly');
    expect(server.requests.filter(activeOrders)).toHaveLength(10);
  });

  test('a dropped connection is retried once; a second drop is a network failure', async () => {
    server.setFault({
      resourceType: 'MedicationRequest',
      match: (r) => r.query.get('status') === 'active',
      fault: 'drop',
    });
    const result = await gather();
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.outcome.issue[0]?.code).toBe('transient');
    expect(server.requests.filter(activeOrders)).toHaveLength(2);
    expect(errors).toEqual(['network', 'network']);
  });

  test('a connection dropped once is retried and the data arrives', async () => {
    const clean = await gather();
    if (!clean.ok) throw new Error('expected data');
    server.clearRequests();
    server.setFault({ resourceType: 'Condition', fault: 'drop', times: 1 });
    const result = await gather();
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.record.notChecked).toEqual([]);
    expect(result.record.conditions.length).toBeGreaterThan(0);
    expect(result.record.conditions).toEqual(clean.record.conditions);
    expect(server.requests.filter((r) => r.resourceType === 'Condition')).toHaveLength(2);
    expect(errors).toEqual(['network']);
  });

  test('no retry once the deadline has passed', async () => {
    server.setFault({
      resourceType: 'MedicationRequest',
      match: (r) => r.query.get('status') === 'active',
      fault: 'drop',
      delayMs: 120,
    });
    const result = await gather({ deadlineMs: 100 });
    expect(result.ok).toBe(false);
    expect(server.requests.filter(activeOrders)).toHaveLength(1);
  });

  test('HTTP 500 is not retried', async () => {
    server.setFault({
      resourceType: 'MedicationRequest',
      match: (r) => r.query.get('status') === 'active',
      fault: { status: 500 },
    });
    await gather();
    expect(server.requests.filter(activeOrders)).toHaveLength(1);
  });

  test('a server refusing connections: 412 at once (network)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const [result, ms] = await timed(gather({ fhirServer: `http://127.0.0.1:${port}/fhir` }));
    expect(ms).toBeLessThan(500);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.missing).toEqual(['patient', 'dxa', 'medicationRequests']);
    expect(errors.every((k) => k === 'network')).toBe(true);
  });

  test('a redirect is not followed (the target is never contacted)', async () => {
    server.setFault({
      resourceType: 'Condition',
      fault: { status: 302, headers: { location: `${other.baseUrl}/Condition?patient=${patientId}` }, body: '' },
    });
    other.clearRequests();
    const result = await gather();
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.record.notChecked).toEqual(['conditions']);
    expect(other.requests).toHaveLength(0);
    expect(errors).toEqual(['redirect']);
  });
});

describe('connections and credentials', () => {
  test('keep-alive: five gatherings share one set of connections', async () => {
    const opened = server.connections().opened;
    for (let i = 0; i < 5; i++) expect((await gather()).ok).toBe(true);
    expect(server.requests).toHaveLength(5 * DATA_KEYS.length);
    expect(server.connections().opened - opened).toBeLessThanOrEqual(DATA_KEYS.length);
    const perConnection = new Map<number, number>();
    for (const r of server.requests) perConnection.set(r.connection, (perConnection.get(r.connection) ?? 0) + 1);
    expect(Math.max(...perConnection.values())).toBeGreaterThanOrEqual(5);
  });

  test('the token goes only to fhirServer, as a bearer header, never into the gathered record or outcome', async () => {
    server.setFault({
      resourceType: 'MedicationRequest',
      match: (r) => r.query.get('status') === 'active',
      fault: { status: 500 },
    });
    const result = await gather();
    for (const r of server.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(JSON.stringify(result)).not.toContain(TOKEN);
    expect(JSON.stringify(result)).not.toContain(patientId);
  });
});
