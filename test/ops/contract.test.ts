import { fileURLToPath } from 'node:url';
import request from 'supertest';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { createAuthenticator } from '../../src/auth/create-authenticator.js';
import { PostgresFeedbackStore } from '../../src/store/postgres-store.js';
import { RedisReplayStore } from '../../src/store/redis-replay-store.js';
import { makeKey, mint, type TestKey } from '../auth/support.js';
import { closedPort } from '../store/support/env.js';
import { collectingLogger } from '../store/support/logger.js';
import { documented, expectMatchesSpec, seen } from '../support/openapi-contract.js';
import { BASE_URL, example, testApp, type TestApp } from '../http/support/app.js';

/**
 * Every operation of openapi.yaml exercised against the real app, each answer checked against the
 * spec (status documented, Content-Type, required headers, body schema), and at the end every
 * documented answer seen at least once: the contract and the code cannot drift apart silently.
 */
const TOKEN = 'contract-analytics-token';
const ISS = 'https://ehr.contract.example';
const SIGN = '/cds-services/aibl-order-sign';
const FEEDBACK = `${SIGN}/feedback`;
let key: TestKey;
let open: TestApp;
let signed: TestApp;
let tiny: TestApp;
let pgDown: TestApp;
let redisDown: TestApp;
let pgStore: PostgresFeedbackStore;
let redisStore: RedisReplayStore;
let deadFhir: string;

type Res = Awaited<ReturnType<ReturnType<typeof request>['get']>>;

function check(method: string, path: string, res: Res): Res {
  expectMatchesSpec(method, path, { status: res.status, headers: res.headers, body: res.body, text: res.text });
  return res;
}

const feedbackBody = (card: string) => ({
  feedback: [
    {
      card,
      outcome: 'overridden',
      overrideReason: { reason: { system: 'http://example.org/override', code: 'declined' } },
      outcomeTimestamp: '2026-03-10T09:05:00Z',
    },
  ],
});

beforeAll(async () => {
  key = await makeKey('ES384');
  deadFhir = `http://127.0.0.1:${await closedPort()}/fhir`;
  open = testApp({ analyticsToken: TOKEN });
  tiny = testApp({ config: { maxBodyBytes: 1024 } });
  const clients = [{ iss: ISS, jwks: { keys: [key.publicJwk] }, fhirServers: [`${ISS}/fhir`] }];
  signed = testApp({ authenticator: createAuthenticator({ clients, replayStore: new MemoryReplayStore() }) });
  pgStore = new PostgresFeedbackStore({
    databaseUrl: `postgres://postgres@127.0.0.1:${await closedPort()}/test`,
    logger: collectingLogger(),
  });
  pgDown = testApp({ feedbackStore: pgStore, analyticsToken: TOKEN });
  redisStore = new RedisReplayStore({
    redisUrl: `redis://127.0.0.1:${await closedPort()}`,
    logger: collectingLogger(),
  });
  redisDown = testApp({ authenticator: createAuthenticator({ clients, replayStore: redisStore }) });
});

afterAll(async () => {
  await Promise.all([pgStore.close(), redisStore.close()]);
});

describe('openapi.yaml holds for every answer', () => {
  it('discovery, health, readiness and metrics', async () => {
    check('GET', '/cds-services', await request(open.app).get('/cds-services'));
    check('GET', '/healthz', await request(open.app).get('/healthz'));
    check('GET', '/readyz', await request(open.app).get('/readyz'));
    check('GET', '/metrics', await request(open.app).get('/metrics'));
    // The SMART app's settings, served beside the built pages (npm test builds them first).
    const web = { dir: fileURLToPath(new URL('../../dist/web', import.meta.url)) };
    const smart = { clientId: 'bone-view', launchUrl: `${BASE_URL}/smart/launch`, connectSrc: [] };
    check('GET', '/smart/config.json', await request(testApp({ web, smart }).app).get('/smart/config.json'));
    const notReady = testApp({
      readinessChecks: [
        { name: 'replay-store', required: true, dependency: true, check: () => Promise.reject(new Error('down')) },
      ],
    });
    expect(check('GET', '/readyz', await request(notReady.app).get('/readyz')).status).toBe(503);
  });

  it('each service: 200 with cards, 400 invalid, 404 unknown id, 412 without required data, 413, 415', async () => {
    for (const [id, name] of [
      ['aibl-order-sign', 'order-sign'],
      ['aibl-order-select', 'order-select'],
      ['aibl-patient-view', 'patient-view'],
    ] as const) {
      const ok = check(
        'POST',
        `/cds-services/${id}`,
        await request(open.app).post(`/cds-services/${id}`).send(example(name)),
      );
      expect(ok.status).toBe(200);
    }
    const invalid = { ...example('order-sign'), context: {} };
    expect(check('POST', SIGN, await request(open.app).post(SIGN).send(invalid)).status).toBe(400);
    expect(
      check('POST', '/cds-services/x', await request(open.app).post('/cds-services/x').send(example('order-sign')))
        .status,
    ).toBe(404);
    const noData = example('order-sign');
    delete noData.prefetch;
    noData.fhirServer = deadFhir;
    expect(check('POST', SIGN, await request(open.app).post(SIGN).send(noData)).status).toBe(412);
    expect(check('POST', SIGN, await request(tiny.app).post(SIGN).send(example('order-sign'))).status).toBe(413);
    expect(
      check('POST', SIGN, await request(open.app).post(SIGN).set('Content-Type', 'text/plain').send('hello')).status,
    ).toBe(415);
  });

  it('a signed client: 200, 401 without a token, 403 for a FHIR server it may not use', async () => {
    const token = async () => `Bearer ${await mint(key, ISS, `${BASE_URL}${SIGN}`)}`;
    expect(
      check(
        'POST',
        SIGN,
        await request(signed.app)
          .post(SIGN)
          .set('Authorization', await token())
          .send(example('order-sign')),
      ).status,
    ).toBe(200);
    expect(check('POST', SIGN, await request(signed.app).post(SIGN).send(example('order-sign'))).status).toBe(401);
    const elsewhere = { ...example('order-sign'), fhirServer: 'https://not-registered.example/fhir' };
    expect(
      check(
        'POST',
        SIGN,
        await request(signed.app)
          .post(SIGN)
          .set('Authorization', await token())
          .send(elsewhere),
      ).status,
    ).toBe(403);
    const fbToken = `Bearer ${await mint(key, ISS, `${BASE_URL}${FEEDBACK}`)}`;
    expect(
      check(
        'POST',
        FEEDBACK,
        await request(signed.app).post(FEEDBACK).set('Authorization', fbToken).send(feedbackBody('c-signed')),
      ).status,
    ).toBe(200);
    expect(
      check('POST', FEEDBACK, await request(signed.app).post(FEEDBACK).send(feedbackBody('c-signed'))).status,
    ).toBe(401);
  });

  it('feedback: 200, 400, 404, 413, 415, and 503 with Retry-After while the store is down', async () => {
    expect(check('POST', FEEDBACK, await request(open.app).post(FEEDBACK).send(feedbackBody('c1'))).status).toBe(200);
    expect(
      check(
        'POST',
        FEEDBACK,
        await request(open.app)
          .post(FEEDBACK)
          .send({ feedback: [{ card: 'c1' }] }),
      ).status,
    ).toBe(400);
    expect(
      check(
        'POST',
        '/cds-services/x/feedback',
        await request(open.app).post('/cds-services/x/feedback').send(feedbackBody('c1')),
      ).status,
    ).toBe(404);
    const big = { feedback: Array.from({ length: 40 }, (_, i) => feedbackBody(`c${i}`).feedback[0]) };
    expect(check('POST', FEEDBACK, await request(tiny.app).post(FEEDBACK).send(big)).status).toBe(413);
    expect(
      check('POST', FEEDBACK, await request(open.app).post(FEEDBACK).set('Content-Type', 'text/plain').send('x'))
        .status,
    ).toBe(415);
    const down = check('POST', FEEDBACK, await request(pgDown.app).post(FEEDBACK).send(feedbackBody('c2')));
    expect(down.status).toBe(503);
    expect(down.body.resourceType).toBe('OperationOutcome');
  });

  it('503 when the JWT replay check cannot be made, on both service and feedback calls', async () => {
    const call = await request(redisDown.app)
      .post(SIGN)
      .set('Authorization', `Bearer ${await mint(key, ISS, `${BASE_URL}${SIGN}`)}`)
      .send(example('order-sign'));
    expect(check('POST', SIGN, call).status).toBe(503);
    const fb = await request(redisDown.app)
      .post(FEEDBACK)
      .set('Authorization', `Bearer ${await mint(key, ISS, `${BASE_URL}${FEEDBACK}`)}`)
      .send(feedbackBody('c3'));
    expect(check('POST', FEEDBACK, fb).status).toBe(503);
  });

  it('analytics: 200, 400, 401, 404 when disabled, 503 while the store is down', async () => {
    const auth = `Bearer ${TOKEN}`;
    expect(
      check(
        'GET',
        '/analytics/summary',
        await request(open.app).get('/analytics/summary?from=2026-03-01&to=2026-03-31').set('Authorization', auth),
      ).status,
    ).toBe(200);
    expect(
      check(
        'GET',
        '/analytics/summary',
        await request(open.app).get('/analytics/summary?from=yesterday').set('Authorization', auth),
      ).status,
    ).toBe(400);
    expect(check('GET', '/analytics/summary', await request(open.app).get('/analytics/summary')).status).toBe(401);
    expect(
      check('GET', '/analytics/summary', await request(tiny.app).get('/analytics/summary').set('Authorization', auth))
        .status,
    ).toBe(404);
    expect(
      check('GET', '/analytics/summary', await request(pgDown.app).get('/analytics/summary').set('Authorization', auth))
        .status,
    ).toBe(503);
  });

  it('every documented answer was exercised (500 needs a fault no real component produces)', () => {
    const missing = documented().filter((k) => !seen.has(k) && !k.endsWith(' 500'));
    expect(missing).toEqual([]);
  });

  it('the checker refuses an answer the spec does not describe', () => {
    expect(() =>
      expectMatchesSpec('GET', '/healthz', {
        status: 200,
        headers: { 'content-type': 'application/json' },
        body: { status: 'fine' },
      }),
    ).toThrow(/body does not match/);
    expect(() => expectMatchesSpec('GET', '/healthz', { status: 418, headers: {}, body: {} })).toThrow(
      /not documented/,
    );
    expect(() =>
      expectMatchesSpec('POST', FEEDBACK, {
        status: 503,
        headers: { 'content-type': 'application/json' },
        body: { error: 'unavailable' },
      }),
    ).toThrow(/Retry-After missing/);
  });
});
