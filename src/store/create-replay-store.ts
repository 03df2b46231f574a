import { MemoryReplayStore } from '../auth/memory-replay-store.js';
import type { ReplayStore } from '../auth/replay-store.js';
import type { StoreLogger } from './store-logger.js';

export interface CreateReplayStoreOptions {
  /** REDIS_URL: shared by all replicas when set; otherwise ids are remembered in this process only. */
  redisUrl?: string;
  logger?: StoreLogger;
  keyPrefix?: string;
}

/** The Redis client is loaded only when REDIS_URL is set (see createFeedbackStore). */
export async function createReplayStore(opts: CreateReplayStoreOptions = {}): Promise<ReplayStore> {
  if (opts.redisUrl) {
    const { RedisReplayStore } = await import('./redis-replay-store.js');
    return new RedisReplayStore({
      redisUrl: opts.redisUrl,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
    });
  }
  return new MemoryReplayStore();
}
