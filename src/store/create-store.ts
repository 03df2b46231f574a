import type { CardQueueOptions } from './card-queue.js';
import type { FeedbackStore } from './feedback-store.js';
import { SqliteFeedbackStore } from './sqlite-store.js';
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
 * startup does not stop the service — hooks must keep answering — it only keeps /readyz failing
 * and feedback answering 503 until the first successful migration. A SQLite file that cannot be
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
    try {
      await store.ready();
    } catch (err) {
      opts.logger.error(describeError(err), 'PostgreSQL unreachable at startup; feedback unavailable until it answers');
    }
    return store;
  }
  const store = new SqliteFeedbackStore({
    dataDir: opts.dataDir,
    logger: opts.logger,
    ...(opts.cardQueue ? { cardQueue: opts.cardQueue } : {}),
  });
  opts.logger.info({ file: store.path }, 'feedback stored in SQLite (single replica only)');
  return store;
}
