import type { AnswerDeps, CallAnswer, CallEvents, ServiceCall } from '../hooks/answer.js';
import { answerServiceCall } from '../hooks/answer.js';
import { FhirAgents, type FhirLimits } from '../fhir/gather.js';
import { timeOrderedId } from '../time-ordered-id.js';

/**
 * Answers service calls. The HTTP layer only reads bytes and writes answers; an engine does the
 * rest, on this thread (InProcessEngine) or on worker threads (./worker-engine.ts, one per
 * ./worker-pool.ts member). ./create-engine.ts picks one from SERVICE_WORKERS.
 */
export interface ServiceCallEngine {
  answer(call: ServiceCall, events: CallEvents, signal: AbortSignal): Promise<CallAnswer>;
  /** Resolves when calls can be answered (the /readyz check). */
  ready(): Promise<void>;
  /** Releases what the engine made (threads, FHIR connections); later calls are refused. */
  close(): Promise<void>;
}

export interface InProcessEngineOptions {
  policy: AnswerDeps['policy'];
  /** Default: the system clock. */
  now?: () => Date;
  /** Default: a UUIDv7 (./create-engine.ts says why). */
  newId?: () => string;
  /** FHIR_MAX_RESPONSE_BYTES and FHIR_MAX_REQUEST_BYTES; defaults otherwise. */
  fhirLimits?: FhirLimits;
  /** See AnswerDeps.smartLaunchUrl. */
  smartLaunchUrl?: string;
}

/**
 * The engine on the caller's own thread (SERVICE_WORKERS=0): for a host with a single core, where
 * a worker only adds a hand-over, and for tests. FHIR calls go out from this thread, over the
 * keep-alive agents it makes and closes.
 */
export class InProcessEngine implements ServiceCallEngine {
  /** Public for its stats (tests watch the connections it holds). */
  readonly fhirAgents = new FhirAgents();
  private readonly deps: AnswerDeps;
  private closed = false;

  constructor(opts: InProcessEngineOptions) {
    this.deps = {
      policy: opts.policy,
      now: opts.now ?? (() => new Date()),
      newId: opts.newId ?? (() => timeOrderedId()),
      fhirAgents: this.fhirAgents,
      ...(opts.fhirLimits && { fhirLimits: opts.fhirLimits }),
      ...(opts.smartLaunchUrl !== undefined && { smartLaunchUrl: opts.smartLaunchUrl }),
    };
  }

  answer(call: ServiceCall, events: CallEvents, signal: AbortSignal): Promise<CallAnswer> {
    if (this.closed) return Promise.reject(new Error('service engine is closed'));
    return answerServiceCall(call, this.deps, events, signal);
  }

  ready(): Promise<void> {
    return this.closed ? Promise.reject(new Error('service engine is closed')) : Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    this.fhirAgents.close();
    return Promise.resolve();
  }
}
