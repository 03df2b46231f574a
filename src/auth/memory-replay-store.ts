import type { ReplayStore } from './replay-store.js';

export interface MemoryReplayStoreOptions {
  /** Upper bound on remembered ids (default 200 000). When full of unexpired ids, calls fail closed. */
  maxEntries?: number;
  /** How often expired ids are dropped, lazily on the next call (default 30 s). */
  sweepIntervalMs?: number;
  now?: () => number;
}

/** The store is full of unexpired ids; accepting more would mean forgetting one still replayable. */
export class ReplayStoreFullError extends Error {
  constructor() {
    super('replay store is full');
    this.name = 'ReplayStoreFullError';
  }
}

/**
 * Seen JWT ids for one replica. Sweeps lazily on use, so there is no timer to leak or to keep the
 * process alive, and the map never grows past `maxEntries`.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly seen = new Map<string, number>();
  private readonly maxEntries: number;
  private readonly sweepIntervalMs: number;
  private readonly now: () => number;
  private lastSweepAt: number;

  constructor(opts: MemoryReplayStoreOptions = {}) {
    this.maxEntries = opts.maxEntries ?? 200_000;
    this.sweepIntervalMs = opts.sweepIntervalMs ?? 30_000;
    this.now = opts.now ?? Date.now;
    this.lastSweepAt = this.now();
  }

  async firstSeen(iss: string, jti: string, expEpochSeconds: number): Promise<boolean> {
    const now = this.now();
    if (now - this.lastSweepAt >= this.sweepIntervalMs) this.sweep(now);
    // A JSON pair cannot collide the way "iss" + "jti" concatenation could.
    const key = JSON.stringify([iss, jti]);
    const keptUntil = this.seen.get(key);
    if (keptUntil !== undefined && keptUntil > now) return false;
    if (keptUntil === undefined && this.seen.size >= this.maxEntries) {
      // Sweeping is O(n); when genuinely full, at most once a second so a burst cannot spin the CPU.
      if (now - this.lastSweepAt >= 1000) this.sweep(now);
      if (this.seen.size >= this.maxEntries) throw new ReplayStoreFullError();
    }
    this.seen.set(key, expEpochSeconds * 1000);
    return true;
  }

  /** Number of ids currently remembered (for tests and metrics). */
  get size(): number {
    return this.seen.size;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.seen.clear();
  }

  private sweep(now: number): void {
    for (const [key, keptUntil] of this.seen) {
      if (keptUntil <= now) this.seen.delete(key);
    }
    this.lastSweepAt = now;
  }
}
