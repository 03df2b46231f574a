import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import { serializeError } from '../logger.js';
import './locals.js';

export type ReadinessCheck = () => Promise<void>;

const CHECK_TIMEOUT_MS = 2000;

/** Liveness: the process answers. Deliberately checks nothing else, so a database outage never restarts pods. */
export const healthz: RequestHandler = (_req, res) => {
  res.locals.route = 'healthz';
  res.set('Cache-Control', 'no-store').json({ status: 'ok' });
};

function withTimeout(check: ReadinessCheck): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`readiness check timed out after ${CHECK_TIMEOUT_MS} ms`)), CHECK_TIMEOUT_MS);
  });
  return Promise.race([Promise.resolve().then(check), timeout]).finally(() => clearTimeout(timer));
}

/** Readiness: every dependency answers (store, replay store, …). 503 while any fails or the server drains. */
export function readyz(checks: readonly ReadinessCheck[]): RequestHandler {
  return async (_req, res) => {
    res.locals.route = 'readyz';
    const results = await Promise.allSettled(checks.map(withTimeout));
    const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    res.set('Cache-Control', 'no-store');
    if (failed.length === 0) {
      res.json({ status: 'ready' });
      return;
    }
    res.locals.log?.warn({ failed: failed.length, errs: failed.map((f) => ({ ...serializeError(f.reason), message: reasonText(f.reason) })) }, 'not ready');
    res.status(503).json({ status: 'not ready', failedChecks: failed.length });
  };
}

export function metricsEndpoint(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.locals.route = 'metrics';
    const body = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(body);
  };
}

/** Readiness failures are our own dependencies (timeouts, refused connections): their text helps and holds no PHI. */
function reasonText(reason: unknown): string {
  return reason instanceof Error ? reason.message.replace(/\/\/[^@/\s]*@/g, '//[redacted]@') : String(reason);
}
