/**
 * The whole service (real HTTP, real app) calling a real loopback FHIR server made to misbehave,
 * one fault at a time, with no prefetch: every fault ends within the deadline as a 412 naming the
 * required input (with the right issue code) or as cards that say what was not checked, `/metrics`
 * counts the failed FHIR calls by kind, and `/healthz` still answers.
 *
 * test/fhir/gather-faults.test.ts holds the gathering itself to the same faults; this file checks
 * what an EHR and an operator see of them.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { resourcesOf } from '../support/prefetch-resources.js';
import { DATA_KEY_LABELS } from '../../src/cards/format.js';
import { defaultPolicy } from '../../src/core/index.js';
import { InProcessEngine } from '../../src/engine/engine.js';
import type { FhirErrorKind } from '../../src/fhir/errors.js';
import { startFhirServer, type Fault, type FaultRule, type TestFhirServer } from '../support/fhir-server.js';
import { example, testApp } from '../http/support/app.js';
import { expectWellFormedCards, topics } from '../http/support/cards.js';

const TIMEOUT_MS = 400;
/** Scheduling slack on a loaded two-core machine; the issue allows FHIR_TIMEOUT_MS + 50 ms. */
const SLACK_MS = 50;
const PATIENT = 'example-anastrozole-70f';
const FULL_TOPICS = ['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info'];

let fhir: TestFhirServer;
let server: Server;
let base: string;
let engine: InProcessEngine;

/** The example order-sign call without prefetch: every input comes from the FHIR server. */
function noPrefetch(): string {
  const body = example('order-sign');
  delete body.prefetch;
  body.fhirServer = fhir.baseUrl;
  body.fhirAuthorization = {
    access_token: 'fault-token',
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/*.read',
    subject: 'aibl-cds',
  };
  return JSON.stringify(body);
}

async function call(): Promise<{ status: number; body: any; ms: number }> {
  const t0 = performance.now();
  const res = await fetch(`${base}/cds-services/aibl-order-sign`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: noPrefetch(),
  });
  const body = await res.json();
  return { status: res.status, body, ms: performance.now() - t0 };
}

/** `aibl_fhir_errors_total` by kind, read from GET /metrics as Prometheus would. */
async function fhirErrors(): Promise<Map<string, number>> {
  const res = await fetch(`${base}/metrics`);
  expect(res.status).toBe(200);
  const text = await res.text();
  const counts = new Map<string, number>();
  for (const m of text.matchAll(/^aibl_fhir_errors_total\{kind="([a-z_0-9]+)"\} (\d+)$/gm))
    counts.set(m[1]!, Number(m[2]));
  return counts;
}

function delta(before: Map<string, number>, after: Map<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, n] of after) {
    const d = n - (before.get(kind) ?? 0);
    if (d !== 0) out[kind] = d;
  }
  return out;
}

async function expectHealthy(): Promise<void> {
  const res = await fetch(`${base}/healthz`);
  expect(res.status).toBe(200);
}

beforeAll(async () => {
  fhir = await startFhirServer({ fixtures: [], resources: resourcesOf(example('order-sign')) });
  engine = new InProcessEngine({ policy: defaultPolicy });
  const t = testApp({ config: { fhirTimeoutMs: TIMEOUT_MS }, engine });
  server = t.app.listen(0, '127.0.0.1');
  await new Promise<void>((r) => server.once('listening', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await engine.close();
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
  await fhir.close();
});
beforeEach(() => {
  fhir.setFault();
  fhir.setLatency(0);
  fhir.clearRequests();
});

interface Case {
  name: string;
  fault: Fault;
  kind: FhirErrorKind;
  /** Failed calls counted for one failing query (a dropped connection is retried once). */
  count: number;
  /** OperationOutcome issue code of the 412 when the query is a required one. */
  code: string;
}

const CASES: Case[] = [
  { name: 'HTTP 500', fault: { status: 500 }, kind: 'http_5xx', count: 1, code: 'transient' },
  { name: 'HTTP 429', fault: { status: 429 }, kind: 'http_429', count: 1, code: 'throttled' },
  { name: 'HTTP 404', fault: { status: 404 }, kind: 'http_4xx', count: 1, code: 'not-found' },
  { name: 'a dropped connection', fault: 'drop', kind: 'network', count: 2, code: 'transient' },
  { name: 'malformed JSON', fault: 'malformed', kind: 'malformed', count: 1, code: 'structure' },
  { name: 'an OperationOutcome with 200', fault: 'outcome', kind: 'outcome', count: 1, code: 'processing' },
  { name: 'a Bundle of the wrong type', fault: 'wrong-bundle', kind: 'wrong_bundle', count: 1, code: 'structure' },
  { name: 'an endless next chain', fault: 'endless-next', kind: 'too_many_pages', count: 1, code: 'too-costly' },
  { name: 'no answer at all', fault: 'hang', kind: 'timeout', count: 1, code: 'timeout' },
];

describe('a FHIR server that fails one required query (active MedicationRequests)', () => {
  test.each(CASES)(
    '$name → 412 "$code" within the deadline, counted as $kind',
    async ({ fault, kind, count, code }) => {
      const before = await fhirErrors();
      // The required query of active orders only, not the optional bone-agent orders of any status.
      fhir.setFault({ resourceType: 'MedicationRequest', match: (r) => r.query.get('status') === 'active', fault });
      const res = await call();
      expect(res.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      if (kind === 'timeout') expect(res.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
      expect(res.status).toBe(412);
      expect(res.body.resourceType).toBe('OperationOutcome');
      expect(res.body.issue).toEqual([
        expect.objectContaining({ severity: 'error', code, expression: ['prefetch.medicationRequests'] }),
      ]);
      // Neither the token nor the server's address reaches the EHR.
      expect(JSON.stringify(res.body)).not.toContain('fault-token');
      expect(JSON.stringify(res.body)).not.toContain(fhir.baseUrl);
      expect(delta(before, await fhirErrors())).toEqual({ [kind]: count });
      await expectHealthy();
    },
  );
});

describe('a FHIR server that fails one optional query (Conditions)', () => {
  test.each(CASES)(
    '$name → cards that say conditions were not checked, counted as $kind',
    async ({ fault, kind, count }) => {
      const before = await fhirErrors();
      fhir.setFault({ resourceType: 'Condition', fault });
      const res = await call();
      expect(res.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
      expect(res.status).toBe(200);
      expectWellFormedCards(res.body, PATIENT);
      expect(topics(res.body)).toEqual(FULL_TOPICS);
      for (const card of res.body.cards) {
        expect(card.detail).toContain(`**Not checked** (could not be retrieved): ${DATA_KEY_LABELS.conditions}.`);
      }
      expect(delta(before, await fhirErrors())).toEqual({ [kind]: count });
      await expectHealthy();
    },
  );
});

describe('a slow FHIR server', () => {
  test('20 ms per query: the nine queries run side by side, the full answer comes well within the deadline', async () => {
    await call(); // open the keep-alive connections
    fhir.setLatency(20);
    const before = await fhirErrors();
    const res = await call();
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(FULL_TOPICS);
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
    // One query's latency, not nine.
    expect(res.ms).toBeLessThan(9 * 20);
    expect(delta(before, await fhirErrors())).toEqual({});
  });

  test('a delay past the deadline on optional data: degraded cards by the deadline', async () => {
    const before = await fhirErrors();
    const rules: FaultRule[] = [{ resourceType: ['Condition', 'FamilyMemberHistory'], delayMs: TIMEOUT_MS * 3 }];
    fhir.setFault(rules);
    const res = await call();
    expect(res.ms).toBeGreaterThanOrEqual(TIMEOUT_MS - 5);
    expect(res.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(FULL_TOPICS);
    for (const card of res.body.cards) {
      expect(card.detail).toContain(
        `**Not checked** (could not be retrieved): ${DATA_KEY_LABELS.conditions}, ${DATA_KEY_LABELS.familyHistory}.`,
      );
    }
    expect(delta(before, await fhirErrors())).toEqual({ timeout: 2 });
    await expectHealthy();
  });

  test('a delay past the deadline on the Patient read: 412 "timeout" by the deadline', async () => {
    const before = await fhirErrors();
    fhir.setFault({ resourceType: 'Patient', delayMs: TIMEOUT_MS * 3 });
    const res = await call();
    expect(res.ms).toBeLessThan(TIMEOUT_MS + SLACK_MS);
    expect(res.status).toBe(412);
    expect(res.body.issue).toEqual([expect.objectContaining({ code: 'timeout', expression: ['prefetch.patient'] })]);
    expect(delta(before, await fhirErrors())).toEqual({ timeout: 1 });
    await expectHealthy();
  });

  test('a delay within the deadline is waited for: full cards, nothing counted', async () => {
    const before = await fhirErrors();
    fhir.setFault({ resourceType: 'Observation', delayMs: TIMEOUT_MS / 4 });
    const res = await call();
    expect(res.status).toBe(200);
    expect(res.ms).toBeGreaterThanOrEqual(TIMEOUT_MS / 4);
    expect(topics(res.body)).toEqual(FULL_TOPICS);
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
    expect(delta(before, await fhirErrors())).toEqual({});
  });
});

describe('after every fault', () => {
  test('the next clean calls get the full answer on reused connections, and nothing is left in flight', async () => {
    const res = await call();
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(FULL_TOPICS);
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
    // The first call may have replaced sockets the faults destroyed; the second opens none.
    const opened = fhir.connections().opened;
    expect((await call()).status).toBe(200);
    expect(fhir.connections().opened).toBe(opened);
    const stats = engine.fhirAgents.stats();
    expect(stats.active).toBe(0);
    expect(stats.queued).toBe(0);
    await expectHealthy();
  });
});
