import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import express from 'express';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import request from 'supertest';
import { createAnalyticsRouter } from '../../src/http/analytics.js';
import { registerFeedbackMetrics, withFeedbackMetrics } from '../../src/store/feedback-metrics.js';
import { SqliteFeedbackStore } from '../../src/store/sqlite-store.js';
import { collectingLogger } from './support/logger.js';
import { accepted, card, overridden, SERVICE } from './support/records.js';

const TOKEN = 'analytics-secret-token-0123456789';
const dir = mkdtempSync(join(tmpdir(), 'aibl-analytics-'));
let store: SqliteFeedbackStore;

function appWith(token: string | undefined, s = store) {
  const app = express();
  app.use(createAnalyticsRouter({ store: s, token, logger: collectingLogger() }));
  return app;
}

beforeAll(async () => {
  store = new SqliteFeedbackStore({ dataDir: dir, logger: collectingLogger(), cardQueue: { flushIntervalMs: 10 } });
  store.recordCards([
    card('a1', { issuedAt: new Date('2025-03-31T23:59:59Z') }),
    card('a2', { issuedAt: new Date('2025-04-01T00:00:00Z') }),
  ]);
  await store.saveFeedback([
    overridden('a1', { outcomeTimestamp: '2025-03-31T23:59:59Z' }),
    accepted('a2', { outcomeTimestamp: '2025-04-01T00:00:01Z' }),
  ]);
  await new Promise((r) => setTimeout(r, 100));
});

afterAll(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('GET /analytics/summary', () => {
  it('does not exist when ANALYTICS_TOKEN is unset or empty', async () => {
    await request(appWith(undefined)).get('/analytics/summary').set('Authorization', `Bearer ${TOKEN}`).expect(404);
    await request(appWith('')).get('/analytics/summary').expect(404);
  });

  it('refuses a missing, wrong, or non-bearer token with 401 and no data', async () => {
    const app = appWith(TOKEN);
    for (const auth of [
      undefined,
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      TOKEN,
      'Bearer ',
    ]) {
      const req = request(app).get('/analytics/summary');
      const res = await (auth === undefined ? req : req.set('Authorization', auth));
      expect(res.status).toBe(401);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer /);
      expect(JSON.stringify(res.body)).not.toContain('baseline-dxa');
    }
  });

  it('answers the numbers for a range of whole days, the last day included', async () => {
    const res = await request(appWith(TOKEN))
      .get('/analytics/summary?from=2025-03-01&to=2025-03-31')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200)
      .expect('Content-Type', /json/)
      .expect('Cache-Control', 'no-store');
    expect(res.body).toMatchObject({
      from: '2025-03-01T00:00:00.000Z',
      to: '2025-04-01T00:00:00.000Z',
      topics: [
        {
          serviceId: SERVICE,
          topic: 'baseline-dxa',
          issued: 1,
          accepted: 0,
          overridden: 1,
          acceptanceRate: 0,
          overrideReasons: [{ code: 'done-elsewhere', count: 1 }],
        },
      ],
    });
    expect(typeof res.body.generatedAt).toBe('string');
    // a1 was issued and overridden in the last second of 31 March (UTC); a2 belongs to April.
    expect(res.body.daily).toEqual([{ day: '2025-03-31', issued: 1, accepted: 0, overridden: 1 }]);
  });

  it('takes exact RFC 3339 instants and filters by serviceId', async () => {
    const app = appWith(TOKEN);
    const all = await request(app).get('/analytics/summary').set('Authorization', `Bearer ${TOKEN}`).expect(200);
    expect(all.body.topics[0]).toMatchObject({ issued: 2, accepted: 1, overridden: 1, acceptanceRate: 0.5 });
    const april = await request(app)
      .get('/analytics/summary')
      .query({ from: '2025-04-01T00:00:00Z', serviceId: SERVICE })
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(april.body).toMatchObject({ from: '2025-04-01T00:00:00.000Z', to: null, serviceId: SERVICE });
    expect(april.body.topics[0]).toMatchObject({ issued: 1, accepted: 1, overridden: 0 });
    const other = await request(app)
      .get('/analytics/summary?serviceId=nope')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(200);
    expect(other.body.topics).toEqual([]);
  });

  it('answers 400 naming the parameter for a bad date, an inverted range, or a repeated parameter', async () => {
    const app = appWith(TOKEN);
    const bad = await request(app)
      .get('/analytics/summary?from=2025-02-30')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(400);
    expect(bad.body.issue[0]).toMatchObject({ code: 'invalid', expression: ['from'] });
    const inverted = await request(app)
      .get('/analytics/summary?from=2025-03-02&to=2025-03-01')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(400);
    expect(inverted.body.issue[0]).toMatchObject({ expression: ['to'] });
    const twice = await request(app)
      .get('/analytics/summary?to=2025-03-01&to=2025-03-02')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(400);
    expect(twice.body.issue[0]).toMatchObject({ expression: ['to'] });
  });

  it('answers 503 when the store cannot be read', async () => {
    const closedDir = mkdtempSync(join(tmpdir(), 'aibl-analytics-closed-'));
    const closed = new SqliteFeedbackStore({ dataDir: closedDir, logger: collectingLogger() });
    await closed.close();
    const res = await request(appWith(TOKEN, closed))
      .get('/analytics/summary')
      .set('Authorization', `Bearer ${TOKEN}`)
      .expect(503);
    expect(res.headers['retry-after']).toBe('30');
    rmSync(closedDir, { recursive: true, force: true });
  });
});

describe('feedback metrics', () => {
  it('counts issued cards, stored feedback by outcome and reason, and repeats separately', async () => {
    const metricsDir = mkdtempSync(join(tmpdir(), 'aibl-metrics-'));
    const registry = new Registry();
    const metrics = registerFeedbackMetrics(registry);
    const inner = new SqliteFeedbackStore({ dataDir: metricsDir, logger: collectingLogger() });
    const counted = withFeedbackMetrics(inner, metrics);
    try {
      counted.recordCards([card('m1'), card('m2', { topic: 'bone-agent', indicator: 'critical' })]);
      await counted.saveFeedback([overridden('m1'), accepted('m2')]);
      await counted.saveFeedback([overridden('m1'), overridden('m3', { overrideReason: undefined })]);
      const text = await registry.metrics();
      const line = (prefix: string) => text.split('\n').find((l) => l.startsWith(prefix));
      expect(
        line('aibl_cards_issued_total{service="aibl-order-sign",topic="baseline-dxa",indicator="warning"}'),
      ).toMatch(/ 1$/);
      expect(
        line('aibl_cards_issued_total{service="aibl-order-sign",topic="bone-agent",indicator="critical"}'),
      ).toMatch(/ 1$/);
      expect(line('aibl_feedback_received_total{service="aibl-order-sign",outcome="overridden"}')).toMatch(/ 2$/);
      expect(line('aibl_feedback_received_total{service="aibl-order-sign",outcome="accepted"}')).toMatch(/ 1$/);
      expect(line('aibl_feedback_duplicates_total{service="aibl-order-sign"}')).toMatch(/ 1$/);
      expect(
        line(
          'aibl_override_reasons_total{service="aibl-order-sign",system="http://example.org/override",code="done-elsewhere"}',
        ),
      ).toMatch(/ 1$/);
      expect(line('aibl_override_reasons_total{service="aibl-order-sign",system="none",code="none"}')).toMatch(/ 1$/);
    } finally {
      await counted.close();
      rmSync(metricsDir, { recursive: true, force: true });
    }
  });
});
