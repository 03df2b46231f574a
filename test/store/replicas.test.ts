/** @requires-env DATABASE_URL REDIS_URL */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { makeKey, mint, type TestKey } from '../auth/support.js';
import { closedPort, DATABASE_URL, eventually, REDIS_URL, uniqueName } from './support/env.js';
import { feedbackBody, startService, type ServiceProcess } from './support/service-process.js';
import { removeTranspiled } from './support/transpile.js';

/**
 * Two service processes behind one public URL, sharing PostgreSQL and Redis, as in
 * deploy/kubernetes: whichever replica a call reaches, feedback is counted once and a token is
 * accepted once.
 */
const BASE = 'https://cds.replicas.test';
const ISS = 'https://ehr.replicas.test';
const TOKEN = `analytics-${randomUUID()}`;
const FEEDBACK_PATH = '/cds-services/aibl-order-sign/feedback';
const SERVICE_PATH = '/cds-services/aibl-order-sign';
const repo = join(dirname(fileURLToPath(import.meta.url)), '../..');

const schema = uniqueName('aibl_replicas');
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
const dir = mkdtempSync(join(tmpdir(), 'aibl-replicas-'));
const databaseUrl = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
let key: TestKey;
let env: Record<string, string>;
let r1: ServiceProcess;
let r2: ServiceProcess;

const bearer = async (path: string) => `Bearer ${await mint(key, ISS, `${BASE}${path}`)}`;

async function post(replica: ServiceProcess, path: string, body: string, authorization: string) {
  const res = await fetch(`${replica.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization },
    body,
  });
  return { status: res.status, body: (await res.json().catch(() => undefined)) as any };
}

async function summary(replica: ServiceProcess) {
  const res = await fetch(`${replica.url}/analytics/summary`, { headers: { authorization: `Bearer ${TOKEN}` } });
  expect(res.status).toBe(200);
  return ((await res.json()) as { topics: { topic: string; issued: number; accepted: number; overridden: number }[] })
    .topics;
}

beforeAll(async () => {
  await admin.query(`CREATE SCHEMA ${schema}`);
  key = await makeKey('ES384');
  const clientsFile = join(dir, 'clients.json');
  writeFileSync(
    clientsFile,
    JSON.stringify({ clients: [{ iss: ISS, jwks: { keys: [key.publicJwk] }, fhirServers: [`${ISS}/fhir`] }] }),
  );
  env = {
    DATABASE_URL: databaseUrl,
    REDIS_URL,
    CDS_CLIENTS_FILE: clientsFile,
    PUBLIC_BASE_URL: BASE,
    ANALYTICS_TOKEN: TOKEN,
    DATA_DIR: join(dir, 'unused'),
  };
  [r1, r2] = await Promise.all([startService(env), startService(env)]);
});

afterAll(async () => {
  await Promise.all([r1?.stop(), r2?.stop()]);
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.end();
  rmSync(dir, { recursive: true, force: true });
  removeTranspiled();
});

describe('two replicas sharing PostgreSQL and Redis', () => {
  it('are both ready', async () => {
    // Ready once each service worker has loaded (seconds on a busy machine).
    for (const r of [r1, r2]) {
      const ready = await eventually(
        () => fetch(`${r.url}/readyz`),
        (x) => x.status === 200,
        15_000,
      );
      expect(ready.status).toBe(200);
    }
  });

  it('refuse on replica 2 a token already used on replica 1', async () => {
    const authorization = await bearer(FEEDBACK_PATH);
    const card = randomUUID();
    expect((await post(r1, FEEDBACK_PATH, feedbackBody(card), authorization)).status).toBe(200);
    expect((await post(r2, FEEDBACK_PATH, feedbackBody(card), authorization)).status).toBe(401);
    expect((await post(r1, FEEDBACK_PATH, feedbackBody(card), authorization)).status).toBe(401);
  });

  it('count once the cards one replica issued and the feedback sent to both', async () => {
    const hook = JSON.parse(readFileSync(join(repo, 'examples', 'order-sign.json'), 'utf8'));
    const call = await post(
      r1,
      SERVICE_PATH,
      JSON.stringify({ ...hook, hookInstance: randomUUID() }),
      await bearer(SERVICE_PATH),
    );
    expect(call.status).toBe(200);
    const cards = call.body.cards as { uuid: string; source: { topic: { code: string } } }[];
    expect(cards.length).toBeGreaterThan(0);

    // Each card's feedback goes to both replicas (an EHR retrying through the load balancer).
    const answers = [];
    for (const c of cards) {
      for (const r of [r1, r2])
        answers.push(await post(r, FEEDBACK_PATH, feedbackBody(c.uuid), await bearer(FEEDBACK_PATH)));
    }
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    expect(answers.reduce((n, a) => n + a.body.stored, 0)).toBe(cards.length);
    expect(answers.reduce((n, a) => n + a.body.duplicates, 0)).toBe(cards.length);

    const expected = new Map<string, number>();
    for (const c of cards) expected.set(c.source.topic.code, (expected.get(c.source.topic.code) ?? 0) + 1);
    // Issued cards are written in the background (batched); wait for them, then ask the other replica.
    const topics = await eventually(
      () => summary(r2),
      (t) => t.reduce((n, x) => n + x.issued, 0) >= cards.length,
    );
    for (const [topic, n] of expected) {
      expect(topics.find((t) => t.topic === topic)).toMatchObject({ issued: n, overridden: n, accepted: 0 });
    }
  });

  it('store 200 feedback items sent concurrently to both replicas (each item to both) exactly once', async () => {
    const items = Array.from({ length: 100 }, () => randomUUID());
    const answers = await Promise.all(
      items.flatMap((card) =>
        [r1, r2].map(async (r) => post(r, FEEDBACK_PATH, feedbackBody(card), await bearer(FEEDBACK_PATH))),
      ),
    );
    expect(answers.filter((a) => a.status !== 200)).toEqual([]);
    expect(answers.reduce((n, a) => n + a.body.stored, 0)).toBe(items.length);
    const rows = await admin.query(`SELECT COUNT(*) AS n FROM ${schema}.feedback WHERE card_uuid = ANY($1)`, [items]);
    expect(Number(rows.rows[0].n)).toBe(items.length);
  });
});

describe('a replica whose database or Redis is unreachable', () => {
  it('stays ready (reporting the store down) and answers feedback 503 while the database is down, and still answers hooks with cards', async () => {
    const down = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
    const r = await startService({ ...env, DATABASE_URL: down });
    try {
      expect((await fetch(`${r.url}/healthz`)).status).toBe(200);
      // The service worker may still be loading on a busy machine: ready once it has.
      const ready = await eventually(
        () => fetch(`${r.url}/readyz`),
        (x) => x.status === 200,
        10_000,
      );
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual(
        expect.objectContaining({ name: 'feedback-store', state: 'down', required: false }),
      );
      // One sentence at startup says what is wrong.
      expect(r.logs()).toContain(
        'feedback store (PostgreSQL) not available at startup: nothing accepts connections at the host and port of DATABASE_URL (ECONNREFUSED)',
      );
      const fb = await post(r, FEEDBACK_PATH, feedbackBody(randomUUID()), await bearer(FEEDBACK_PATH));
      expect(fb.status).toBe(503);
      const hook = JSON.parse(readFileSync(join(repo, 'examples', 'order-sign.json'), 'utf8'));
      const call = await post(
        r,
        SERVICE_PATH,
        JSON.stringify({ ...hook, hookInstance: randomUUID() }),
        await bearer(SERVICE_PATH),
      );
      expect(call.status).toBe(200);
      expect(call.body.cards.length).toBeGreaterThan(0);
      // Nothing secret in what the replica logged about it.
      expect(r.logs()).not.toContain(TOKEN);
    } finally {
      await r.stop();
    }
  });

  it('fails readiness and refuses calls with 503 (not 401) while Redis is down', async () => {
    const r = await startService({ ...env, REDIS_URL: `redis://127.0.0.1:${await closedPort()}` });
    try {
      const ready = await fetch(`${r.url}/readyz`);
      expect(ready.status).toBe(503);
      expect(((await ready.json()) as { checks: unknown[] }).checks).toContainEqual(
        expect.objectContaining({ name: 'replay-store', state: 'down', required: true }),
      );
      const fb = await post(r, FEEDBACK_PATH, feedbackBody(randomUUID()), await bearer(FEEDBACK_PATH));
      expect(fb.status).toBe(503);
    } finally {
      await r.stop();
    }
  });
});
