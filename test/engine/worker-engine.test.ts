/**
 * The service as server.ts runs it: calls answered by a WorkerEngine on a real worker thread
 * (service-worker.js from the transpiled sources; jest runs the .ts sources, which a worker cannot
 * load). Each behaviour of the service call is held equal to the in-thread engine the rest of the
 * suite exercises, and what only the split can get wrong is checked here: bytes handed over,
 * events and FHIR error counts coming back to the main thread's log and metrics, the deadline and
 * the client going away reaching FHIR calls made in the worker, and a worker that dies.
 */
import { DATA_KEYS } from '../../src/core/patient-record.js';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { resourcesOf } from '../support/prefetch-resources.js';
import request from 'supertest';
import { createAuthenticator } from '../../src/auth/create-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { defaultPolicy } from '../../src/core/index.js';
import type { CallAnswer } from '../../src/hooks/answer.js';
import { WorkerEngine, type WorkerEngineOptions } from '../../src/engine/worker-engine.js';
import { WorkerPool, type PoolMember } from '../../src/engine/worker-pool.js';
import { createLogger } from '../../src/logger.js';
import { makeKey, mint } from '../auth/support.js';
import { transpiledSources } from '../store/support/transpile.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { BASE_URL, example, testApp, type TestApp, type TestAppOptions } from '../http/support/app.js';

const SIGN = '/cds-services/aibl-order-sign';
const TIMEOUT_MS = 150;
const LATE_MS = 50;
/** CPU starvation allowance on a shared 2-core CI machine (as in test/perf/deadline.test.ts). */
const LOAD_SLACK_MS = 200;

let workerUrl: URL;
let fhir: TestFhirServer;
const engines: WorkerEngine[] = [];
const servers: Server[] = [];

function engine(opts: Partial<WorkerEngineOptions> = {}): WorkerEngine {
  const e = new WorkerEngine({ policy: defaultPolicy, logger: createLogger({ level: 'silent' }), workerUrl, ...opts });
  engines.push(e);
  return e;
}

function workerApp(
  opts: TestAppOptions & { engineOptions?: Partial<WorkerEngineOptions> } = {},
): TestApp & { engine: WorkerEngine } {
  const { engineOptions, ...rest } = opts;
  const e = engine(engineOptions);
  return { ...testApp({ ...rest, engine: e }), engine: e };
}

async function listen(t: TestApp): Promise<string> {
  const server = t.app.listen(0, '127.0.0.1');
  servers.push(server);
  await new Promise<void>((r) => server.once('listening', () => r()));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Card and suggestion uuids are fresh per answer; everything else must match. */
function withoutUuids(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value), (key, v: unknown) => (key === 'uuid' ? '(uuid)' : v));
}

function fallbackBody(): Record<string, any> {
  const body = example('order-sign');
  delete body.prefetch;
  body.fhirServer = fhir.baseUrl;
  return body;
}

async function settle(until: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!until() && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
}

beforeAll(async () => {
  workerUrl = pathToFileURL(join(transpiledSources(), 'src', 'engine', 'service-worker.js'));
  fhir = await startFhirServer({ fixtures: [], resources: resourcesOf(example('order-sign')) });
});
afterEach(() => fhir.setFault(undefined));
afterAll(async () => {
  for (const s of servers) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
  await Promise.all(engines.map((e) => e.close()));
  await fhir.close();
});

describe('a worker engine answers as the in-thread engine does', () => {
  let w: ReturnType<typeof workerApp>;
  let inThread: TestApp;
  beforeAll(() => {
    w = workerApp();
    inThread = testApp();
  });

  test('order-sign with prefetch: the same cards, headers, and cards recorded', async () => {
    const body = example('order-sign');
    const [a, b] = await Promise.all([
      request(w.app).post(SIGN).send(body),
      request(inThread.app).post(SIGN).send(body),
    ]);
    expect(a.status).toBe(200);
    expect(a.body.cards.map((c: any) => c.source.topic.code)).toEqual([
      'baseline-dxa',
      'bone-agent',
      'calcium-vitamin-d',
    ]);
    expect(withoutUuids(a.body)).toEqual(withoutUuids(b.body));
    expect(a.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(a.headers['cache-control']).toBe('no-store');
    expect(a.headers['x-request-id']).toBeDefined();
    const recorded = await w.store.summary({ serviceId: 'aibl-order-sign' });
    expect(recorded.map((s) => [s.topic, s.issued]).sort()).toEqual([
      ['baseline-dxa', 1],
      ['bone-agent', 1],
      ['calcium-vitamin-d', 1],
    ]);
  });

  test('the SMART launch URL reaches the worker: its cards link to the bone-health view as the in-thread ones do', async () => {
    const smart = {
      clientId: 'bone-view',
      launchUrl: 'https://cds.test.example/smart/launch',
      connectSrc: ['https://fhir.example.org'],
    };
    const linked = workerApp({ smart, engineOptions: { smartLaunchUrl: smart.launchUrl } });
    const body = example('order-sign');
    const [a, b] = await Promise.all([
      request(linked.app).post(SIGN).send(body),
      request(testApp({ smart }).app).post(SIGN).send(body),
    ]);
    expect(a.status).toBe(200);
    expect(withoutUuids(a.body)).toEqual(withoutUuids(b.body));
    const baseline = a.body.cards.find((c: any) => c.source.topic.code === 'baseline-dxa');
    expect(baseline.links).toContainEqual({
      label: 'Open bone health view',
      url: smart.launchUrl,
      type: 'smart',
      appContext: 'baseline-dxa',
    });
  });

  test('no aromatase-inhibitor order: no cards, nothing recorded', async () => {
    const body = example('order-sign');
    body.context.draftOrders.entry = body.context.draftOrders.entry.filter(
      (e: any) => e.resource.resourceType !== 'MedicationRequest',
    );
    const res = await request(w.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });

  test.each([
    ['malformed JSON', '{"hook": "order-sign",', 'application/json'],
    ['a JSON string, not an object', '"order-sign"', 'application/json'],
    ['an empty body', '', 'application/json'],
    [
      'a body without context',
      JSON.stringify({ hook: 'order-sign', hookInstance: 'd1577c69-dfbe-44ad-ba6d-3e05e953b2ea' }),
      'application/json',
    ],
    ['a body in a charset JSON does not allow', '{}', 'application/json; charset=iso-8859-1'],
    ['a body that is not JSON at all', 'hello', 'text/plain'],
  ])('%s: the same error answer', async (_label, raw, type) => {
    const [a, b] = await Promise.all([
      request(w.app).post(SIGN).set('content-type', type).send(raw),
      request(inThread.app).post(SIGN).set('content-type', type).send(raw),
    ]);
    expect(a.status).toBeGreaterThanOrEqual(400);
    expect(a.status).toBe(b.status);
    expect(a.body).toEqual(b.body);
    expect(a.body.resourceType).toBe('OperationOutcome');
  });

  test('a UTF-16 body with a byte-order mark, as body-parser reads one: the same cards', async () => {
    const base = await listen(w);
    const utf16 = Buffer.from(`\ufeff${JSON.stringify(example('order-sign'))}`, 'utf16le');
    const res = await fetch(base + SIGN, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-16le' },
      body: utf16,
    });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { cards: unknown[] }).cards).toHaveLength(3);
  });

  test('an invalid call is logged with its paths and request id, from the worker through the main logger', async () => {
    const body = example('order-sign');
    delete body.context.patientId;
    const res = await request(w.app).post(SIGN).set('x-request-id', 'worker-invalid-1').send(body);
    expect(res.status).toBe(400);
    const line = w.logLines().find((l) => l.msg === 'invalid service call' && l.reqId === 'worker-invalid-1');
    expect(line?.invalid).toEqual(['context.patientId']);
  });

  test('FHIR fallback (no prefetch) against the test FHIR server: the same cards', async () => {
    const body = fallbackBody();
    const [a, b] = await Promise.all([
      request(w.app).post(SIGN).send(body),
      request(inThread.app).post(SIGN).send(body),
    ]);
    expect(a.status).toBe(200);
    expect(a.body.cards.length).toBeGreaterThan(0);
    expect(withoutUuids(a.body)).toEqual(withoutUuids(b.body));
  });

  test('/readyz waits for the worker', async () => {
    const res = await request(w.app).get('/readyz');
    expect(res.status).toBe(200);
  });
});

describe('authentication and the fhirServer allow-list with a worker engine', () => {
  test('a signed client sending an fhirServer it may not use: 403, and the FHIR server is never contacted', async () => {
    const key = await makeKey('ES384');
    const iss = 'https://worker-ehr.test.example';
    const authenticator = createAuthenticator({
      clients: [{ iss, jwks: { keys: [key.publicJwk] }, fhirServers: ['https://worker-ehr.test.example/fhir'] }],
      replayStore: new MemoryReplayStore(),
    });
    const w = workerApp({ authenticator });
    const seen = fhir.requests.length;
    const res = await request(w.app)
      .post(SIGN)
      .set('authorization', `Bearer ${await mint(key, iss, `${BASE_URL}${SIGN}`)}`)
      .send(fallbackBody());
    expect(res.status).toBe(403);
    expect(res.body.issue[0].expression).toEqual(['fhirServer']);
    expect(fhir.requests.length).toBe(seen);
  });
});

describe('a FHIR server that never answers, with a worker engine', () => {
  let w: ReturnType<typeof workerApp>;
  let base: string;
  beforeAll(async () => {
    w = workerApp({ config: { fhirTimeoutMs: TIMEOUT_MS } });
    base = await listen(w);
  });

  function post(body: unknown): Promise<{ status: number; body: any; ms: number }> {
    const t0 = performance.now();
    return fetch(base + SIGN, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: await res.json(), ms: performance.now() - t0 }));
  }

  test('412 by the deadline, the timeouts counted in the main thread metrics and logged with the request id', async () => {
    fhir.setFault({ fault: 'hang' });
    await post(fallbackBody()); // warm: the worker's first FHIR calls load their code
    const before = (await w.metrics.registry.getSingleMetric('aibl_fhir_errors_total')?.get())?.values ?? [];
    const timeoutsBefore = before.find((v) => v.labels.kind === 'timeout')?.value ?? 0;
    const a = await post(fallbackBody());
    expect(a.status).toBe(412);
    expect(a.ms).toBeLessThan(TIMEOUT_MS + LATE_MS + LOAD_SLACK_MS);
    expect(a.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(a.body.issue.map((i: any) => i.code)).toEqual(['timeout', 'timeout', 'timeout']);
    const after = (await w.metrics.registry.getSingleMetric('aibl_fhir_errors_total')?.get())?.values ?? [];
    expect(after.find((v) => v.labels.kind === 'timeout')?.value).toBe(timeoutsBefore + DATA_KEYS.length);
    const line = w
      .logLines()
      .filter((l) => l.msg === 'required data unavailable')
      .at(-1);
    expect(line?.missing).toEqual(['patient', 'dxa', 'medicationRequests']);
    expect(typeof line?.reqId).toBe('string');
  });

  test('200 calls, 10 at a time: all answered near the deadline, then no connection is left open on the FHIR server', async () => {
    fhir.setFault({ fault: 'hang' });
    const answers: { status: number; ms: number }[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        while (next++ < 200) answers.push(await post(fallbackBody()));
      }),
    );
    expect(answers.filter((a) => a.status === 412)).toHaveLength(200);
    const sorted = answers.map((a) => a.ms).sort((x, y) => x - y);
    expect(sorted[100]).toBeLessThan(TIMEOUT_MS + LATE_MS + LOAD_SLACK_MS);
    expect(Math.max(...sorted)).toBeLessThan(TIMEOUT_MS + 1000);
    await settle(() => fhir.connections().open === 0);
    expect(fhir.connections().open).toBe(0);
  });
});

describe('the client going away, with a worker engine', () => {
  test('aborts the FHIR calls in the worker long before the deadline', async () => {
    const w = workerApp({ config: { fhirTimeoutMs: 20_000 } });
    const base = await listen(w);
    fhir.setFault({ fault: 'hang' });
    const seen = fhir.requests.length;
    const data = JSON.stringify(fallbackBody());
    const req = httpRequest(base + SIGN, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) },
    });
    req.on('error', () => undefined);
    req.end(data);
    await settle(() => fhir.requests.length >= seen + 9 && fhir.connections().open >= 9);
    expect(fhir.connections().open).toBeGreaterThanOrEqual(9);
    const gone = performance.now();
    req.destroy();
    await settle(() => fhir.connections().open === 0);
    expect(fhir.connections().open).toBe(0);
    expect(performance.now() - gone).toBeLessThan(2000);
  });
});

describe('a worker that dies', () => {
  test('fails its calls with a 500 naming the request id; the process and the next worker carry on', async () => {
    // Too small an old generation to hold the service's code: a real out-of-memory exit.
    const w = workerApp({ engineOptions: { resourceLimits: { maxOldGenerationSizeMb: 2 } } });
    const res = await request(w.app).post(SIGN).set('x-request-id', 'dying-worker-1').send(example('order-sign'));
    expect(res.status).toBe(500);
    expect(res.body.issue[0].diagnostics).toBe('Internal error; request id dying-worker-1');
    expect((await request(w.app).get('/healthz')).status).toBe(200);
    expect((await request(w.app).get('/readyz')).status).toBe(503);
    // A new worker is tried for the next call (here it dies the same way): answered, not hung.
    const again = await request(w.app).post(SIGN).send(example('order-sign'));
    expect(again.status).toBe(500);
  });

  test('a worker stuck in a loop is terminated by the watchdog: its call gets a 500, the process carries on', async () => {
    // A real service worker cannot be made to hang, so this one is a stand-in that never yields
    // after its first call (the only stand-in in this file).
    const dir = mkdtempSync(join(tmpdir(), 'aibl-stuck-worker-'));
    const stuck = join(dir, 'stuck-worker.mjs');
    writeFileSync(
      stuck,
      "import { parentPort } from 'node:worker_threads';\nparentPort.on('message', (m) => { if (m.type === 'call') for (;;); });\nparentPort.postMessage({ type: 'ready' });\n",
    );
    try {
      const w = workerApp({ engineOptions: { workerUrl: pathToFileURL(stuck), stallMs: 300 } });
      const t0 = performance.now();
      const res = await request(w.app).post(SIGN).send(example('order-sign'));
      expect(res.status).toBe(500);
      expect(performance.now() - t0).toBeLessThan(3000);
      expect((await request(w.app).get('/healthz')).status).toBe(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a busy but healthy worker is not mistaken for a stuck one', async () => {
    // A ping waits behind the calls queued before it: 40 at once, each tens of ms on a cold worker
    // here, must not look like a stall of 2 s.
    const w = workerApp({ engineOptions: { stallMs: 2000 } });
    await w.engine.ready();
    const answers = await Promise.all(
      Array.from({ length: 40 }, () => request(w.app).post(SIGN).send(example('order-sign'))),
    );
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 40 }, () => 200));
  });

  test('a closed engine refuses calls and readiness', async () => {
    const e = engine();
    await e.ready();
    await e.close();
    await expect(e.ready()).rejects.toThrow('closed');
  });
});

describe('a pool of workers (SERVICE_WORKERS > 1)', () => {
  /** A real engine, counting the calls the pool gives it. */
  function counted(e: WorkerEngine): PoolMember & { calls: number } {
    const m = {
      calls: 0,
      get inFlight() {
        return e.inFlight;
      },
      answer: (...args: Parameters<WorkerEngine['answer']>) => {
        m.calls += 1;
        return e.answer(...args);
      },
      ready: () => e.ready(),
      close: () => e.close(),
    };
    return m;
  }

  test('two real workers answer 20 concurrent calls as the in-thread engine does, both taking calls', async () => {
    const members = [counted(engine()), counted(engine())];
    const pool = new WorkerPool(members);
    await pool.ready();
    const w = testApp({ engine: pool });
    const inThread = testApp();
    const body = example('order-sign');
    const expected = withoutUuids((await request(inThread.app).post(SIGN).send(body)).body);
    const answers = await Promise.all(Array.from({ length: 20 }, () => request(w.app).post(SIGN).send(body)));
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: 20 }, () => 200));
    for (const a of answers) expect(withoutUuids(a.body)).toEqual(expected);
    expect(members.map((m) => m.calls).reduce((x, y) => x + y)).toBe(20);
    expect(Math.min(...members.map((m) => m.calls))).toBeGreaterThan(0);
    expect((await request(w.app).get('/readyz')).status).toBe(200);
  });

  test('a member whose worker dies fails only its own calls; the other keeps answering', async () => {
    const dying = counted(engine({ resourceLimits: { maxOldGenerationSizeMb: 2 } }));
    const healthy = counted(engine());
    await healthy.ready();
    const w = testApp({ engine: new WorkerPool([dying, healthy]) });
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await request(w.app).post(SIGN).send(example('order-sign'))).status);
    // One at a time, so ties rotate: the members alternate.
    expect(dying.calls).toBe(3);
    expect(healthy.calls).toBe(3);
    expect(statuses.filter((s) => s === 200)).toHaveLength(3);
    expect(statuses.filter((s) => s === 500)).toHaveLength(3);
    expect((await request(w.app).get('/healthz')).status).toBe(200);
    // Not ready while a member cannot start its worker: the pool lacks the capacity it reports.
    expect((await request(w.app).get('/readyz')).status).toBe(503);
  });

  describe('dispatch', () => {
    // The policy alone, with members that only report a load and record calls.
    const answer: CallAnswer = { status: 200, json: new Uint8Array(), hookInstance: 'h', issued: [] };
    function member(name: string, inFlight: number, log: string[]): PoolMember {
      return {
        inFlight,
        answer: () => {
          log.push(name);
          return Promise.resolve(answer);
        },
        ready: () => Promise.resolve(),
        close: () => Promise.resolve(),
      };
    }
    const call = { serviceId: 'aibl-order-sign', charset: 'utf-8', auth: {}, deadline: 0 };
    const events = { log: () => undefined, fhirError: () => undefined };

    test('each call goes to the member with the fewest calls in flight', async () => {
      const log: string[] = [];
      const pool = new WorkerPool([member('a', 3, log), member('b', 1, log), member('c', 2, log)]);
      for (let i = 0; i < 3; i++) await pool.answer(call, events, new AbortController().signal);
      expect(log).toEqual(['b', 'b', 'b']);
    });

    test('ties rotate over the members', async () => {
      const log: string[] = [];
      const pool = new WorkerPool([member('a', 0, log), member('b', 0, log), member('c', 0, log)]);
      for (let i = 0; i < 6; i++) await pool.answer(call, events, new AbortController().signal);
      expect(log).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    });

    test('ready waits for every member and fails with any; an empty pool is refused', async () => {
      const slow = { ...member('s', 0, []), ready: () => new Promise<void>((r) => setTimeout(r, 50)) };
      let done = false;
      const ready = new WorkerPool([member('a', 0, []), slow]).ready().then(() => (done = true));
      await new Promise((r) => setTimeout(r, 10));
      expect(done).toBe(false);
      await ready;
      expect(done).toBe(true);
      const broken = { ...member('x', 0, []), ready: () => Promise.reject(new Error('worker stopped')) };
      await expect(new WorkerPool([member('a', 0, []), broken]).ready()).rejects.toThrow('worker stopped');
      expect(() => new WorkerPool([])).toThrow('at least one member');
    });

    test('close closes every member, even when one fails', async () => {
      const closed: string[] = [];
      const m = (name: string, fail = false): PoolMember => ({
        ...member(name, 0, []),
        close: () => {
          closed.push(name);
          return fail ? Promise.reject(new Error(`${name} failed`)) : Promise.resolve();
        },
      });
      await expect(new WorkerPool([m('a'), m('b', true), m('c')]).close()).rejects.toThrow('b failed');
      expect(closed).toEqual(['a', 'b', 'c']);
    });
  });
});
