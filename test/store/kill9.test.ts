/** @requires-env DATABASE_URL */
import { afterAll, describe, expect, it } from '@jest/globals';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';
import { SQLITE_FILE_NAME } from '../../src/store/sqlite-store.js';
import { DATABASE_URL, uniqueName } from './support/env.js';
import { feedbackBody, startService } from './support/service-process.js';
import { removeTranspiled } from './support/transpile.js';

const TOKEN = `analytics-${uniqueName('t')}`;
const ACKS_BEFORE_KILL = 150;
const CONCURRENCY = 16;

interface Backend {
  env: Record<string, string>;
  storedCards(): Promise<Set<string>>;
  cleanup(): Promise<void>;
}

async function sqliteBackend(): Promise<Backend> {
  const dataDir = mkdtempSync(join(tmpdir(), 'aibl-kill9-'));
  return {
    env: { DATA_DIR: dataDir },
    storedCards: async () => {
      const db = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
      try {
        return new Set(db.prepare('SELECT card_uuid FROM feedback').pluck().all() as string[]);
      } finally {
        db.close();
      }
    },
    cleanup: async () => rmSync(dataDir, { recursive: true, force: true }),
  };
}

async function postgresBackend(): Promise<Backend> {
  const schema = uniqueName('aibl_kill9');
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const url = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  return {
    env: { DATABASE_URL: url, DATA_DIR: '/nonexistent' },
    storedCards: async () =>
      new Set((await admin.query(`SELECT card_uuid FROM ${schema}.feedback`)).rows.map((r) => r.card_uuid)),
    cleanup: async () => {
      await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await admin.end();
    },
  };
}

afterAll(() => removeTranspiled());

/**
 * The promise a 2xx makes to the EHR: feedback answered 200 is on disk. The service is killed
 * with SIGKILL (no shutdown hook runs) the moment the 150th 200 arrives, with more requests in
 * flight; after a restart, every acknowledged item is there.
 */
describe.each([
  ['SQLite (DATA_DIR)', sqliteBackend],
  ['PostgreSQL (DATABASE_URL)', postgresBackend],
])('kill -9 right after 2xx loses no feedback: %s', (_name, makeBackend) => {
  it('keeps every acknowledged item across a SIGKILL and a restart', async () => {
    const backend = await makeBackend();
    const env = { ...backend.env, ANALYTICS_TOKEN: TOKEN };
    try {
      const service = await startService(env);
      const acked: string[] = [];
      let next = 0;
      let killed = false;
      const worker = async (): Promise<void> => {
        while (!killed && next < 5000) {
          const card = `k9-${next++}`;
          try {
            const res = await fetch(`${service.url}/cds-services/aibl-order-sign/feedback`, {
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: feedbackBody(card),
            });
            if (res.status === 200 && !killed) {
              acked.push(card);
              if (acked.length >= ACKS_BEFORE_KILL) {
                killed = true;
                service.child.kill('SIGKILL');
              }
            }
            await res.arrayBuffer();
          } catch {
            // Requests in flight at the kill fail; they were never acknowledged.
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      expect(await service.exited).toEqual({ code: null, signal: 'SIGKILL' });
      expect(acked.length).toBeGreaterThanOrEqual(ACKS_BEFORE_KILL);

      const restarted = await startService(env);
      try {
        const ready = await fetch(`${restarted.url}/readyz`);
        expect(ready.status).toBe(200);
        const summary = await fetch(`${restarted.url}/analytics/summary`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        expect(summary.status).toBe(200);
        const body = (await summary.json()) as { topics: { overridden: number }[] };
        const overridden = body.topics.reduce((n, t) => n + t.overridden, 0);
        expect(overridden).toBeGreaterThanOrEqual(acked.length);
      } finally {
        await restarted.stop();
      }
      const stored = await backend.storedCards();
      expect(acked.filter((c) => !stored.has(c))).toEqual([]);
    } finally {
      await backend.cleanup();
    }
  });
});
