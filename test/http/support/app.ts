import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { createApp, type AppDeps } from '../../../src/app.js';
import type { Authenticator } from '../../../src/auth/authenticator.js';
import { defaultPolicy, type Policy } from '../../../src/core/index.js';
import { createEngine } from '../../../src/engine/create-engine.js';
import { OpenAuthenticator } from '../../../src/http/open-authenticator.js';
import { createLogger } from '../../../src/logger.js';
import { createMetrics, type Metrics } from '../../../src/metrics.js';
import type { FeedbackStore } from '../../../src/store/feedback-store.js';
import { MemoryFeedbackStore } from '../../../src/store/memory-store.js';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const BASE_URL = 'https://cds.test.example';

/** A fresh copy of one of examples/*.json. */
export function example(name: 'order-sign' | 'order-select' | 'patient-view'): Record<string, any> {
  return JSON.parse(readFileSync(join(repoRoot, 'examples', `${name}.json`), 'utf8'));
}

export interface TestApp {
  app: Express;
  metrics: Metrics;
  store: FeedbackStore;
  /** Every log line the app wrote so far, raw. */
  logText(): string;
  logLines(): Record<string, unknown>[];
}

export interface TestAppOptions extends Partial<Omit<AppDeps, 'config'>> {
  config?: Partial<AppDeps['config']>;
  authenticator?: Authenticator;
  /** The policy of the in-thread engine made when no `engine` is given. */
  policy?: Policy;
}

/** The real app with real dependencies, logging at trace level into memory so tests can read the output. */
export function testApp(opts: TestAppOptions = {}): TestApp {
  const chunks: string[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString('utf8'));
      cb();
    },
  });
  const logger = createLogger({ level: 'trace', destination });
  const metrics = opts.metrics ?? createMetrics();
  const store = opts.feedbackStore ?? new MemoryFeedbackStore();
  const { config, policy, ...rest } = opts;
  const app = createApp({
    logger,
    authenticator: new OpenAuthenticator(),
    engine:
      rest.engine ??
      createEngine({
        workers: 0,
        policy: policy ?? defaultPolicy,
        logger,
        ...(rest.smart !== undefined && { smartLaunchUrl: rest.smart.launchUrl }),
      }),
    ...rest,
    ...(rest.smart !== undefined && { smart: { policy: policy ?? defaultPolicy, ...rest.smart } }),
    metrics,
    feedbackStore: store,
    config: {
      publicBaseUrl: BASE_URL,
      fhirTimeoutMs: 1500,
      corsOrigins: ['*'],
      maxBodyBytes: 1024 * 1024,
      ...config,
    },
  });
  return {
    app,
    metrics,
    store,
    logText: () => chunks.join(''),
    logLines: () =>
      chunks
        .join('')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
