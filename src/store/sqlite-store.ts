import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
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
import type { StoreLogger } from './store-logger.js';
import {
  buildDailyTrend,
  buildSummary,
  UNKNOWN_TOPIC,
  type DayRow,
  type IssuedRow,
  type OutcomeRow,
  type ReasonRow,
} from './summary.js';

export const SQLITE_FILE_NAME = 'aibl-cds.sqlite';

export interface SqliteStoreOptions {
  /** Folder of the database file; created if missing. */
  dataDir: string;
  logger: StoreLogger;
  /** Issued-card batching (tests shorten it). */
  cardQueue?: CardQueueOptions;
}

/**
 * The embedded store for a single replica. better-sqlite3 is synchronous, so a feedback
 * transaction has committed — and, with WAL and synchronous=FULL, been fsynced — by the time
 * saveFeedback's promise exists: a kill -9 right after cannot lose it.
 */
export class SqliteFeedbackStore implements FeedbackStore {
  readonly path: string;
  private readonly db: Database.Database;
  /**
   * Issued cards are written through their own connection with synchronous=NORMAL: in WAL mode a
   * commit then costs no fsync, which would block the event loop under load
   * (docs/decisions/0006-issued-card-writes.md). A crash of the process loses none of them; a power
   * loss may lose the last moments of issued-card statistics, which were only queued in memory
   * before anyway. Feedback keeps its own FULL connection: an acknowledged item is on disk.
   */
  private readonly cardDb: Database.Database;
  private readonly cards: CardQueue;
  private readonly insertCard: Database.Statement;
  private readonly insertFullSlice: Database.Statement;
  private readonly insertFeedback: Database.Statement;
  private readonly insertCards: Database.Transaction<(cards: IssuedCard[]) => void>;
  private closing: Promise<void> | undefined;

  constructor(private readonly opts: SqliteStoreOptions) {
    mkdirSync(opts.dataDir, { recursive: true });
    this.path = resolve(join(opts.dataDir, SQLITE_FILE_NAME));
    this.db = new Database(this.path);
    try {
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = FULL');
      // Another process (the report CLI, a second replica by mistake) may hold the write lock briefly.
      this.db.pragma('busy_timeout = 5000');
      this.migrate();
    } catch (err) {
      this.db.close();
      throw err;
    }
    this.cardDb = new Database(this.path);
    this.cardDb.pragma('synchronous = NORMAL');
    this.cardDb.pragma(`cache_size = -${CARD_CACHE_KIB}`);
    this.cardDb.pragma('busy_timeout = 5000');
    this.insertCard = this.cardDb.prepare(insertCardsSql(1));
    this.insertFullSlice = this.cardDb.prepare(insertCardsSql(CARDS_PER_TRANSACTION));
    this.insertFeedback = this.db.prepare(`
      INSERT INTO feedback (service_id, card_uuid, outcome, accepted_suggestions, override_system, override_code,
                            override_display, user_comment, outcome_timestamp, outcome_at, received_at, issuer, tenant)
      VALUES (@serviceId, @card, @outcome, @acceptedSuggestions, @overrideSystem, @overrideCode,
              @overrideDisplay, @userComment, @outcomeTimestamp, @outcomeAt, @receivedAt, @issuer, @tenant)
      ON CONFLICT (card_uuid, outcome, outcome_timestamp) DO NOTHING`);
    // A full slice is one multi-row statement, cheaper per card than a statement each
    // (docs/decisions/0006-issued-card-writes.md); a shorter slice (a quiet moment, the tail
    // of a batch) goes row by row.
    this.insertCards = this.cardDb.transaction((list: IssuedCard[]) => {
      if (list.length === CARDS_PER_TRANSACTION) {
        this.insertFullSlice.run(list.flatMap(cardValues));
        return;
      }
      for (const c of list) this.insertCard.run(cardValues(c));
    });
    this.cards = new CardQueue((batch) => this.writeCards(batch), opts.logger, opts.cardQueue);
  }

  /** Applies pending migrations; returns how many. BEGIN IMMEDIATE serialises concurrent openers. */
  migrate(): number {
    this.db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
    const apply = this.db.transaction(() => {
      const done = new Set(this.db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
      let applied = 0;
      for (const m of MIGRATIONS) {
        if (done.has(m.version)) continue;
        this.db.exec(m.sqlite);
        this.db
          .prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)')
          .run(m.version, m.name, new Date().toISOString());
        applied += 1;
      }
      return applied;
    });
    const applied = apply.immediate();
    if (applied > 0) this.opts.logger.info({ applied, file: this.path }, 'SQLite feedback store migrated');
    return applied;
  }

  recordCards(cards: IssuedCard[]): void {
    this.cards.push(cards);
  }

  async saveFeedback(items: FeedbackRecord[]): Promise<SaveResult> {
    if (this.closing) throw new Error('feedback store is closed');
    const storedItems: FeedbackRecord[] = [];
    const tx = this.db.transaction((list: FeedbackRecord[]) => {
      for (const f of list) {
        const r = this.insertFeedback.run({
          serviceId: f.serviceId,
          card: f.card,
          outcome: f.outcome,
          acceptedSuggestions: JSON.stringify(f.acceptedSuggestions),
          overrideSystem: f.overrideReason?.system ?? null,
          overrideCode: f.overrideReason?.code ?? null,
          overrideDisplay: f.overrideReason?.display ?? null,
          userComment: f.userComment ?? null,
          outcomeTimestamp: f.outcomeTimestamp,
          outcomeAt: outcomeInstant(f.outcomeTimestamp, f.receivedAt).getTime(),
          receivedAt: f.receivedAt.getTime(),
          issuer: f.issuer ?? null,
          tenant: f.tenant ?? null,
        });
        if (r.changes > 0) storedItems.push(f);
      }
    });
    tx.immediate(items);
    return { stored: storedItems.length, duplicates: items.length - storedItems.length, storedItems };
  }

  async summary(query: SummaryQuery): Promise<TopicSummary[]> {
    if (this.closing) throw new Error('feedback store is closed');
    const { params, range, service } = queryFilter(query);
    const feedbackWhere = `${range('f.outcome_at')} AND ${service('f.service_id')}`;

    const issued = this.db
      .prepare(
        `SELECT service_id, topic, COUNT(*) AS issued FROM issued_cards
                WHERE ${range('issued_at')} AND ${service('service_id')} GROUP BY 1, 2`,
      )
      .all(params) as IssuedRow[];
    const outcomes = this.db
      .prepare(
        `SELECT f.service_id, COALESCE(c.topic, '${UNKNOWN_TOPIC}') AS topic,
                  COUNT(DISTINCT CASE WHEN f.outcome = 'accepted' THEN f.card_uuid END) AS accepted,
                  COUNT(DISTINCT CASE WHEN f.outcome = 'overridden' THEN f.card_uuid END) AS overridden
                FROM feedback f LEFT JOIN issued_cards c ON c.card_uuid = f.card_uuid
                WHERE ${feedbackWhere} GROUP BY 1, 2`,
      )
      .all(params) as OutcomeRow[];
    const reasons = this.db
      .prepare(
        `SELECT f.service_id, COALESCE(c.topic, '${UNKNOWN_TOPIC}') AS topic, f.override_system, f.override_code,
                  CASE WHEN f.override_code IS NULL THEN f.override_display END AS display_key,
                  MAX(f.override_display) AS display, COUNT(DISTINCT f.card_uuid) AS count
                FROM feedback f LEFT JOIN issued_cards c ON c.card_uuid = f.card_uuid
                WHERE f.outcome = 'overridden' AND ${feedbackWhere} GROUP BY 1, 2, 3, 4, 5`,
      )
      .all(params) as ReasonRow[];
    return buildSummary(issued, outcomes, reasons);
  }

  async dailyTrend(query: SummaryQuery): Promise<DayCount[]> {
    if (this.closing) throw new Error('feedback store is closed');
    const { params, range, service } = queryFilter(query);
    const day = (column: string) => `strftime('%Y-%m-%d', ${column} / 1000, 'unixepoch')`;
    const issued = this.db
      .prepare(
        `SELECT ${day('issued_at')} AS day, COUNT(*) AS issued FROM issued_cards
                WHERE ${range('issued_at')} AND ${service('service_id')} GROUP BY 1`,
      )
      .all(params) as DayRow[];
    const outcomes = this.db
      .prepare(
        `SELECT ${day('outcome_at')} AS day,
                  COUNT(DISTINCT CASE WHEN outcome = 'accepted' THEN card_uuid END) AS accepted,
                  COUNT(DISTINCT CASE WHEN outcome = 'overridden' THEN card_uuid END) AS overridden
                FROM feedback WHERE ${range('outcome_at')} AND ${service('service_id')} GROUP BY 1`,
      )
      .all(params) as DayRow[];
    return buildDailyTrend(issued, outcomes);
  }

  async ping(): Promise<void> {
    if (this.closing) throw new Error('feedback store is closed');
    this.db.prepare('SELECT 1').get();
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.cards.close();
      this.cardDb.close();
      this.db.close();
    })();
    return this.closing;
  }

  /**
   * better-sqlite3 runs on the event loop: a batch of several hundred cards written at once would
   * hold every hook call arriving meanwhile (docs/decisions/0006-issued-card-writes.md).
   * So a batch is written as small transactions with a turn of the event loop between them.
   * A failure part-way leaves the batch to the queue's retry; rows already written are skipped
   * then by `ON CONFLICT DO NOTHING`.
   */
  private async writeCards(batch: IssuedCard[]): Promise<void> {
    for (let start = 0; start < batch.length; start += CARDS_PER_TRANSACTION) {
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      if (!this.cardDb.open) throw new Error('database is closed');
      this.insertCards.immediate(batch.slice(start, start + CARDS_PER_TRANSACTION));
    }
  }
}

/** WHERE fragments (times are epoch milliseconds) and their named parameters for a summary query. */
function queryFilter(query: SummaryQuery): {
  params: Record<string, number | string>;
  range: (column: string) => string;
  service: (column: string) => string;
} {
  const params: Record<string, number | string> = {};
  if (query.from) params.from = query.from.getTime();
  if (query.to) params.to = query.to.getTime();
  if (query.serviceId !== undefined) params.serviceId = query.serviceId;
  const range = (column: string): string => {
    const parts: string[] = [];
    if (query.from) parts.push(`${column} >= @from`);
    if (query.to) parts.push(`${column} < @to`);
    return parts.length ? parts.join(' AND ') : '1 = 1';
  };
  const service = (column: string) => (query.serviceId !== undefined ? `${column} = @serviceId` : '1 = 1');
  return { params, range, service };
}

/**
 * The card connection's page cache, KiB. It only appends (rowid, UUIDv7 card uuid and issued_at
 * all grow at one end), so its working set is a few dozen pages at the right-hand edge of three
 * B-trees, and better-sqlite3's 16 000 KiB default only held memory
 * (docs/decisions/0003-issued-card-connection-page-cache.md). The feedback connection keeps the
 * default: reports read through it.
 */
const CARD_CACHE_KIB = 256;

/** Small enough that one transaction holds the event loop for about a millisecond. */
const CARDS_PER_TRANSACTION = 50;

const CARD_COLUMNS =
  'card_uuid, service_id, topic, indicator, suggestion_ids, hook_instance, issued_at, issuer, tenant';

/** One INSERT of `rows` cards; a card already recorded (a retried batch) is skipped. */
function insertCardsSql(rows: number): string {
  const values = Array.from({ length: rows }, () => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', ');
  return `INSERT INTO issued_cards (${CARD_COLUMNS}) VALUES ${values} ON CONFLICT (card_uuid) DO NOTHING`;
}

/** A card's values in CARD_COLUMNS order. */
function cardValues(c: IssuedCard): (string | number | null)[] {
  return [
    c.uuid,
    c.serviceId,
    c.topic,
    c.indicator,
    JSON.stringify(c.suggestionIds),
    c.hookInstance,
    c.issuedAt.getTime(),
    c.issuer ?? null,
    c.tenant ?? null,
  ];
}

export function createSqliteStore(opts: SqliteStoreOptions): SqliteFeedbackStore {
  return new SqliteFeedbackStore(opts);
}
