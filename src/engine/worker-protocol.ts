import type { Policy } from '../core/index.js';
import type { FhirErrorKind, FhirLimits } from '../fhir/gather.js';
import type { CallAnswer, ServiceCall } from '../hooks/answer.js';

/** The messages between WorkerEngine and service-worker.js; every value is structured-cloneable. */

export interface WorkerSettings {
  policy: Policy;
  fhirLimits?: FhirLimits;
  smartLaunchUrl?: string;
}

export type ToWorker =
  { type: 'call'; id: number; call: ServiceCall } | { type: 'abort'; id: number } | { type: 'ping' };

export type WorkerEvent =
  | { type: 'log'; level: 'info' | 'warn'; fields: Record<string, unknown>; msg: string }
  | { type: 'fhirError'; kind: FhirErrorKind };

export type FromWorker =
  | { type: 'answer'; id: number; events: WorkerEvent[]; answer: CallAnswer }
  | { type: 'error'; id: number; events: WorkerEvent[]; error: { name: string; message: string; stack?: string } }
  | { type: 'pong' }
  /** Sent once, when the worker's modules are loaded and it takes calls. */
  | { type: 'ready' };
