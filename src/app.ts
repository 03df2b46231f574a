import express, { type Express } from 'express';
import helmet from 'helmet';
import type { Logger } from 'pino';
import type { Authenticator } from './auth/authenticator.js';
import { prefetchTemplates } from './fhir/queries.js';
import type { Config, SmartConfig } from './config.js';
import { defaultPolicy, type Policy } from './core/index.js';
import type { Metrics } from './metrics.js';
import type { FeedbackStore } from './store/feedback-store.js';
import { authenticate } from './http/authenticate.js';
import { corsMiddleware } from './http/cors.js';
import { errorHandler, methodNotAllowed, notFound } from './http/error-handler.js';
import { HttpError } from './http/http-error.js';
import { jsonBody } from './http/json-body.js';
import { healthz, metricsEndpoint, readyz } from './http/operations.js';
import { Readiness, type ReadinessCheck } from './http/readiness.js';
import { requestContext } from './http/request-context.js';
import { webAssetsRouter, webBuildPresent, webPageRouter } from './http/web-assets.js';
import { smartConfigRouter } from './http/smart-config.js';
import { consoleGuard, type ConsoleAccess } from './http/console.js';
import { createAnalyticsRouter } from './http/analytics.js';
import { registerFeedbackMetrics, withFeedbackMetrics } from './store/feedback-metrics.js';
import { feedbackHandler } from './hooks/feedback.js';
import type { ServiceCallEngine } from './engine/index.js';
import { serviceCallHandler } from './hooks/service-call.js';
import { discoveryDocument, findService } from './hooks/services.js';
import './http/locals.js';

/** Everything the app needs, built by server.ts (or a test). Nothing is looked up globally. */
export interface AppDeps {
  config: Pick<Config, 'publicBaseUrl' | 'fhirTimeoutMs' | 'corsOrigins' | 'maxBodyBytes'>;
  logger: Logger;
  metrics: Metrics;
  authenticator: Authenticator;
  feedbackStore: FeedbackStore;
  /** Answers service calls (src/engine: createEngine); its maker closes it. */
  engine: ServiceCallEngine;
  /**
   * Checked by /readyz besides the engine and the feedback store (server.ts adds draining and the
   * replay store); each is reported by name, and only `required` ones make the replica unready.
   */
  readinessChecks?: ReadinessCheck[];
  /** false when METRICS_PORT serves /metrics on a listener of its own (default true). */
  serveMetrics?: boolean;
  /** ANALYTICS_TOKEN: enables GET /analytics/summary; unset → the route does not exist. */
  analyticsToken?: string;
  /** The clock of feedback and issued-card records. */
  now?: () => Date;
  /** The built browser pages (dist/web); pages are served only when given and built. */
  web?: { dir: string };
  /**
   * SMART_CLIENT_ID and friends: the bone-health view's settings, and the card links to it; the
   * site policy goes to the app with them (default: the built-in policy).
   */
  smart?: SmartConfig & { policy?: Policy };
  /** The web console at /console (from `consoleAccess`): left out when not given; with a token, locked by it. */
  console?: ConsoleAccess;
}

const DISCOVERY_MAX_AGE_S = 300;

export function createApp(deps: AppDeps): Express {
  const { config, logger, metrics, engine } = deps;
  const now = deps.now ?? (() => new Date());
  const discovery = discoveryDocument(prefetchTemplates(), deps.smart?.launchUrl);
  const feedbackStore = withFeedbackMetrics(deps.feedbackStore, registerFeedbackMetrics(metrics.registry));

  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('json spaces', 0);

  app.use(requestContext(logger, metrics));
  // An API for cross-origin callers: CORP must not block a browser client that passed CORS.
  app.use(helmet({ crossOriginResourcePolicy: { policy: 'cross-origin' } }));
  const cors = corsMiddleware(config.corsOrigins);
  if (cors) app.use(cors);

  app.get('/healthz', healthz);
  const readiness = new Readiness(
    [
      { name: 'engine', required: true, dependency: false, check: () => engine.ready() },
      // Shared by every replica: its outage must not take them all out while cards can still be
      // answered. Feedback answers 503 meanwhile and the EHR retries.
      { name: 'feedback-store', required: false, dependency: true, check: () => feedbackStore.ping() },
      ...(deps.readinessChecks ?? []),
    ],
    metrics.registry,
    logger,
  );
  app.get('/readyz', readyz(readiness));
  if (deps.serveMetrics !== false) app.get('/metrics', metricsEndpoint(metrics));

  app.get('/cds-services', (_req, res) => {
    res.locals.route = 'discovery';
    res.set('Cache-Control', `public, max-age=${DISCOVERY_MAX_AGE_S}`).json(discovery);
  });

  const forRoute =
    (route: 'service' | 'feedback'): express.RequestHandler =>
    (req, res, next) => {
      res.locals.route = route;
      const id = String(req.params.id);
      if (findService(id) === undefined) {
        res.locals.service = 'unknown';
        throw HttpError.outcome(404, [
          { code: 'not-found', diagnostics: 'No CDS service with this id; see GET /cds-services' },
        ]);
      }
      res.locals.service = id;
      next();
    };
  const auth = authenticate(deps.authenticator, config.publicBaseUrl, metrics);

  app.post(
    '/cds-services/:id',
    forRoute('service'),
    auth,
    jsonBody(config.maxBodyBytes),
    serviceCallHandler({ engine, feedbackStore, metrics, fhirTimeoutMs: config.fhirTimeoutMs, now }),
  );
  app.post(
    '/cds-services/:id/feedback',
    forRoute('feedback'),
    auth,
    jsonBody(config.maxBodyBytes),
    feedbackHandler({ feedbackStore, now }),
  );

  app.all('/cds-services', methodNotAllowed('GET'));
  app.all('/cds-services/:id', methodNotAllowed('POST'));
  app.all('/cds-services/:id/feedback', methodNotAllowed('POST'));
  app.all(['/healthz', '/readyz', ...(deps.serveMetrics !== false ? ['/metrics'] : [])], methodNotAllowed('GET'));

  app.use(createAnalyticsRouter({ store: feedbackStore, token: deps.analyticsToken, logger }));

  if (deps.web && webBuildPresent(deps.web.dir)) {
    const dir = deps.web.dir;
    app.use(webAssetsRouter(dir));
    if (deps.console) {
      const token = deps.console.token;
      app.use(webPageRouter({ dir, page: 'console', ...(token !== undefined && { guard: consoleGuard(token) }) }));
    }
    app.use(smartConfigRouter(deps.smart, deps.smart?.policy ?? defaultPolicy));
    app.use(webPageRouter({ dir, page: 'smart', connectSrc: deps.smart?.connectSrc ?? [] }));
  }

  app.use(notFound);
  app.use(errorHandler(logger));
  return app;
}
