/**
 * One deadline for all FHIR calls of a request. Aborting its signal cancels every in-flight call
 * (their sockets are destroyed); `race` bounds a call even if it ignored the signal.
 */
export type AbortCause = 'deadline' | 'cancelled' | 'stopped';

export class DeadlineAbort extends Error {
  constructor(readonly abortCause: AbortCause) {
    super(abortCause === 'deadline' ? 'FHIR deadline passed' : `FHIR calls ${abortCause}`);
    this.name = 'DeadlineAbort';
  }
}

export class Deadline {
  private readonly controller = new AbortController();
  private timer: NodeJS.Timeout;
  /** performance.now() time of the deadline (monotonic). */
  private readonly endsAt: number;
  private readonly onParentAbort = (): void => this.abort('cancelled');
  private abortCause: AbortCause | undefined;

  constructor(
    ms: number,
    private readonly parent?: AbortSignal,
  ) {
    const budget = Number.isFinite(ms) ? Math.max(0, ms) : 0;
    this.endsAt = performance.now() + budget;
    this.timer = setTimeout(this.expire, budget);
    if (parent?.aborted) this.abort('cancelled');
    else parent?.addEventListener('abort', this.onParentAbort, { once: true });
  }

  /**
   * A timer armed during a long synchronous stretch counts from the event loop's cached clock and
   * can fire early by that stretch; re-arm for what is really left so the budget is never cut.
   */
  private readonly expire = (): void => {
    const left = this.endsAt - performance.now();
    if (left >= 1) this.timer = setTimeout(this.expire, Math.ceil(left));
    else this.abort('deadline');
  };

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Why calls were aborted, if they were. */
  get cause(): AbortCause | undefined {
    return this.abortCause;
  }

  remainingMs(): number {
    return this.abortCause ? 0 : Math.max(0, this.endsAt - performance.now());
  }

  abort(cause: AbortCause): void {
    if (this.abortCause) return;
    this.abortCause = cause;
    this.controller.abort(new DeadlineAbort(cause));
  }

  /**
   * `work`, unless the deadline aborts first. The abort listener is removed as soon as either
   * settles: undici keeps every fetch's signal (this one) in a global FinalizationRegistry until its
   * request is collected, and fhir-kit-client hangs that request on the parsed body, so a listener
   * left here that can reach `work`'s result keeps every FHIR response of the gathering alive for
   * good (test/perf/fallback-memory.test.ts).
   */
  race<T>(work: Promise<T>): Promise<T> {
    const signal = this.controller.signal;
    if (signal.aborted) {
      work.catch(() => undefined);
      return Promise.reject(new DeadlineAbort(this.abortCause ?? 'stopped'));
    }
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new DeadlineAbort(this.abortCause ?? 'stopped'));
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (err: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(err);
        },
      );
    });
  }

  /** Stops the timer and lets go of the parent signal; call once the gathering is over. */
  dispose(): void {
    clearTimeout(this.timer);
    this.parent?.removeEventListener('abort', this.onParentAbort);
  }
}
