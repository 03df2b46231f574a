import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeKey, mint, type TestKey } from '../auth/support.js';
import { closedPort, DATABASE_URL, eventually, REDIS_URL, startRelay, uniqueName } from './support/env.js';
import { feedbackBody, startService, type ServiceProcess } from './support/service-process.js';
import { removeTranspiled } from './support/transpile.js';

/**
 * A PostgreSQL outage seen by two replicas. They reach the real database through a loopback relay
 * that the test cuts and restores: connections are refused while it is cut, exactly as when the
 * database host is down, without touching the PostgreSQL other tests use.
 */
const BASE = 'https://cds.outage.test';
const ISS = 'https://ehr.outage.test';
const SERVICE_PATH = '/cds-services/aibl-order-sign';
const FEEDBACK_PATH = `${SERVICE_PATH}/feedback`;
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');

const schema = uniqueName('aibl_outage');
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
const dir = mkdtempSync(join(tmpdir(), 'aibl-outage-'));
const target = (() => {
  const u = new URL(DATABASE_URL);
  return { host: u.hostname, port: Number(u.port || 5432), database: u.pathname.slice(1), user: u.username };
})();
let relayPort: number;
let stopRelay: (() => Promise<void>) | undefined;
let key: TestKey;
let replicas: ServiceProcess[] = [];

const bearer = async (path: string) => `Bearer ${await mint(key, ISS, `${BASE}${path}`)}`;

async function post(r: ServiceProcess, path: string, body: string) {
  const res = await fetch(`${r.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: await bearer(path) },
    body,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any };
}

async function readyz(r: ServiceProcess) {
  const res = await fetch(`${r.url}/readyz`);
  return {
    status: res.status,
    body: (await res.json()) as { status: string; checks: { name: string; state: string }[] },
  };
}

const stateOf = (body: { checks: { name: string; state: string }[] }, name: string) =>
  body.checks.find((c) => c.name === name)?.state;

async function gauge(r: ServiceProcess, dependency: string): Promise<string | undefined> {
  const text = await (await fetch(`${r.url}/metrics`)).text();
  return new RegExp(`^aibl_dependency_up\\{dependency="${dependency}"\\} (\\d)$`, 'm').exec(text)?.[1];
}

const count = async (table: 'feedback' | 'issued_cards', cards: string[]) =>
  Number(
    (await admin.query(`SELECT COUNT(*) AS n FROM ${schema}.${table} WHERE card_uuid = ANY($1)`, [cards])).rows[0].n,
  );

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
  key = await makeKey('ES384');
  const clientsFile = join(dir, 'clients.json');
  writeFileSync(
    clientsFile,
    JSON.stringify({ clients: [{ iss: ISS, jwks: { keys: [key.publicJwk] }, fhirServers: [`${ISS}/fhir`] }] }),
  );
  relayPort = await closedPort();
  stopRelay = await startRelay(relayPort, target);
  const options = encodeURIComponent(`-c search_path=${schema}`);
  const env = {
    DATABASE_URL: `postgres://${target.user || 'postgres'}@127.0.0.1:${relayPort}/${target.database}?options=${options}`,
    REDIS_URL,
    CDS_CLIENTS_FILE: clientsFile,
    PUBLIC_BASE_URL: BASE,
    DATA_DIR: join(dir, 'unused'),
  };
  replicas = await Promise.all([startService(env), startService(env)]);
});

afterAll(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  await stopRelay?.();
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
  removeTranspiled();
});

describe('two replicas while their shared PostgreSQL is unreachable', () => {
  it('name the stores they use at startup', () => {
    for (const r of replicas) {
      expect(r.logs()).toMatch(
        /"feedbackStore":"postgresql","host":"127\.0\.0\.1","port":"\d+","database":"\w+".*"msg":"feedback stored in PostgreSQL"/,
      );
      expect(r.logs()).toMatch(/"replayStore":"redis".*"msg":"JWT ids kept in Redis/);
    }
  });

  it('stay ready and answer cards, answer feedback 503 with Retry-After, and lose nothing once it is back', async () => {
    for (const r of replicas) {
      // The service worker may still be loading on a busy machine: ready once it has.
      const ready = await eventually(
        () => readyz(r),
        (x) => x.status === 200,
        15_000,
      );
      expect(ready.status).toBe(200);
      expect(stateOf(ready.body, 'feedback-store')).toBe('up');
      expect(await gauge(r, 'feedback-store')).toBe('1');
    }

    await stopRelay!();
    stopRelay = undefined;

    const hook = JSON.parse(readFileSync(join(repo, 'examples', 'order-sign.json'), 'utf8'));
    const issued: string[] = [];
    const pending: { replica: ServiceProcess; body: string }[] = [];
    for (const r of replicas) {
      const ready = await eventually(
        () => readyz(r),
        (x) => stateOf(x.body, 'feedback-store') === 'down',
      );
      expect(ready.status).toBe(200);
      expect(ready.body.status).toBe('ready');
      expect(stateOf(ready.body, 'feedback-store')).toBe('down');
      expect(stateOf(ready.body, 'replay-store')).toBe('up');
      expect(await gauge(r, 'feedback-store')).toBe('0');
      expect(await gauge(r, 'replay-store')).toBe('1');

      const call = await post(r, SERVICE_PATH, JSON.stringify({ ...hook, hookInstance: randomUUID() }));
      expect(call.status).toBe(200);
      const cards = call.body.cards as { uuid: string }[];
      expect(cards.length).toBeGreaterThan(0);
      issued.push(...cards.map((c) => c.uuid));

      const body = feedbackBody(cards[0]!.uuid);
      const fb = await post(r, FEEDBACK_PATH, body);
      expect(fb.status).toBe(503);
      expect(Number(fb.retryAfter)).toBeGreaterThan(0);
      expect(fb.body.resourceType).toBe('OperationOutcome');
      pending.push({ replica: r, body });
    }
    // Readiness states the cause in the operator's words.
    const reason = (await readyz(replicas[0]!)).body.checks.find((c) => c.name === 'feedback-store') as {
      reason?: string;
    };
    expect(reason.reason).toMatch(/^PostgreSQL: /);
    expect(await count('feedback', issued)).toBe(0);

    stopRelay = await startRelay(relayPort, target);

    // The EHR retries each feedback: now stored, once.
    for (const { replica, body } of pending) {
      const retried = await eventually(
        () => post(replica, FEEDBACK_PATH, body),
        (x) => x.status === 200,
        15_000,
      );
      expect(retried.status).toBe(200);
      expect(retried.body).toEqual({ stored: 1, duplicates: 0 });
    }
    expect(await count('feedback', issued)).toBe(pending.length);
    // The cards issued during the outage were queued and are written once the database answers.
    expect(
      await eventually(
        () => count('issued_cards', issued),
        (n) => n === issued.length,
        45_000,
      ),
    ).toBe(issued.length);
    for (const r of replicas) {
      const ready = await eventually(
        () => readyz(r),
        (x) => stateOf(x.body, 'feedback-store') === 'up',
      );
      expect(stateOf(ready.body, 'feedback-store')).toBe('up');
      // Each change is logged once; the line may reach our pipe just after the answer.
      const logs = await eventually(
        () => r.logs(),
        (text) => text.includes('feedback-store is up again'),
      );
      expect(logs).toContain('feedback-store is down; the replica stays ready');
      expect(logs).toContain('feedback-store is up again');
    }
  }, 90_000);
});
