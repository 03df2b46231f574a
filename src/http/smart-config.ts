import express, { type Router } from 'express';
import type { SmartConfig } from '../config.js';
import type { Policy } from '../core/index.js';

/**
 * `GET /smart/config.json`: what the SMART app needs from its deployment. The page's policy allows
 * no inline script, so the client id cannot be written into the HTML; the app reads it here.
 * The site policy goes with it, so that the app's figures and recommendations are the service's.
 * Nothing about a patient passes through this route.
 */
export function smartConfigRouter(smart: SmartConfig | undefined, policy: Policy): Router {
  // Unconfigured is an answer, not an error: the page says so instead of failing to load.
  const body = JSON.stringify(smart ? { configured: true, clientId: smart.clientId, policy } : { configured: false });
  const router = express.Router();
  router.get('/smart/config.json', (_req, res) => {
    res.locals.route = 'smart-config';
    res.set('Cache-Control', 'no-cache').type('application/json').send(body);
  });
  return router;
}
