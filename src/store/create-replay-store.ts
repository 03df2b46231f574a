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
    opts.logger?.info(
      { replayStore: 'redis', ...describeRedisUrl(opts.redisUrl) },
      'JWT ids kept in Redis (shared by replicas)',
    );
    return new RedisReplayStore({
      redisUrl: opts.redisUrl,
      ...(opts.logger ? { logger: opts.logger } : {}),
      ...(opts.keyPrefix !== undefined ? { keyPrefix: opts.keyPrefix } : {}),
    });
  }
  opts.logger?.info(
    { replayStore: 'memory' },
    'JWT ids kept in this process only (one replica; set REDIS_URL for several)',
  );
  return new MemoryReplayStore();
}

/** Host, port and database number, never the password. */
function describeRedisUrl(redisUrl: string): { host?: string; port?: string; db?: string; tls?: boolean } {
  try {
    const url = new URL(redisUrl);
    return {
      host: url.hostname,
      port: url.port || '6379',
      db: url.pathname.replace(/^\//, '') || '0',
      tls: url.protocol === 'rediss:',
    };
  } catch {
    return {};
  }
}
