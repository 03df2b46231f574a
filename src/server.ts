import { createServer, type Server } from 'node:http';
import { fileURLToPath } from 'node:url';
import type { Socket } from 'node:net';
import { createApp } from './app.js';
import { consoleAccess } from './http/console.js';
import { loadConfig, loadPolicyFile, type Config } from './config.js';
import { defaultPolicy, parsePolicy } from './core/index.js';
import { loadTrustedClients, warnIfOpenMode } from './auth/auth-config.js';
import type { ClientConfig } from './auth/clients-config.js';
import { createAuthenticator } from './auth/create-authenticator.js';
import { createEngine } from './engine/index.js';
import { createLogger, type Logger } from './logger.js';
import { createMetricsApp } from './http/metrics-app.js';
import { createMetrics } from './metrics.js';
import { assertProductionGuards } from './production-guards.js';
import { createReplayStore } from './store/create-replay-store.js';
import { createFeedbackStore } from './store/create-store.js';
import type { FeedbackStore } from './store/feedback-store.js';

/**
 * The process: read and check the configuration, build the dependencies, listen, and on SIGTERM or
 * SIGINT stop accepting, let in-flight calls finish, flush the store and exit 0.
 */
async function start(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    fail(err);
  }
  const logger = createLogger({ level: config.logLevel });
  let policy = defaultPolicy;
  let clients: ClientConfig[];
  let feedbackStore: FeedbackStore;
  try {
    if (config.policyFile !== undefined) policy = loadPolicyFile(config.policyFile, parsePolicy);
    // Validates CDS_CLIENTS_FILE and refuses production without a trusted client.
    clients = loadTrustedClients(config);
    assertProductionGuards({
      production: config.production,
      publicBaseUrl: config.publicBaseUrl,
      clients,
      allowInsecurePublicUrl: config.allowInsecurePublicUrl,
    });
    // PostgreSQL when DATABASE_URL is set, else an SQLite file in DATA_DIR.
    feedbackStore = await createFeedbackStore({
      ...(config.databaseUrl !== undefined && { databaseUrl: config.databaseUrl }),
      dataDir: config.dataDir ?? './data',
      logger,
    });
  } catch (err) {
    fail(err, logger);
  }

  const metrics = createMetrics({ processMetrics: true });
  // Redis when REDIS_URL is set, so that a token replayed to another replica is refused.
  const replayStore = await createReplayStore({
    ...(config.redisUrl !== undefined && { redisUrl: config.redisUrl }),
    logger,
  });
  const { clientsFile: _, ...jwt } = config.auth;
  const authenticator = createAuthenticator({ clients, replayStore, ...jwt });
  warnIfOpenMode(authenticator, logger);
  const fhirLimits = { maxResponseBytes: config.fhirMaxResponseBytes, maxRequestBytes: config.fhirMaxRequestBytes };
  const engine = createEngine({
    workers: config.serviceWorkers,
    policy,
    logger,
    fhirLimits,
    ...(config.smart !== undefined && { smartLaunchUrl: config.smart.launchUrl }),
  });

  let draining = false;
  const consolePage = consoleAccess(config);
  const app = createApp({
    config,
    logger,
    metrics,
    authenticator,
    feedbackStore,
    engine,
    ...(config.analyticsToken !== undefined && { analyticsToken: config.analyticsToken }),
    ...(config.smart !== undefined && { smart: { ...config.smart, policy } }),
    // npm run build puts the browser pages beside this file (dist/web).
    web: { dir: fileURLToPath(new URL('./web', import.meta.url)) },
    ...(consolePage && { console: consolePage }),
    serveMetrics: config.metricsPort === undefined,
    readinessChecks: [
      {
        name: 'draining',
        required: true,
        dependency: false,
        check: async () => {
          if (draining) throw new Error('shutting down');
        },
      },
      // Verifying a client JWT needs the replay store; without trusted clients it is not consulted.
      { name: 'replay-store', required: !authenticator.openMode, dependency: true, check: () => replayStore.ping() },
    ],
  });

  // METRICS_PORT: /metrics on a listener of its own, which the ingress does not route to.
  const metricsServer =
    config.metricsPort === undefined ? undefined : createMetricsApp(metrics).listen(config.metricsPort, config.host);
  const metricsListening = new Promise<number | undefined>((resolve) => {
    if (!metricsServer) return resolve(undefined);
    metricsServer.on('listening', () => resolve(portOf(metricsServer, config.metricsPort!)));
    metricsServer.on('error', (err) => {
      logger.fatal({ err }, 'metrics listener error');
      process.exit(1);
    });
  });
  const server: Server = createServer(
    {
      requestTimeout: config.requestTimeoutMs,
      headersTimeout: config.headersTimeoutMs,
      keepAliveTimeout: config.keepAliveTimeoutMs,
      // Node enforces the two timeouts above by sweeping its connections on this interval (30 s by
      // default, which would let a slow client hold a socket up to 30 s past its limit).
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(config.headersTimeoutMs / 4))),
    },
    app,
  );
  server.listen(config.port, config.host);
  server.on('listening', async () => {
    const port = portOf(server, config.port);
    const metricsPort = await metricsListening;
    logger.info(
      {
        host: config.host,
        port,
        ...(metricsPort !== undefined && { metricsPort }),
        publicBaseUrl: config.publicBaseUrl,
        nodeEnv: config.nodeEnv,
        serviceWorkers: config.serviceWorkers,
      },
      'aibl-cds listening',
    );
  });
  server.on('error', (err) => {
    logger.fatal({ err }, 'server error');
    process.exit(1);
  });

  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  const shutdown = (signal: string) => {
    if (draining) {
      logger.warn({ signal }, 'second signal: exiting now');
      process.exit(1);
    }
    draining = true;
    logger.info({ signal }, 'shutting down: no new connections, finishing calls in flight');
    const force = setTimeout(() => {
      logger.warn({ openConnections: sockets.size }, 'shutdown timeout: closing remaining connections');
      server.closeAllConnections();
      void finish(1);
    }, config.shutdownTimeoutMs);
    force.unref();
    // Keep-alive connections become idle as their last answer goes out: close them as they do.
    const reap = setInterval(() => server.closeIdleConnections(), 50);
    reap.unref();
    server.close(() => {
      clearTimeout(force);
      clearInterval(reap);
      void finish(0);
    });
    server.closeIdleConnections();
  };

  let finishing: Promise<void> | undefined;
  const finish = (code: number): Promise<void> =>
    (finishing ??= (async () => {
      await engine.close();
      for (const [name, store] of [
        ['feedback store', feedbackStore],
        ['replay store', replayStore],
      ] as const) {
        try {
          await store.close();
        } catch (err) {
          logger.error({ err, store: name }, 'store did not close cleanly');
          code = 1;
        }
      }
      logger.info({ code }, 'stopped');
      logger.flush();
      process.exit(code);
    })());

  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('unhandledRejection', (reason) => {
    // Express 5 routes rejected handlers to the error handler; anything here is a bug elsewhere.
    logger.error({ err: reason }, 'unhandled promise rejection');
  });
}

function portOf(server: Server, configured: number): number {
  const addr = server.address();
  return typeof addr === 'object' && addr !== null ? addr.port : configured;
}

function fail(err: unknown, logger?: Logger): never {
  // Config, policy, clients-file and auth-setting errors are written for the operator: print as is.
  const message = err instanceof Error ? err.message : `Startup failed: ${String(err)}`;
  if (logger) logger.fatal({ startup: 'failed' }, message);
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

void start();
