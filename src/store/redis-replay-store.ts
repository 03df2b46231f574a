import { createHash } from 'node:crypto';
import { Redis } from 'ioredis';
import type { ReplayStore } from '../auth/replay-store.js';
import { describeError, type StoreLogger } from './store-logger.js';

export interface RedisReplayStoreOptions {
  /** REDIS_URL, e.g. redis://:password@redis:6379/0 or rediss:// for TLS. */
  redisUrl: string;
  /** Namespace for this service's keys (default `aibl-cds:jti:`); tests use one per run. */
  keyPrefix?: string;
  /** A command not answered within this time fails (default 1000 ms): a token check must not hang. */
  commandTimeoutMs?: number;
  logger?: StoreLogger;
}

/**
 * JWT ids shared by every replica: `SET key 1 EXAT exp NX` is atomic in Redis, so of two replicas
 * receiving the same token at once exactly one is told "first seen". Redis 6.2+ (EXAT).
 *
 * Fails closed: while Redis is unreachable, firstSeen rejects (never answers "first seen"), and
 * ping() rejects so /readyz takes the replica out of the load balancer.
 */
export class RedisReplayStore implements ReplayStore {
  private readonly redis: Redis;
  private readonly keyPrefix: string;
  private reportedDown = false;

  constructor(opts: RedisReplayStoreOptions) {
    this.keyPrefix = opts.keyPrefix ?? 'aibl-cds:jti:';
    const timeout = opts.commandTimeoutMs ?? 1000;
    this.redis = new Redis(opts.redisUrl, {
      commandTimeout: timeout,
      connectTimeout: Math.max(timeout, 2000),
      // Queued commands fail after one reconnection attempt instead of waiting for Redis to return.
      maxRetriesPerRequest: 1,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    const logger = opts.logger;
    this.redis.on('error', (err: unknown) => {
      // ioredis repeats the error on every reconnection attempt; one line per outage is enough.
      if (this.reportedDown) return;
      this.reportedDown = true;
      logger?.error(describeError(err), 'Redis replay store unreachable');
    });
    this.redis.on('ready', () => {
      if (this.reportedDown) logger?.info({}, 'Redis replay store reachable again');
      this.reportedDown = false;
    });
  }

  async firstSeen(iss: string, jti: string, expEpochSeconds: number): Promise<boolean> {
    // Hashed so that key length and characters do not depend on what the issuer put in its claims.
    const id = createHash('sha256')
      .update(JSON.stringify([iss, jti]))
      .digest('base64url');
    // Redis refuses an expiry in the past; an already-expired token (accepted within clock skew)
    // is still remembered for a moment.
    const keepUntil = Math.max(Math.ceil(expEpochSeconds), Math.floor(Date.now() / 1000) + 1);
    const reply = await this.redis.set(this.keyPrefix + id, '1', 'EXAT', keepUntil, 'NX');
    return reply === 'OK';
  }

  async ping(): Promise<void> {
    const reply = await this.redis.ping();
    if (reply !== 'PONG') throw new Error(`unexpected Redis PING reply: ${String(reply)}`);
  }

  async close(): Promise<void> {
    if (this.redis.status === 'ready') {
      try {
        await this.redis.quit();
        return;
      } catch {
        // fall through to a hard disconnect
      }
    }
    this.redis.disconnect();
  }
}
