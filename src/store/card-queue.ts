import type { IssuedCard } from './feedback-store.js';
import { describeError, type StoreLogger } from './store-logger.js';

export interface CardQueueOptions {
  /** Write as soon as this many cards wait (default 500). */
  maxBatch?: number;
  /** Otherwise write this long after the first waiting card (default 250 ms). */
  flushIntervalMs?: number;
  /** Memory bound while the database is down: the oldest cards beyond it are dropped (default 20 000). */
  maxQueued?: number;
  /** Longest wait between retries after a failed write (default 30 s). */
  maxBackoffMs?: number;
}

type WriteBatch = (cards: IssuedCard[]) => Promise<void>;

/**
 * Issued cards wait here so that the hook's answer never waits on the database. A batch is
 * written when it is full or after a short interval; a failed batch is kept and retried with
 * backoff (bounded in memory), and whatever is left is written by `close()`. Failures are logged,
 * never thrown: losing a card's record costs a statistic, not a prescriber's time.
 */
export class CardQueue {
  private readonly maxBatch: number;
  private readonly flushIntervalMs: number;
  private readonly maxQueued: number;
  private readonly maxBackoffMs: number;
  private queue: IssuedCard[] = [];
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private failures = 0;
  private closed = false;
  private dropped = 0;
  private lastDropLogAt = 0;

  constructor(
    private readonly write: WriteBatch,
    private readonly logger: StoreLogger,
    opts: CardQueueOptions = {},
  ) {
    this.maxBatch = opts.maxBatch ?? 500;
    this.flushIntervalMs = opts.flushIntervalMs ?? 250;
    this.maxQueued = opts.maxQueued ?? 20_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 30_000;
  }

  push(cards: IssuedCard[]): void {
    if (cards.length === 0) return;
    if (this.closed) {
      this.logger.warn({ cards: cards.length }, 'issued cards recorded after the store closed were not kept');
      return;
    }
    this.queue.push(...cards);
    this.trim();
    if (this.queue.length >= this.maxBatch && this.failures === 0) {
      this.schedule(0);
    } else {
      this.schedule(this.flushIntervalMs);
    }
  }

  /** Writes what is queued now; resolves when done (never rejects). */
  async flush(): Promise<void> {
    this.clearTimer();
    await this.drain();
  }

  /** Stops the timer and writes everything left, once, whatever the earlier failures. */
  async close(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    if (this.running) await this.running;
    this.failures = 0;
    await this.drain();
    if (this.dropped > 0) {
      this.logger.error({ dropped: this.dropped }, 'issued-card queue full; oldest cards dropped');
      this.dropped = 0;
    }
    if (this.queue.length > 0) {
      this.logger.error({ cards: this.queue.length }, 'issued cards could not be written before shutdown');
      this.queue = [];
    }
  }

  /** A timer, never a direct call: push() must return before any write starts. */
  private schedule(delayMs: number, replace = delayMs === 0): void {
    if (this.closed) return;
    if (replace) this.clearTimer();
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      void this.drain();
    }, delayMs);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private drain(): Promise<void> {
    if (this.running) return this.running;
    this.running = this.writeAll().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async writeAll(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.maxBatch);
      try {
        await this.write(batch);
        if (this.failures > 0) this.logger.info({ cards: batch.length }, 'issued cards written again after a failure');
        this.failures = 0;
      } catch (err) {
        this.failures += 1;
        this.queue.unshift(...batch);
        this.trim();
        const retryMs = Math.min(this.maxBackoffMs, this.flushIntervalMs * 2 ** Math.min(this.failures, 16));
        this.logger.error(
          { ...describeError(err), cards: batch.length, queued: this.queue.length, retryMs },
          'could not write issued cards; will retry',
        );
        this.schedule(retryMs, true);
        return;
      }
    }
  }

  private trim(): void {
    const excess = this.queue.length - this.maxQueued;
    if (excess <= 0) return;
    this.queue.splice(0, excess);
    this.dropped += excess;
    // Once per 10 s at most: during a long outage every hook call would otherwise log a line.
    const now = Date.now();
    if (now - this.lastDropLogAt >= 10_000) {
      this.logger.error({ dropped: this.dropped }, 'issued-card queue full; oldest cards dropped');
      this.dropped = 0;
      this.lastDropLogAt = now;
    }
  }
}
