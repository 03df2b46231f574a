/**
 * The demo's working part: a loopback FHIR server holding the Synthea patients and the demo
 * patients, the service in development mode (open, no JWT) beside it, and an order-sign call per
 * demo patient made as an EHR makes it: no prefetch, so the service reads the chart from
 * `fhirServer`. `npm run demo` (demo/run.ts) prints the result and leaves both running.
 */
import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { Bundle } from 'fhir/r4.js';
import { createApp } from '../src/app.js';
import type { Card } from '../src/cards/types.js';
import { defaultPolicy } from '../src/core/index.js';
import { createEngine } from '../src/engine/index.js';
import { OpenAuthenticator } from '../src/http/open-authenticator.js';
import { createLogger, type Logger } from '../src/logger.js';
import { createMetrics } from '../src/metrics.js';
import { MemoryFeedbackStore } from '../src/store/memory-store.js';
import { startFhirServer, type TestFhirServer } from '../test/support/fhir-server.js';
import { startSmartAuthServer } from '../test/support/smart-auth-server.js';
import { demoPatients, splitDemoBundle, type DemoPatient } from './patients/index.js';

export interface DemoOptions {
  /** Ports to try first (0: any free one). A port in use falls back to a free one. */
  port?: number;
  fhirPort?: number;
  now?: Date;
  logger?: Logger;
  /** The built browser pages (`npm run build:web`); default `dist/web` under the working directory. */
  webDir?: string;
}

export interface DemoResult {
  patient: DemoPatient;
  status: number;
  cards: Card[];
  /** The request body sent, ready to send again. */
  request: Record<string, unknown>;
}

export interface RunningDemo {
  serviceUrl: string;
  fhir: TestFhirServer;
  results: DemoResult[];
  /** EHR launch of the bone-health SMART app for demo-bmd-decline, through a loopback authorization server. */
  smartLaunchUrl: string;
  close(): Promise<void>;
}

async function listen(server: Server, port: number): Promise<number> {
  const attempt = (p: number) =>
    new Promise<number>((ready, fail) => {
      const onError = (err: Error) => fail(err);
      server.once('error', onError);
      server.listen(p, '127.0.0.1', () => {
        server.off('error', onError);
        ready((server.address() as AddressInfo).port);
      });
    });
  try {
    return await attempt(port);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    return attempt(0);
  }
}

async function startFhir(port: number, resources: Bundle['entry']): Promise<TestFhirServer> {
  const opts = { resources: (resources ?? []).map((e) => e.resource!), defaultPageSize: 50 };
  try {
    return await startFhirServer({ ...opts, port });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || port === 0) throw err;
    return startFhirServer({ ...opts, port: 0 });
  }
}

/** The order-sign body an EHR sends for a demo patient: its draft order, no prefetch. */
export function orderSignRequest(patient: DemoPatient, fhirServer: string): Record<string, unknown> {
  const { draftOrders } = splitDemoBundle(patient.bundle);
  return {
    hook: 'order-sign',
    hookInstance: crypto.randomUUID(),
    fhirServer,
    context: {
      userId: 'Practitioner/demo-oncologist',
      patientId: patient.slug,
      draftOrders: { resourceType: 'Bundle', type: 'collection', entry: draftOrders.map((resource) => ({ resource })) },
    },
  };
}

export async function startDemo(opts: DemoOptions = {}): Promise<RunningDemo> {
  const now = opts.now ?? new Date();
  const patients = demoPatients(now);
  const charts = patients.flatMap((p) => splitDemoBundle(p.bundle).chart.map((resource) => ({ resource })));
  const fhir = await startFhir(opts.fhirPort ?? 0, charts);

  const logger = opts.logger ?? createLogger({ level: 'warn' });
  // The app needs its own URL (the SMART launch URL), known only once the port is bound: listen
  // first with a handler that delegates, then build the app.
  let handler: RequestListener = (_req, res) => res.writeHead(503).end();
  const http = createServer((req, res) => handler(req, res));
  const port = await listen(http, opts.port ?? 0);
  const serviceUrl = `http://127.0.0.1:${port}`;

  // Stands in for the EHR's authorization server in front of the FHIR server, so the bone-health
  // view can be launched from a browser as an EHR would launch it.
  const clientId = 'aibl-demo';
  const auth = await startSmartAuthServer({
    fhirBaseUrl: fhir.baseUrl,
    clientId,
    redirectUri: `${serviceUrl}/smart/`,
    standalonePatient: 'demo-bmd-decline',
  });
  const smart = { clientId, launchUrl: `${serviceUrl}/smart/launch`, connectSrc: [auth.origin] };

  // In-thread: the demo serves a handful of calls and needs no transpiled worker module.
  const engine = createEngine({
    workers: 0,
    policy: defaultPolicy,
    logger,
    smartLaunchUrl: smart.launchUrl,
    ...(opts.now !== undefined && { now: () => now }),
  });
  handler = createApp({
    config: { publicBaseUrl: serviceUrl, fhirTimeoutMs: 5000, corsOrigins: ['*'], maxBodyBytes: 1024 * 1024 },
    logger,
    metrics: createMetrics(),
    authenticator: new OpenAuthenticator(),
    feedbackStore: new MemoryFeedbackStore(),
    engine,
    web: { dir: opts.webDir ?? join(process.cwd(), 'dist', 'web') },
    smart,
    ...(opts.now !== undefined && { now: () => now }),
  });
  const launch = auth.launch('demo-bmd-decline');
  const smartLaunchUrl = `${smart.launchUrl}?iss=${encodeURIComponent(auth.fhirBaseUrl)}&launch=${encodeURIComponent(launch)}`;

  const results: DemoResult[] = [];
  for (const patient of patients) {
    const request = orderSignRequest(patient, fhir.baseUrl);
    const res = await fetch(`${serviceUrl}/cds-services/aibl-order-sign`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(request),
    });
    const body = (await res.json()) as { cards?: Card[] };
    results.push({ patient, status: res.status, cards: body.cards ?? [], request });
  }

  return {
    serviceUrl,
    fhir,
    results,
    smartLaunchUrl,
    close: async () => {
      await engine.close();
      await auth.close();
      await new Promise<void>((done) => {
        http.close(() => done());
        http.closeAllConnections();
      });
      await fhir.close();
    },
  };
}
