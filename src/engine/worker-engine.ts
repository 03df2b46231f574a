import { Worker, type ResourceLimits } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { Policy } from '../core/index.js';
import type { FhirLimits } from '../fhir/gather.js';
import type { CallAnswer, CallEvents, ServiceCall } from '../hooks/answer.js';
import type { ServiceCallEngine } from './engine.js';
import type { FromWorker, ToWorker, WorkerSettings } from './worker-protocol.js';

export interface WorkerEngineOptions {
  policy: Policy;
  logger: Logger;
  /** FHIR_MAX_RESPONSE_BYTES and FHIR_MAX_REQUEST_BYTES for the worker's FHIR calls (defaults otherwise). */
  fhirLimits?: FhirLimits;
  /** See AnswerDeps.smartLaunchUrl. */
  smartLaunchUrl?: string;
  /** The worker's module; by default service-worker.js beside this file (in dist/). */
  workerUrl?: URL;
  resourceLimits?: ResourceLimits;
  /**
   * A worker that holds calls and has not answered a ping for this long is stuck (a loop, not I/O:
   * FHIR waits leave its event loop free) and is replaced. Default 5 s.
   */
  stallMs?: number;
}

interface Pending {
  events: CallEvents;
  resolve: (answer: CallAnswer) => void;
  reject: (err: Error) => void;
  done: () => void;
}

/**
 * Answers service calls on one worker thread, so that the event loop only does HTTP: on the
 * thread that also runs the sockets, parsing and evaluating a call cost several times what the
 * same work costs alone, each churning the other's caches
 * (docs/decisions/0001-service-calls-on-worker-threads.md). One worker per engine, calls running
 * in it concurrently (FHIR I/O is async); a WorkerPool
 * holds one engine per SERVICE_WORKERS, by default one, as a 2-core host has one core to give.
 *
 * A worker that dies (a bug, out of memory) or stops answering pings fails the calls it held (500,
 * logged) and the next call starts a new one: the process, and the EHR's other calls, carry on.
 */
export class WorkerEngine implements ServiceCallEngine {
  private worker: Worker | undefined;
  private loaded: Promise<void> = Promise.resolve();
  private markReady: () => void = () => undefined;
  /** The current worker has loaded its modules; before that, a slow ping is start-up, not a stall. */
  private workerReady = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 0;
  private closed = false;
  private pingSentAt: number | undefined;
  private readonly watchdog: NodeJS.Timeout;

  constructor(private readonly opts: WorkerEngineOptions) {
    this.spawn();
    const stallMs = opts.stallMs ?? 5000;
    this.watchdog = setInterval(() => this.watch(stallMs), Math.max(10, Math.floor(stallMs / 5)));
    this.watchdog.unref();
  }

  /** Calls handed to the worker and not yet answered (a WorkerPool sends the next call to the least busy). */
  get inFlight(): number {
    return this.pending.size;
  }

  answer(call: ServiceCall, events: CallEvents, signal: AbortSignal): Promise<CallAnswer> {
    if (this.closed) return Promise.reject(new Error('service engine is closed'));
    const worker = this.worker ?? this.spawn();
    const id = this.nextId++;
    return new Promise<CallAnswer>((resolve, reject) => {
      const abort = () => worker.postMessage({ type: 'abort', id } satisfies ToWorker);
      signal.addEventListener('abort', abort, { once: true });
      this.pending.set(id, { events, resolve, reject, done: () => signal.removeEventListener('abort', abort) });
      const body = call.body;
      if (body === undefined) {
        worker.postMessage({ type: 'call', id, call } satisfies ToWorker);
        return;
      }
      // Hand the bytes over without a copy when the view owns its buffer (bodies over 4 KiB);
      // a small body may sit in Node's shared pool, which must not be detached: copy that.
      const own = body.byteOffset === 0 && body.byteLength === body.buffer.byteLength ? body : new Uint8Array(body);
      worker.postMessage({ type: 'call', id, call: { ...call, body: own } } satisfies ToWorker, [
        own.buffer as ArrayBuffer,
      ]);
    });
  }

  ready(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('service engine is closed'));
    if (this.worker === undefined) this.spawn();
    return this.loaded;
  }

  async close(): Promise<void> {
    this.closed = true;
    clearInterval(this.watchdog);
    const worker = this.worker;
    this.worker = undefined;
    if (worker !== undefined) await worker.terminate();
  }

  /** Pings a worker that holds calls; terminates it when a ping goes unanswered for `stallMs`. */
  private watch(stallMs: number): void {
    const worker = this.worker;
    if (worker === undefined || !this.workerReady || this.pending.size === 0) {
      this.pingSentAt = undefined;
      return;
    }
    if (this.pingSentAt === undefined) {
      this.pingSentAt = Date.now();
      worker.postMessage({ type: 'ping' } satisfies ToWorker);
    } else if (Date.now() - this.pingSentAt > stallMs) {
      this.opts.logger.error({ stallMs, heldCalls: this.pending.size }, 'service worker unresponsive: terminating it');
      this.pingSentAt = undefined;
      void worker.terminate();
    }
  }

  private spawn(): Worker {
    const workerData: WorkerSettings = {
      policy: this.opts.policy,
      ...(this.opts.fhirLimits && { fhirLimits: this.opts.fhirLimits }),
      ...(this.opts.smartLaunchUrl !== undefined && { smartLaunchUrl: this.opts.smartLaunchUrl }),
    };
    const worker = new Worker(this.opts.workerUrl ?? new URL('./service-worker.js', import.meta.url), {
      workerData,
      ...(this.opts.resourceLimits !== undefined && { resourceLimits: this.opts.resourceLimits }),
    });
    // The server's sockets keep the process alive, not the worker.
    worker.unref();
    this.pingSentAt = undefined;
    this.workerReady = false;
    this.loaded = new Promise<void>((resolve, reject) => {
      this.markReady = () => {
        this.workerReady = true;
        resolve();
      };
      worker.once('exit', () => reject(new Error('service worker stopped before it was ready')));
    });
    this.loaded.catch(() => undefined);
    worker.on('message', (msg: FromWorker) => this.settle(msg));
    worker.on('error', (err) => this.opts.logger.error({ err }, 'service worker failed'));
    worker.once('exit', (code) => {
      if (this.worker === worker) this.worker = undefined;
      const err = new Error(`service worker exited with code ${code}`);
      for (const p of this.pending.values()) {
        p.done();
        p.reject(err);
      }
      const failed = this.pending.size;
      this.pending.clear();
      if (!this.closed)
        this.opts.logger.error({ code, failedCalls: failed }, 'service worker stopped; the next call starts a new one');
    });
    this.worker = worker;
    return worker;
  }

  private settle(msg: FromWorker): void {
    if (msg.type === 'pong') {
      this.pingSentAt = undefined;
      return;
    }
    if (msg.type === 'ready') {
      this.markReady();
      return;
    }
    const p = this.pending.get(msg.id);
    if (p === undefined) return;
    this.pending.delete(msg.id);
    p.done();
    for (const e of msg.events) {
      if (e.type === 'log') p.events.log(e.level, e.fields, e.msg);
      else p.events.fhirError(e.kind);
    }
    if (msg.type === 'answer') {
      p.resolve(msg.answer);
      return;
    }
    const err = new Error(msg.error.message);
    err.name = msg.error.name;
    if (msg.error.stack !== undefined) err.stack = msg.error.stack;
    p.reject(err);
  }
}
