import { answerServiceCall, type AnswerDeps, type CallAnswer, type CallEvents, type ServiceCall } from './answer.js';

/**
 * Answers service calls. The HTTP layer only reads bytes and writes answers; an engine does the
 * rest, in this thread (tests, `SERVICE_WORKER=off`) or on worker threads (./worker-engine.ts, one
 * per ./worker-pool.ts member).
 */
export interface ServiceCallEngine {
  answer(call: ServiceCall, events: CallEvents, signal: AbortSignal): Promise<CallAnswer>;
  /** Resolves when calls can be answered (the /readyz check). */
  ready(): Promise<void>;
  close(): Promise<void>;
}

/** The engine on the caller's own thread; it owns nothing, so closing it is a no-op. */
export function inProcessEngine(deps: AnswerDeps): ServiceCallEngine {
  return {
    answer: (call, events, signal) => answerServiceCall(call, deps, events, signal),
    ready: () => Promise.resolve(),
    close: () => Promise.resolve(),
  };
}
