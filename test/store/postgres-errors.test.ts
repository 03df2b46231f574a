import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createFeedbackStore } from '../../src/store/create-store.js';
import { explainPostgresError } from '../../src/store/postgres-errors.js';
import type { PostgresFeedbackStore } from '../../src/store/postgres-store.js';
import { closedPort, DATABASE_URL, uniqueName } from './support/env.js';
import { collectingLogger } from './support/logger.js';

/**
 * What an operator reads when DATABASE_URL is wrong: one sentence at startup naming the problem,
 * and the same words in /readyz. Each case is produced by the real server.
 */
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });
const role = uniqueName('aibl_noperm');
const schema = uniqueName('aibl_locked');

function withUser(url: string, user: string, database?: string): string {
  const u = new URL(url);
  u.username = user;
  if (database !== undefined) u.pathname = `/${database}`;
  return u.toString();
}

async function startupLine(databaseUrl: string, opts: { schema?: string } = {}) {
  const logger = collectingLogger();
  const store = (await createFeedbackStore({
    databaseUrl,
    dataDir: '/nonexistent',
    logger,
    ...opts,
  })) as PostgresFeedbackStore;
  try {
    const line = logger.lines.find((l) => l.level === 'error');
    let pingError: unknown;
    await store.ping().catch((e: unknown) => (pingError = e));
    return { line, pingError: pingError as Error | undefined };
  } finally {
    await store.close();
  }
}

beforeAll(async () => {
  // A role that may log in but owns nothing: it cannot create the store's tables.
  await admin.query(`CREATE ROLE ${role} LOGIN`);
  await admin.query(`CREATE SCHEMA ${schema}`);
});

afterAll(async () => {
  await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await admin.query(`DROP ROLE IF EXISTS ${role}`);
  await admin.end();
});

describe('PostgreSQL errors at startup, in the operator’s words', () => {
  it('3D000: the database does not exist', async () => {
    const { line, pingError } = await startupLine(
      withUser(DATABASE_URL, new URL(DATABASE_URL).username || 'postgres', uniqueName('aibl_missing')),
    );
    expect(line?.msg).toBe(
      'feedback store (PostgreSQL) not available at startup: the database named in DATABASE_URL does not exist (3D000): create it, or correct the name in the URL. Feedback answers 503 until it is; hook calls are answered meanwhile',
    );
    expect(line?.obj).toMatchObject({ feedbackStore: 'postgresql', code: '3D000' });
    expect(pingError?.message).toBe(
      'PostgreSQL: the database named in DATABASE_URL does not exist (3D000): create it, or correct the name in the URL',
    );
  });

  it('28000: the role does not exist', async () => {
    const { line } = await startupLine(withUser(DATABASE_URL, uniqueName('nobody')));
    expect(line?.msg).toContain('PostgreSQL refused the user in DATABASE_URL (28000');
    expect(line?.obj).toMatchObject({ code: '28000' });
  });

  it('42501: the role may not create the tables', async () => {
    const { line, pingError } = await startupLine(withUser(DATABASE_URL, role), { schema });
    expect(line?.msg).toContain('lacks a privilege the feedback store needs (42501)');
    expect(pingError?.message).toContain('(42501)');
  });

  it('ECONNREFUSED: nothing listens', async () => {
    const { line } = await startupLine(`postgres://postgres@127.0.0.1:${await closedPort()}/test`);
    expect(line?.msg).toContain('nothing accepts connections at the host and port of DATABASE_URL (ECONNREFUSED)');
    expect(line?.obj).toMatchObject({ host: '127.0.0.1', database: 'test' });
  });

  it('never logs the password of the URL', async () => {
    const { line } = await startupLine(`postgres://postgres:hunter2-secret@127.0.0.1:${await closedPort()}/test`);
    expect(JSON.stringify(line)).not.toContain('hunter2-secret');
  });

  it('28P01: a wrong password (this server trusts loopback, so the error is built as pg reports it)', () => {
    const err = Object.assign(new Error('password authentication failed for user "aibl"'), { code: '28P01' });
    expect(explainPostgresError(err)).toBe(
      'PostgreSQL refused the password of the user in DATABASE_URL (28P01): check the user and password',
    );
    expect(explainPostgresError(new Error('something else'))).toBeUndefined();
  });
});
