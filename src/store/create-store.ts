import type { CardQueueOptions } from './card-queue.js';
import type { FeedbackStore } from './feedback-store.js';
import { SqliteFeedbackStore } from './sqlite-store.js';
import { explainPostgresError } from './postgres-errors.js';
import { describeError, type StoreLogger } from './store-logger.js';

export interface CreateFeedbackStoreOptions {
  /** DATABASE_URL: PostgreSQL when set (several replicas), else SQLite under dataDir. */
  databaseUrl?: string;
  /** DATA_DIR (default ./data). */
  dataDir: string;
  logger: StoreLogger;
  /** PostgreSQL schema (tests). */
  schema?: string;
  cardQueue?: CardQueueOptions;
}

/**
 * PostgreSQL when a URL is given, else the embedded SQLite file. A PostgreSQL that is down at
 * startup does not stop the service — hooks must keep answering — it only shows as down in
 * /readyz and keeps feedback answering 503 until the first successful migration. A SQLite file that cannot be
 * opened is a configuration error and throws.
 */
export async function createFeedbackStore(opts: CreateFeedbackStoreOptions): Promise<FeedbackStore> {
  if (opts.databaseUrl) {
    // Loaded only when configured: the driver's code would otherwise sit in every SQLite process's
    // heap (which V8 lets grow to a multiple of what is live).
    const { PostgresFeedbackStore } = await import('./postgres-store.js');
    const store = new PostgresFeedbackStore({
      databaseUrl: opts.databaseUrl,
      logger: opts.logger,
      ...(opts.schema !== undefined ? { schema: opts.schema } : {}),
      ...(opts.cardQueue ? { cardQueue: opts.cardQueue } : {}),
    });
    const where = store.describe();
    try {
      await store.ready();
      opts.logger.info({ feedbackStore: 'postgresql', ...where }, 'feedback stored in PostgreSQL');
    } catch (err) {
      const why = explainPostgresError(err) ?? 'it could not be reached or migrated';
      opts.logger.error(
        { feedbackStore: 'postgresql', ...where, ...describeError(err) },
        `feedback store (PostgreSQL) not available at startup: ${why}. Feedback answers 503 until it is; hook calls are answered meanwhile`,
      );
    }
    return store;
  }
  const store = new SqliteFeedbackStore({
    dataDir: opts.dataDir,
    logger: opts.logger,
    ...(opts.cardQueue ? { cardQueue: opts.cardQueue } : {}),
  });
  opts.logger.info({ feedbackStore: 'sqlite', file: store.path }, 'feedback stored in SQLite (single replica only)');
  return store;
}
