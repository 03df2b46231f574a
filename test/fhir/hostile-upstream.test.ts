/**
 * A hostile FHIR server against the real service in its own process, run as shipped (worker
 * thread, V8 flags and malloc settings of the image): compression bombs, an oversized searchset,
 * a Patient read that answers with someone else. Each call must be answered by the deadline with
 * a 412 or with cards that say what was not checked, and the process must stay alive with its
 * memory back near where it was: nothing may go on reading or inflating after the answer.
 *
 * Memory is the process's RSS (all threads) from /proc. `--expose-gc` and a preload that
 * collects on SIGUSR2, in the main thread and the worker, make "back near the baseline" a
 * statement about what is still held, not about when V8 chose to collect.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { launcherSettings } from '../support/launcher-settings.js';
import { DATA_KEY_LABELS } from '../../src/cards/format.js';
import { removeTranspiled, transpiledSources } from '../store/support/transpile.js';
import { startFhirServer, type FaultRule, type TestFhirServer } from '../support/fhir-server.js';
import { bomb, hugeSearchset, sendChunked, sendEncoded } from '../support/hostile-payloads.js';
import { resourcesOf } from '../support/prefetch-resources.js';
import { listeningPort, runServer, type RunningServer } from '../support/server-process.js';
import { example } from '../http/support/app.js';
import { expectWellFormedCards } from '../http/support/cards.js';

const MiB = 1024 * 1024;
/**
 * Long enough that on a loaded machine the size limits, not the deadline, end the hostile answers
 * (what is under test here; test/faults covers the deadline itself).
 */
const TIMEOUT_MS = 8000;
/** The answer's own work after the deadline (the 412 or the cards), as the service measures it. */
const SLACK_MS = 100;
/** The issue's bar: after a hostile answer the process holds at most this much more than before. */
const MEMORY_SLACK = 50 * MiB;
const PATIENT = 'example-anastrozole-70f';

/** Collects on SIGUSR2 in the main thread and, through a BroadcastChannel, in every worker. */
const GC_PRELOAD = `
import { isMainThread } from 'node:worker_threads';
const channel = new BroadcastChannel('test-gc');
channel.unref();
if (isMainThread) process.on('SIGUSR2', () => { globalThis.gc(); channel.postMessage('gc'); });
else channel.onmessage = () => globalThis.gc();
`;

let fhir: TestFhirServer;
let service: RunningServer;
let port: number;
let preload: string;
let gzipBomb: Buffer;
let deflateBomb: Buffer;
let huge: Buffer;

interface Memory {
  rss: number;
  /** Peak RSS since the last reset (VmHWM). */
  peak: number;
}

function memory(): Memory {
  const status = readFileSync(`/proc/${service.child.pid}/status`, 'utf8');
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]) * 1024;
  return { rss: kib('VmRSS'), peak: kib('VmHWM') };
}

/** Starts a new peak (VmHWM) from here. */
function resetPeak(): void {
  writeFileSync(`/proc/${service.child.pid}/clear_refs`, '5');
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function collected(): Promise<number> {
  service.child.kill('SIGUSR2');
  await sleep(150);
  return memory().rss;
}

interface Answer {
  status: number;
  body: any;
  /** As the caller measured it. */
  ms: number;
  /** As the service measured it (its access log), from the request's arrival, where the deadline counts from. */
  serviceMs: number;
}

function accessLog(): { ms: number }[] {
  return service
    .stdout()
    .split('\n')
    .filter((l) => l.includes('"path":"/cds-services/aibl-order-sign"') && l.includes('"msg":"request"'))
    .map((l) => JSON.parse(l) as { ms: number });
}

async function call(fault?: FaultRule | FaultRule[]): Promise<Answer> {
  const logged = accessLog().length;
  fhir.setFault(fault);
  const body = example('order-sign');
  delete body.prefetch;
  body.fhirServer = fhir.baseUrl;
  const t0 = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/cds-services/aibl-order-sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  const json = await res.json();
  const ms = performance.now() - t0;
  for (let i = 0; i < 100 && accessLog().length === logged; i++) await sleep(10);
  return { status: res.status, body: json, ms, serviceMs: accessLog()[logged]?.ms ?? Infinity };
}

async function expectAliveAndServing(): Promise<void> {
  expect(service.child.exitCode).toBeNull();
  expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
  const normal = await call();
  expect(normal.status).toBe(200);
  expect(JSON.stringify(normal.body)).not.toContain('Not checked');
}

const figures: string[] = [];

/**
 * Runs one hostile call: the baseline after a collection, the call, then — within a second of
 * the answer — the RSS back within MEMORY_SLACK of the baseline.
 */
async function hostile(name: string, fault: FaultRule | FaultRule[]): Promise<Answer> {
  const baseline = await collected();
  resetPeak();
  const res = await call(fault);
  const answeredAt = performance.now();
  fhir.setFault();
  const peak = memory().peak;
  let after = await collected();
  while (after > baseline + MEMORY_SLACK && performance.now() - answeredAt < 1000) after = await collected();
  const settledMs = Math.round(performance.now() - answeredAt);
  figures.push(
    `${name}: ${res.status} in ${res.serviceMs} ms (${Math.round(res.ms)} at the caller); RSS baseline ${(baseline / MiB).toFixed(1)} MiB, ` +
      `peak ${(peak / MiB).toFixed(1)}, after ${(after / MiB).toFixed(1)} (${settledMs} ms after the answer)`,
  );
  expect(after - baseline).toBeLessThanOrEqual(MEMORY_SLACK);
  expect(performance.now() - answeredAt).toBeLessThan(1000 + 200);
  return res;
}

beforeAll(async () => {
  [gzipBomb, deflateBomb] = await Promise.all([bomb('gzip'), bomb('deflate')]);
  huge = hugeSearchset(PATIENT, 55 * 1000 * 1000);
  fhir = await startFhirServer({ fixtures: [], resources: resourcesOf(example('order-sign')) });
  const build = transpiledSources();
  preload = join(build, 'gc-preload.mjs');
  writeFileSync(preload, GC_PRELOAD);
  service = runServer(
    join(build, 'src', 'server.js'),
    { ...launcherSettings().env, NODE_ENV: 'development', FHIR_TIMEOUT_MS: String(TIMEOUT_MS) },
    [...launcherSettings().flags, '--expose-gc', '--import', preload],
  );
  port = await listeningPort(service);
  // Warm: the worker loaded, connections open, code compiled, as in a service that has run a while.
  // The first calls may miss the deadline while everything compiles (the worker, the FHIR server).
  let answered = 0;
  for (let i = 0; i < 30 && answered < 5; i++) if ((await call()).status === 200) answered += 1;
  expect(answered).toBe(5);
}, 120_000);

afterAll(async () => {
  service?.child.kill('SIGKILL');
  await service?.exited;
  await fhir?.close();
  removeTranspiled();
  // The figures a reader of this suite wants: what the process held before, at most, and after.
  process.stdout.write(`hostile-upstream memory:\n  ${figures.join('\n  ')}\n`);
});

test('the bombs are what they claim: ~2 MB on the wire, 2 GiB inflated', () => {
  for (const b of [gzipBomb, deflateBomb]) {
    expect(b.length).toBeGreaterThan(1 * MiB);
    expect(b.length).toBeLessThan(4 * MiB);
  }
  expect(huge.length).toBeGreaterThanOrEqual(55 * 1000 * 1000);
  expect(() => JSON.parse(huge.toString('utf8'))).not.toThrow();
});

test('a 2 GiB gzip bomb answering every query: 412 by the deadline, the process alive at its baseline', async () => {
  const res = await hostile('gzip bomb, every query', {
    fault: { respond: (_req, r) => sendEncoded(r, 'gzip', gzipBomb) },
  });
  expect(res.serviceMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(res.status).toBe(412);
  expect(res.body.resourceType).toBe('OperationOutcome');
  const tooLarge = res.body.issue.filter((i: { code: string }) => i.code === 'too-costly');
  expect(tooLarge.length).toBeGreaterThan(0);
  // Nine answers inflate side by side: one passes 32 MiB alone, or together they pass 64 MiB first.
  expect(tooLarge[0].diagnostics).toMatch(/FHIR_MAX_(RESPONSE|REQUEST)_BYTES/);
  // The operator learns which server and path, never the query (it names the patient).
  const logged = service
    .stdout()
    .split('\n')
    .filter((l) => l.includes('FHIR answer over the size limit'));
  expect(logged.length).toBeGreaterThan(0);
  const line = JSON.parse(logged[0]!) as Record<string, unknown>;
  expect(line['fhirHost']).toBe(new URL(fhir.baseUrl).host);
  expect([
    { limit: 'response', limitBytes: 32 * MiB },
    { limit: 'request', limitBytes: 64 * MiB },
  ]).toContainEqual({
    limit: line['limit'],
    limitBytes: line['limitBytes'],
  });
  expect(String(line['fhirPath'])).toMatch(/^\/fhir\/[A-Za-z]+(\/\{id\})?$/);
  expect(logged.join('\n')).not.toContain(PATIENT);
  expect(logged.join('\n')).not.toContain('?');
  await expectAliveAndServing();
});

test('a 2 GiB deflate bomb on an optional query (Conditions): cards by the deadline saying conditions were not checked', async () => {
  const res = await hostile('deflate bomb, Condition', {
    resourceType: 'Condition',
    fault: { respond: (_req, r) => sendEncoded(r, 'deflate', deflateBomb) },
  });
  expect(res.serviceMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(res.status).toBe(200);
  expectWellFormedCards(res.body, PATIENT);
  expect(res.body.cards.length).toBeGreaterThan(0);
  for (const card of res.body.cards) {
    expect(card.detail).toContain(`**Not checked** (could not be retrieved): ${DATA_KEY_LABELS.conditions}.`);
  }
  await expectAliveAndServing();
});

test('a 55 MB searchset (valid JSON, streamed without a length) for required DXA results: 412, memory back', async () => {
  const res = await hostile('55 MB searchset, Observation', {
    resourceType: 'Observation',
    fault: { respond: (_req, r) => sendChunked(r, huge) },
  });
  expect(res.serviceMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(res.status).toBe(412);
  expect(res.body.issue).toEqual(
    expect.arrayContaining([expect.objectContaining({ code: 'too-costly', expression: ['prefetch.dxa'] })]),
  );
  await expectAliveAndServing();
});

test('a 55 MB searchset for optional procedures: cards saying procedures were not checked', async () => {
  const res = await hostile('55 MB searchset, Procedure', {
    resourceType: 'Procedure',
    fault: { respond: (_req, r) => sendChunked(r, huge) },
  });
  expect(res.serviceMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
  expect(res.status).toBe(200);
  expect(res.body.cards.length).toBeGreaterThan(0);
  for (const card of res.body.cards) {
    expect(card.detail).toContain(`**Not checked** (could not be retrieved): ${DATA_KEY_LABELS.procedures}.`);
  }
  await expectAliveAndServing();
});

describe('a Patient read answered with someone else', () => {
  const otherPatient = {
    resourceType: 'Patient',
    id: 'someone-else',
    gender: 'female',
    birthDate: '1940-01-01',
    name: [{ family: 'Other', given: ['Person'] }],
  };

  test.each([
    ['another id', otherPatient, 'another patient'],
    [
      'the right id, merged into another record (replaced-by)',
      { ...otherPatient, id: PATIENT, link: [{ type: 'replaced-by', other: { reference: 'Patient/someone-else' } }] },
      'merged into another',
    ],
  ])('%s: 412 naming the Patient, no cards about anyone', async (_name, patient, why) => {
    const res = await call({ resourceType: 'Patient', fault: { status: 200, body: patient } });
    expect(res.serviceMs).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(res.status).toBe(412);
    const patientIssues = res.body.issue.filter(
      (i: { expression: string[] }) => i.expression[0] === 'prefetch.patient',
    );
    expect(patientIssues).toEqual([expect.objectContaining({ code: 'structure' })]);
    expect(patientIssues[0].diagnostics).toContain(why);
    expect(JSON.stringify(res.body)).not.toContain('someone-else');
    await expectAliveAndServing();
  });
});
