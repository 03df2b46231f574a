import type { CallAnswer, CallEvents, ServiceCall } from '../hooks/answer.js';
import type { ServiceCallEngine } from './engine.js';

/** An engine that can say how busy it is: a WorkerEngine. */
export interface PoolMember extends ServiceCallEngine {
  readonly inFlight: number;
}

/**
 * The service workers behind one engine when SERVICE_WORKERS > 1 (for hosts with a core per worker
 * beyond the event loop's). Each call goes to the member with the fewest
 * calls in flight: a call's cost is mostly CPU (parse, evaluate, render), so the shortest queue
 * answers soonest; ties rotate, so a quiet service still uses, and keeps warm, every worker.
 * Each member recovers on its
 * own from a worker that dies or stalls (WorkerEngine); the others keep answering meanwhile.
 */
export class WorkerPool implements ServiceCallEngine {
  private next = 0;

  constructor(private readonly members: readonly PoolMember[]) {
    if (members.length === 0) throw new Error('a worker pool needs at least one member');
  }

  answer(call: ServiceCall, events: CallEvents, signal: AbortSignal): Promise<CallAnswer> {
    const n = this.members.length;
    let best = this.members[this.next]!;
    for (let i = 1; i < n; i++) {
      const m = this.members[(this.next + i) % n]!;
      if (m.inFlight < best.inFlight) best = m;
    }
    this.next = (this.next + 1) % n;
    return best.answer(call, events, signal);
  }

  /** Ready when every worker is: /readyz must not report capacity that is not there yet. */
  async ready(): Promise<void> {
    await Promise.all(this.members.map((m) => m.ready()));
  }

  async close(): Promise<void> {
    const results = await Promise.allSettled(this.members.map((m) => m.close()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
