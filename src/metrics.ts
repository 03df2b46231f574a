import { Counter, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * One registry per app, so that several apps (tests, replicas in one process) never share counters.
 * Card and feedback counters are registered by the store wrapper (src/store/feedback-metrics.ts):
 * only the store knows that an item is durable and not a repeat.
 */
export interface Metrics {
  registry: Registry;
  httpRequests: Counter<'route' | 'service' | 'method' | 'status'>;
  httpDuration: Histogram<'route' | 'service' | 'method' | 'status'>;
  fhirErrors: Counter<'kind'>;
  authFailures: Counter<'route' | 'reason'>;
}

export interface MetricsOptions {
  /** Process metrics (CPU, memory, event loop). On in the server, off in most tests. */
  processMetrics?: boolean;
}

export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const registry = new Registry();
  if (opts.processMetrics) collectDefaultMetrics({ register: registry, prefix: 'aibl_' });
  const registers = [registry];
  return {
    registry,
    httpRequests: new Counter({
      name: 'aibl_http_requests_total',
      help: 'HTTP requests answered, by route, CDS service id and status code',
      labelNames: ['route', 'service', 'method', 'status'] as const,
      registers,
    }),
    httpDuration: new Histogram({
      name: 'aibl_http_request_duration_seconds',
      help: 'Time to answer HTTP requests, by route, CDS service id and status code',
      labelNames: ['route', 'service', 'method', 'status'] as const,
      // CDS Hooks asks for answers "on the order of 500 ms"; resolve that region finely.
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2.5, 5, 10],
      registers,
    }),
    fhirErrors: new Counter({
      name: 'aibl_fhir_errors_total',
      help: 'Failed FHIR server calls during data gathering, by kind (timeout, http status class, network)',
      labelNames: ['kind'] as const,
      registers,
    }),
    authFailures: new Counter({
      name: 'aibl_auth_failures_total',
      help: 'Requests refused with 401, by route and reason',
      labelNames: ['route', 'reason'] as const,
      registers,
    }),
  };
}
