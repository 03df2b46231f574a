import type { RequestHandler } from 'express';
import type { Metrics } from '../metrics.js';
import type { Readiness } from './readiness.js';
import './locals.js';

/** Liveness: the process answers. Deliberately checks nothing else, so a database outage never restarts pods. */
export const healthz: RequestHandler = (_req, res) => {
  res.locals.route = 'healthz';
  res.set('Cache-Control', 'no-store').json({ status: 'ok' });
};

/**
 * Readiness: 200 while this replica can answer hook calls, 503 otherwise; either way the body
 * names every check and its state, so an operator sees which dependency is down.
 */
export function readyz(readiness: Readiness): RequestHandler {
  return async (_req, res) => {
    res.locals.route = 'readyz';
    const report = await readiness.evaluate();
    res.set('Cache-Control', 'no-store');
    res.status(report.ready ? 200 : 503).json({ status: report.ready ? 'ready' : 'not ready', checks: report.checks });
  };
}

export function metricsEndpoint(metrics: Metrics): RequestHandler {
  return async (_req, res) => {
    res.locals.route = 'metrics';
    const body = await metrics.registry.metrics();
    res.set('Content-Type', metrics.registry.contentType).set('Cache-Control', 'no-store').send(body);
  };
}
