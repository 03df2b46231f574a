import express, { type Express } from 'express';
import type { Metrics } from '../metrics.js';
import { metricsEndpoint } from './operations.js';

/**
 * /metrics alone, for METRICS_PORT: a listener the ingress never routes to, so the API's port
 * exposes nothing but the API, and a NetworkPolicy can open this port to the monitoring system only.
 */
export function createMetricsApp(metrics: Metrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.get('/metrics', metricsEndpoint(metrics));
  app.use((_req, res) => {
    res.status(404).type('text/plain').send('Not found: this port serves GET /metrics only\n');
  });
  return app;
}
