/** @requires-env DATABASE_URL */
import { afterAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { createFeedbackStore } from '../../src/store/create-store.js';
import { MIGRATIONS } from '../../src/store/migrations.js';
import { createPostgresStore, PostgresFeedbackStore } from '../../src/store/postgres-store.js';
import { feedbackStoreContract, type StoreHarness } from './support/contract.js';
import { closedPort, DATABASE_URL, startRelay, uniqueName } from './support/env.js';
import { collectingLogger } from './support/logger.js';
import { card, overridden } from './support/records.js';

/** Every test gets a schema of its own, dropped at the end, so parallel runs never collide. */
const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 2 });
const schemas: string[] = [];
const freshSchema = async () => {
  const s = uniqueName('aibl_t');
  schemas.push(s);
  return s;
};
async function dropSchemas(): Promise<void> {
  for (const s of schemas.splice(0)) await admin.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
}

const harness: StoreHarness = {
  fresh: freshSchema,
  open: (schema, opts = {}) =>
    createPostgresStore({
      databaseUrl: DATABASE_URL,
      schema,
      logger: opts.logger ?? collectingLogger(),
      ...(opts.cardQueue ? { cardQueue: opts.cardQueue } : {}),
    }),
  count: async (schema, table) => Number((await admin.query(`SELECT COUNT(*) AS n FROM ${schema}.${table}`)).rows[0].n),
  cleanup: dropSchemas,
};

feedbackStoreContract('PostgreSQL', harness);

describe('PostgreSQL store specifics', () => {
  afterAll(async () => {
    await dropSchemas();
    await admin.end();
  });

  it('lets two replicas starting together migrate the same database: one applies, the other finds it done', async () => {
    const schema = await freshSchema();
    const logger = collectingLogger();
    const [a, b] = [
      new PostgresFeedbackStore({ databaseUrl: DATABASE_URL, schema, logger }),
      new PostgresFeedbackStore({ databaseUrl: DATABASE_URL, schema, logger }),
    ];
    try {
      const applied = await Promise.all([a.migrate(), b.migrate(), a.migrate()]);
      expect(applied.reduce((x, y) => x + y, 0)).toBe(MIGRATIONS.length);
      expect(applied.filter((n) => n === 0)).toHaveLength(2);
      const versions = await admin.query(`SELECT version FROM ${schema}.schema_migrations ORDER BY version`);
      expect(versions.rows.map((r) => r.version)).toEqual(MIGRATIONS.map((m) => m.version));
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
  });

  it('stores no patient identifier or clinical value: only the listed columns exist', async () => {
    const schema = await freshSchema();
    const store = await harness.open(schema);
    await store.close();
    const cols = await admin.query(
      `SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = $1 AND table_name <> 'schema_migrations'
       ORDER BY table_name, ordinal_position`,
      [schema],
    );
    const byTable = (t: string) => cols.rows.filter((r) => r.table_name === t).map((r) => r.column_name);
    expect(byTable('issued_cards')).toEqual([
      'card_uuid',
      'service_id',
      'topic',
      'indicator',
      'suggestion_ids',
      'hook_instance',
      'issued_at',
      'issuer',
      'tenant',
    ]);
    expect(byTable('feedback')).toEqual([
      'id',
      'service_id',
      'card_uuid',
      'outcome',
      'accepted_suggestions',
      'override_system',
      'override_code',
      'override_display',
      'user_comment',
      'outcome_timestamp',
      'outcome_at',
      'received_at',
      'issuer',
      'tenant',
    ]);
  });

  it('keeps the fields of a feedback item as sent', async () => {
    const schema = await freshSchema();
    const store = await harness.open(schema);
    await store.saveFeedback([
      overridden('f1', { userComment: 'DXA at the county hospital', outcomeTimestamp: '2025-03-10T09:05:00.52Z' }),
    ]);
    await store.close();
    const row = (await admin.query(`SELECT * FROM ${schema}.feedback`)).rows[0];
    expect(row).toMatchObject({
      service_id: 'aibl-order-sign',
      card_uuid: 'f1',
      outcome: 'overridden',
      accepted_suggestions: [],
      override_system: 'http://example.org/override',
      override_code: 'done-elsewhere',
      override_display: 'DXA done outside this system',
      user_comment: 'DXA at the county hospital',
      outcome_timestamp: '2025-03-10T09:05:00.52Z',
      issuer: 'https://ehr.example.org',
      tenant: 'north',
    });
    expect((row.outcome_at as Date).toISOString()).toBe('2025-03-10T09:05:00.520Z');
    expect((row.received_at as Date).toISOString()).toBe('2025-03-10T09:05:01.000Z');
  });

  it('commits with synchronous_commit on, whatever the server default', async () => {
    const schema = await freshSchema();
    const store = await harness.open(schema);
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    expect((await pool.query('SHOW synchronous_commit')).rows[0].synchronous_commit).toBe('on');
    await store.close();
  });

  it("keeps a site's own ?options= in DATABASE_URL and still applies its settings", async () => {
    const schema = await freshSchema();
    const url = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent('-c application_name=aibl-site')}`;
    const store = await createPostgresStore({ databaseUrl: url, schema, logger: collectingLogger() });
    const pool = (store as unknown as { pool: pg.Pool }).pool;
    const r = await pool.query(`SELECT current_setting('application_name') AS app, current_schema() AS schema`);
    expect(r.rows[0]).toEqual({ app: 'aibl-site', schema });
    await store.close();
  });

  describe('when the database is unreachable', () => {
    it('rejects saveFeedback and ping, never throws from recordCards, and logs the cards it could not write', async () => {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
      const logger = collectingLogger();
      const store = new PostgresFeedbackStore({ databaseUrl: url, logger, cardQueue: { flushIntervalMs: 20 } });
      await expect(store.saveFeedback([overridden('x')])).rejects.toThrow(/ECONNREFUSED/);
      await expect(store.ping()).rejects.toThrow(/ECONNREFUSED/);
      expect(() => store.recordCards([card('lost')])).not.toThrow();
      await new Promise((r) => setTimeout(r, 150));
      await store.close();
      const errors = logger.lines.filter((l) => l.level === 'error').map((l) => l.msg);
      expect(errors).toContain('could not write issued cards; will retry');
      expect(errors).toContain('issued cards could not be written before shutdown');
      // The connection string never reaches the log.
      expect(JSON.stringify(logger.lines)).not.toContain(url);
    });

    it('keeps at most maxQueued cards in memory while it cannot write them, dropping the oldest', async () => {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
      const logger = collectingLogger();
      const store = new PostgresFeedbackStore({
        databaseUrl: url,
        logger,
        cardQueue: { maxQueued: 5, flushIntervalMs: 60_000 },
      });
      for (let i = 0; i < 8; i++) store.recordCards([card(`b${i}`)]);
      await store.close();
      const errors = logger.lines.filter((l) => l.level === 'error');
      // The first drop at once, the rest (rate-limited) by close(): 3 in all.
      expect(errors.filter((l) => l.msg === 'issued-card queue full; oldest cards dropped').map((l) => l.obj)).toEqual([
        { dropped: 1 },
        { dropped: 2 },
      ]);
      expect(errors.find((l) => l.msg === 'issued cards could not be written before shutdown')?.obj).toEqual({
        cards: 5,
      });
    });

    it('createPostgresStore rejects; createFeedbackStore still returns a store whose ping fails', async () => {
      const url = `postgres://postgres@127.0.0.1:${await closedPort()}/test`;
      await expect(createPostgresStore({ databaseUrl: url, logger: collectingLogger() })).rejects.toThrow(
        /ECONNREFUSED/,
      );
      const logger = collectingLogger();
      const store = await createFeedbackStore({ databaseUrl: url, dataDir: '/nonexistent', logger });
      expect(store).toBeInstanceOf(PostgresFeedbackStore);
      expect(logger.lines.map((l) => l.msg)).toContain(
        'feedback store (PostgreSQL) not available at startup: nothing accepts connections at the host and port of DATABASE_URL (ECONNREFUSED): PostgreSQL is not running there, or not reachable from here. Feedback answers 503 until it is; hook calls are answered meanwhile',
      );
      await expect(store.ping()).rejects.toThrow();
      await store.close();
    });

    it('recovers: a store created while the database was down migrates and accepts feedback once it answers', async () => {
      const port = await closedPort();
      const target = new URL(DATABASE_URL);
      const url = new URL(DATABASE_URL);
      url.hostname = '127.0.0.1';
      url.port = String(port);
      const schema = await freshSchema();
      const logger = collectingLogger();
      const store = await createFeedbackStore({ databaseUrl: url.toString(), dataDir: '/nonexistent', schema, logger });
      await expect(store.ping()).rejects.toThrow(/ECONNREFUSED/);
      await expect(store.saveFeedback([overridden('during')])).rejects.toThrow(/ECONNREFUSED/);
      const stopRelay = await startRelay(port, { host: target.hostname, port: Number(target.port || 5432) });
      try {
        await expect(store.ping()).resolves.toBeUndefined();
        expect((await store.saveFeedback([overridden('after')])).stored).toBe(1);
        expect(await harness.count(schema, 'feedback')).toBe(1);
        await store.close();
      } finally {
        await stopRelay();
      }
    });
  });
});
