import type { Logger } from 'pino';
import type { Policy } from '../core/index.js';
import type { FhirLimits } from '../fhir/gather.js';
import { InProcessEngine, type ServiceCallEngine } from './engine.js';
import { WorkerEngine, type WorkerEngineOptions } from './worker-engine.js';
import { WorkerPool } from './worker-pool.js';

export interface EngineConfig {
  /** SERVICE_WORKERS: 0 answers on the caller's thread, N ≥ 1 on N worker threads. */
  workers: number;
  policy: Policy;
  logger: Logger;
  /** The clock and card ids of the in-thread engine; a worker uses its own (Date, UUIDv7). */
  now?: () => Date;
  newId?: () => string;
  /** FHIR_MAX_RESPONSE_BYTES and FHIR_MAX_REQUEST_BYTES, for every engine. */
  fhirLimits?: FhirLimits;
  /** The SMART app's launch URL: DXA-trend cards link to it (SMART_CLIENT_ID set). */
  smartLaunchUrl?: string;
  /** Options of each worker (tests: the worker module, its limits, the stall time). */
  worker?: Omit<WorkerEngineOptions, 'policy' | 'logger'>;
}

/** The engine SERVICE_WORKERS asks for; its caller closes it, and it closes what it made. */
export function createEngine(config: EngineConfig): ServiceCallEngine {
  const { workers, policy, logger } = config;
  if (!Number.isInteger(workers) || workers < 0) throw new Error(`workers must be a whole number ≥ 0, not ${workers}`);
  // Card and suggestion ids are UUIDv7 (src/time-ordered-id.ts) on every engine: fresh per answer
  // and unguessable (74 random bits after a millisecond timestamp), and time-ordered, so the
  // store's index on them grows at one end; random v4 keys cost SQLite about twice the CPU per
  // issued card (19 vs 9 µs, measured).
  if (workers === 0) {
    return new InProcessEngine({
      policy,
      ...(config.now && { now: config.now }),
      ...(config.newId && { newId: config.newId }),
      ...(config.fhirLimits && { fhirLimits: config.fhirLimits }),
      ...(config.smartLaunchUrl !== undefined && { smartLaunchUrl: config.smartLaunchUrl }),
    });
  }
  const one = () =>
    new WorkerEngine({
      ...config.worker,
      policy,
      logger,
      ...(config.fhirLimits && { fhirLimits: config.fhirLimits }),
      ...(config.smartLaunchUrl !== undefined && { smartLaunchUrl: config.smartLaunchUrl }),
    });
  return workers === 1 ? one() : new WorkerPool(Array.from({ length: workers }, one));
}
