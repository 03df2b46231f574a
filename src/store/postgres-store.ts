import pg from 'pg';
import { CardQueue, type CardQueueOptions } from './card-queue.js';
import type {
  DayCount,
  FeedbackRecord,
  FeedbackStore,
  IssuedCard,
  SaveResult,
  SummaryQuery,
  TopicSummary,
} from './feedback-store.js';
import { MIGRATIONS, outcomeInstant } from './migrations.js';
import { explainPostgresError } from './postgres-errors.js';
import { describeError, type StoreLogger } from './store-logger.js';
import {
  buildDailyTrend,
  buildSummary,
  UNKNOWN_TOPIC,
  type DayRow,
  type IssuedRow,
  type OutcomeRow,
  type ReasonRow,
} from './summary.js';

/** One lock for every replica of this service on the database: migrations run one at a time. */
const MIGRATION_LOCK_KEY = 0x41_49_42_4c_2d_63_64_73n; // "AIBL-cds"

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export interface PostgresStoreOptions {
  databaseUrl: string;
  logger: StoreLogger;
  /** A schema of its own (created if missing) instead of the URL's search_path; tests use one per run. */
  schema?: string;
  poolSize?: number;
  /** How long to wait for a connection before failing (default 5 s): an unreachable database answers fast. */
  connectTimeoutMs?: number;
  /** Server-side statement timeout (default 10 s). */
  statementTimeoutMs?: number;
  cardQueue?: CardQueueOptions;
}

/**
 * The shared store for several replicas. Every write is a single INSERT … ON CONFLICT DO NOTHING
 * (an implicit transaction), so a repeat is refused by the unique key whichever replica sends it,
 * and the promise resolves only after COMMIT — with synchronous_commit forced on for this
 * connection, that is after the WAL is flushed.
 */
export class PostgresFeedbackStore implements FeedbackStore {
  private readonly pool: pg.Pool;
  private readonly cards: CardQueue;
  private migrated: Promise<void> | undefined;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: PostgresStoreOptions) {
    if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
      throw new Error(`invalid PostgreSQL schema name: ${opts.schema}`);
    }
    const { connectionString, options } = withSessionOptions(opts.databaseUrl, [
      'synchronous_commit=on',
      `statement_timeout=${opts.statementTimeoutMs ?? 10_000}`,
      ...(opts.schema ? [`search_path=${opts.schema}`] : []),
    ]);
    this.pool = new pg.Pool({
      connectionString,
      options,
      max: opts.poolSize ?? 10,
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5_000,
      idleTimeoutMillis: 30_000,
      keepAlive: true,
    });
    // An idle client losing its server must not crash the process; the next query reconnects.
    this.pool.on('error', (err) => opts.logger.warn(describeError(err), 'idle PostgreSQL connection failed'));
    this.cards = new CardQueue((batch) => this.writeCards(batch), opts.logger, opts.cardQueue);
  }

  /**
   * Applies pending migrations under a transaction-scoped advisory lock, so replicas starting
   * together take turns and the second finds nothing to do. Returns how many were applied.
   */
  async migrate(): Promise<number> {
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY.toString()]);
      if (this.opts.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS ${this.opts.schema}`);
      await client.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())`);
      const done = new Set(
        (await client.query<{ version: number }>('SELECT version FROM schema_migrations')).rows.map((r) => r.version),
      );
      let applied = 0;
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        await client.query(m.postgres);
        await client.query('INSERT INTO schema_migrations (version, name) VALUES ($1, $2)', [m.version, m.name]);
        applied += 1;
      }
      await client.query('COMMIT');
      if (applied > 0) this.opts.logger.info({ applied }, 'PostgreSQL feedback store migrated');
      return applied;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  recordCards(cards: IssuedCard[]): void {
    this.cards.push(cards);
  }

  async saveFeedback(items: FeedbackRecord[]): Promise<SaveResult> {
    this.assertOpen();
    if (items.length === 0) return { stored: 0, duplicates: 0, storedItems: [] };
    await this.ready();
    const col = <T>(f: (r: FeedbackRecord) => T) => items.map(f);
    const res = await this.pool.query<{ card_uuid: string; outcome: string; outcome_timestamp: string }>(
      `INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, override_system, override_code,
                             override_display, user_comment, outcome_timestamp, outcome_at, received_at, issuer, tenant)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::text[], $7::text[],
                            $8::text[], $9::text[], $10::timestamptz[], $11::timestamptz[], $12::text[], $13::text[])
       ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING
       RETURNING card_uuid, outcome, outcome_timestamp`,
      [
        col((f) => f.serviceId),
        col((f) => f.card),
        col((f) => f.outcome),
        col((f) => JSON.stringify(f.acceptedSuggestions)),
        col((f) => f.overrideReason?.system ?? null),
        col((f) => f.overrideReason?.code ?? null),
        col((f) => f.overrideReason?.display ?? null),
        col((f) => f.userComment ?? null),
        col((f) => f.outcomeTimestamp),
        col((f) => outcomeInstant(f.outcomeTimestamp, f.receivedAt).toISOString()),
        col((f) => f.receivedAt.toISOString()),
        col((f) => f.issuer ?? null),
        col((f) => f.tenant ?? null),
      ],
    );
    // Map inserted keys back to the first item carrying each (a batch may repeat an item).
    const inserted = new Set(res.rows.map((r) => feedbackKey(r.card_uuid, r.outcome, r.outcome_timestamp)));
    const storedItems: FeedbackRecord[] = [];
    for (const f of items) {
      const key = feedbackKey(f.card, f.outcome, f.outcomeTimestamp);
      if (inserted.delete(key)) storedItems.push(f);
    }
    return { stored: storedItems.length, duplicates: items.length - storedItems.length, storedItems };
  }

  async summary(query: SummaryQuery): Promise<TopicSummary[]> {
    this.assertOpen();
    await this.ready();
    const { params, where } = queryFilter(query);
    const feedbackWhere = where('f.outcome_at', 'f.service_id');
    const [issued, outcomes, reasons] = await Promise.all([
      this.pool.query<IssuedRow>(
        `SELECT service_id, topic, COUNT(*) AS issued FROM issued_cards
         WHERE ${where('issued_at', 'service_id')} GROUP BY 1, 2`,
        params,
      ),
      this.pool.query<OutcomeRow>(
        `SELECT f.service_id, COALESCE(c.topic, '${UNKNOWN_TOPIC}') AS topic,
           COUNT(DISTINCT f.card_uuid) FILTER (WHERE f.outcome = 'accepted') AS accepted,
           COUNT(DISTINCT f.card_uuid) FILTER (WHERE f.outcome = 'overridden') AS overridden
         FROM feedback f LEFT JOIN issued_cards c ON c.card_uuid = f.card_uuid
         WHERE ${feedbackWhere} GROUP BY 1, 2`,
        params,
      ),
      this.pool.query<ReasonRow>(
        `SELECT f.service_id, COALESCE(c.topic, '${UNKNOWN_TOPIC}') AS topic, f.override_system, f.override_code,
           CASE WHEN f.override_code IS NULL THEN f.override_display END AS display_key,
           MAX(f.override_display) AS display, COUNT(DISTINCT f.card_uuid) AS count
         FROM feedback f LEFT JOIN issued_cards c ON c.card_uuid = f.card_uuid
         WHERE f.outcome = 'overridden' AND ${feedbackWhere} GROUP BY 1, 2, 3, 4, 5`,
        params,
      ),
    ]);
    return buildSummary(issued.rows, outcomes.rows, reasons.rows);
  }

  async dailyTrend(query: SummaryQuery): Promise<DayCount[]> {
    this.assertOpen();
    await this.ready();
    const { params, where } = queryFilter(query);
    const day = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD')`;
    const [issued, outcomes] = await Promise.all([
      this.pool.query<DayRow>(
        `SELECT ${day('issued_at')} AS day, COUNT(*) AS issued FROM issued_cards
         WHERE ${where('issued_at', 'service_id')} GROUP BY 1`,
        params,
      ),
      this.pool.query<DayRow>(
        `SELECT ${day('outcome_at')} AS day,
           COUNT(DISTINCT card_uuid) FILTER (WHERE outcome = 'accepted') AS accepted,
           COUNT(DISTINCT card_uuid) FILTER (WHERE outcome = 'overridden') AS overridden
         FROM feedback WHERE ${where('outcome_at', 'service_id')} GROUP BY 1`,
        params,
      ),
    ]);
    return buildDailyTrend(issued.rows, outcomes.rows);
  }

  /**
   * Fails while the database is unreachable or its schema could not be brought up to date; the
   * error's message says why in the operator's terms (readiness reports it).
   */
  async ping(): Promise<void> {
    this.assertOpen();
    try {
      await this.ready();
      await this.pool.query('SELECT 1');
    } catch (err) {
      const known = explainPostgresError(err);
      throw known ? new Error(`PostgreSQL: ${known}`, { cause: err }) : err;
    }
  }

  /** Where the store writes, without credentials: for the startup log. */
  describe(): { host?: string; port?: string; database?: string; schema?: string } {
    return { ...describeDatabaseUrl(this.opts.databaseUrl), ...(this.opts.schema ? { schema: this.opts.schema } : {}) };
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.cards.close();
      await this.pool.end();
    })();
    return this.closing;
  }

  /** Migrates once; a failure (database down at startup) is retried by the next caller. */
  ready(): Promise<void> {
    this.migrated ??= this.migrate().then(
      () => undefined,
      (err: unknown) => {
        this.migrated = undefined;
        throw err;
      },
    );
    return this.migrated;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('feedback store is closed');
  }

  private async writeCards(batch: IssuedCard[]): Promise<void> {
    await this.ready();
    await this.pool.query(
      `INSERT INTO issued_cards (card_uuid, service_id, topic, indicator, suggestion_ids, hook_instance, issued_at, issuer, tenant)
       SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::jsonb[], $6::text[],
                            $7::timestamptz[], $8::text[], $9::text[])
       ON CONFLICT (card_uuid) DO NOTHING`,
      [
        batch.map((c) => c.uuid),
        batch.map((c) => c.serviceId),
        batch.map((c) => c.topic),
        batch.map((c) => c.indicator),
        batch.map((c) => JSON.stringify(c.suggestionIds)),
        batch.map((c) => c.hookInstance),
        batch.map((c) => c.issuedAt.toISOString()),
        batch.map((c) => c.issuer ?? null),
        batch.map((c) => c.tenant ?? null),
      ],
    );
  }
}

function feedbackKey(card: string, outcome: string, outcomeTimestamp: string): string {
  return `${card}\u0000${outcome}\u0000${outcomeTimestamp}`;
}

/**
 * pg lets a URL's own `options` override the config's, so ours are merged into the URL's and
 * removed from it: a site's `?options=-c …` keeps working and ours still apply.
 */
function withSessionOptions(databaseUrl: string, settings: string[]): { connectionString: string; options: string } {
  const ours = settings.map((s) => `-c ${s}`).join(' ');
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    return { connectionString: databaseUrl, options: ours };
  }
  const theirs = url.searchParams.get('options');
  if (theirs === null) return { connectionString: databaseUrl, options: ours };
  url.searchParams.delete('options');
  return { connectionString: url.toString(), options: `${theirs} ${ours}` };
}

function describeDatabaseUrl(databaseUrl: string): { host?: string; port?: string; database?: string } {
  try {
    const url = new URL(databaseUrl);
    return {
      host: url.hostname || url.searchParams.get('host') || 'localhost',
      port: url.port || '5432',
      database: decodeURIComponent(url.pathname.replace(/^\//, '')) || '(the user name)',
    };
  } catch {
    return {};
  }
}

/** Opens the pool and migrates; rejects if the database cannot be reached. */
export async function createPostgresStore(opts: PostgresStoreOptions): Promise<PostgresFeedbackStore> {
  const store = new PostgresFeedbackStore(opts);
  try {
    await store.ready();
  } catch (err) {
    await store.close();
    throw err;
  }
  return store;
}

/** WHERE fragments and their positional parameters for a summary query. */
function queryFilter(query: SummaryQuery): { params: unknown[]; where: (time: string, svc: string) => string } {
  const params: unknown[] = [];
  const bind = (v: unknown) => {
    params.push(v);
    return `$${params.length}`;
  };
  const from = query.from ? bind(query.from.toISOString()) : undefined;
  const to = query.to ? bind(query.to.toISOString()) : undefined;
  const service = query.serviceId !== undefined ? bind(query.serviceId) : undefined;
  const where = (time: string, svc: string) =>
    [
      from ? `${time} >= ${from}::timestamptz` : undefined,
      to ? `${time} < ${to}::timestamptz` : undefined,
      service ? `${svc} = ${service}` : undefined,
    ]
      .filter(Boolean)
      .join(' AND ') || 'true';
  return { params, where };
}
