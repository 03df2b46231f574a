import request from 'supertest';
import { MemoryFeedbackStore } from '../../src/store/memory-store.js';
import { example, testApp } from '../http/support/app.js';

const FEEDBACK = '/cds-services/aibl-order-sign/feedback';

describe('feedback', () => {
  it('stores accepted and overridden feedback for issued cards, once per card/outcome/time', async () => {
    const t = testApp();
    const call = await request(t.app).post('/cds-services/aibl-order-sign').send(example('order-sign'));
    expect(call.status).toBe(200);
    const cards = call.body.cards as {
      uuid: string;
      source: { topic: { code: string } };
      suggestions?: { uuid: string }[];
    }[];
    const dxa = cards.find((c) => c.source.topic.code === 'baseline-dxa');
    const calcium = cards.find((c) => c.source.topic.code === 'calcium-vitamin-d');
    if (!dxa?.suggestions?.[0] || !calcium)
      throw new Error('example order-sign should give baseline-dxa and calcium-vitamin-d cards');

    const body = {
      feedback: [
        {
          card: dxa.uuid,
          outcome: 'accepted',
          acceptedSuggestions: [{ id: dxa.suggestions[0].uuid }],
          outcomeTimestamp: '2026-11-27T10:00:00Z',
        },
        {
          card: calcium.uuid,
          outcome: 'overridden',
          // The sandbox sends the reason without a display.
          overrideReason: {
            reason: { system: 'http://example.org/override', code: 'patient-declined' },
            userComment: 'prefers diet',
          },
          outcomeTimestamp: '2026-11-27T10:00:01.5+01:00',
        },
      ],
    };
    const first = await request(t.app).post(FEEDBACK).send(body);
    expect(first.status).toBe(200);
    expect(first.body).toEqual({ stored: 2, duplicates: 0 });
    const again = await request(t.app).post(FEEDBACK).send(body);
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ stored: 0, duplicates: 2 });

    const summary = await t.store.summary({});
    const byTopic = Object.fromEntries(summary.map((s) => [s.topic, s]));
    expect(byTopic['baseline-dxa']).toMatchObject({
      serviceId: 'aibl-order-sign',
      issued: 1,
      accepted: 1,
      overridden: 0,
      acceptanceRate: 1,
    });
    expect(byTopic['calcium-vitamin-d']).toMatchObject({
      issued: 1,
      accepted: 0,
      overridden: 1,
      acceptanceRate: 0,
      overrideReasons: [{ system: 'http://example.org/override', code: 'patient-declined', count: 1 }],
    });
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toContain('aibl_feedback_received_total{service="aibl-order-sign",outcome="accepted"} 1');
    expect(metrics).toContain('aibl_feedback_received_total{service="aibl-order-sign",outcome="overridden"} 1');
  });

  it('accepts the legacy flat override reason', async () => {
    const t = testApp();
    const res = await request(t.app)
      .post(FEEDBACK)
      .send({
        feedback: [
          {
            card: 'c-1',
            outcome: 'overridden',
            overrideReason: { code: 'dxa-elsewhere', system: 'http://example.org/r' },
            outcomeTimestamp: '2026-11-27T10:00:00Z',
          },
        ],
      });
    expect(res.status).toBe(200);
    const [s] = await t.store.summary({});
    expect(s).toMatchObject({
      topic: 'unknown',
      overridden: 1,
      overrideReasons: [{ system: 'http://example.org/r', code: 'dxa-elsewhere', count: 1 }],
    });
  });

  it('answers 400 naming each invalid item and stores nothing', async () => {
    const t = testApp();
    const res = await request(t.app)
      .post(FEEDBACK)
      .send({
        feedback: [
          {
            card: 'ok',
            outcome: 'accepted',
            acceptedSuggestions: [{ id: 's' }],
            outcomeTimestamp: '2026-11-27T10:00:00Z',
          },
          { card: 'c', outcome: 'accepted', outcomeTimestamp: '27/11/2026' },
          { card: 'd', outcome: 'dismissed', outcomeTimestamp: '2026-11-27T10:00:00Z' },
        ],
      });
    expect(res.status).toBe(400);
    expect(res.body.issue.map((i: { expression: string[] }) => i.expression[0]).sort()).toEqual([
      'feedback[1].acceptedSuggestions',
      'feedback[1].outcomeTimestamp',
      'feedback[2].outcome',
    ]);
    expect(await t.store.summary({})).toEqual([]);
    expect((await request(t.app).post(FEEDBACK).send({ feedback: [] })).status).toBe(400);
    expect((await request(t.app).post(FEEDBACK).set('Content-Type', 'application/json').send('{')).status).toBe(400);
  });

  it('answers 503 with Retry-After when the store cannot keep the feedback', async () => {
    const store = new MemoryFeedbackStore();
    const t = testApp({ feedbackStore: store });
    await store.close();
    const res = await request(t.app)
      .post(FEEDBACK)
      .send({
        feedback: [
          {
            card: 'c',
            outcome: 'overridden',
            overrideReason: { userComment: 'no' },
            outcomeTimestamp: '2026-11-27T10:00:00Z',
          },
        ],
      });
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.body.issue[0]).toMatchObject({ code: 'transient' });
    expect(t.logText()).toContain('feedback could not be stored');
  });
});
