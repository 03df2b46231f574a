import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { JwtAuthenticator } from '../../src/auth/jwt-authenticator.js';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { makeKey, mint, type TestKey } from '../auth/support.js';
import { BASE_URL, example, testApp, type TestApp } from './support/app.js';

const ISS = 'https://ehr.test.example';
const SIGN = '/cds-services/aibl-order-sign';
const FEEDBACK = `${SIGN}/feedback`;

describe('authentication and the fhirServer allow-list over HTTP', () => {
  let key: TestKey;
  let t: TestApp;
  let bystander: Server;
  let bystanderHits = 0;
  let bystanderUrl: string;

  beforeAll(async () => {
    key = await makeKey('ES384');
    const authenticator = new JwtAuthenticator({
      clients: [{ iss: ISS, jwks: { keys: [key.publicJwk] }, fhirServers: ['https://ehr.test.example/fhir'] }],
      replayStore: new MemoryReplayStore(),
    });
    t = testApp({ authenticator });
    bystander = createServer((_req, res) => {
      bystanderHits += 1;
      res.writeHead(500).end();
    });
    await new Promise<void>((resolve) => bystander.listen(0, '127.0.0.1', resolve));
    bystanderUrl = `http://127.0.0.1:${(bystander.address() as AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    await new Promise((resolve) => bystander.close(resolve));
  });

  it('answers a bare 401 without a token, and logs the reason', async () => {
    const res = await request(t.app).post(SIGN).send(example('order-sign'));
    expect(res.status).toBe(401);
    expect(res.body).toEqual({ error: 'unauthorized' });
    expect(res.headers['www-authenticate']).toBe('Bearer');
    const warn = t.logLines().find((l) => l.msg === 'authentication failed' && l.reason === 'missing bearer token');
    expect(warn).toMatchObject({ level: 40, expectedAud: `${BASE_URL}${SIGN}` });
  });

  it('authenticates before reading the body: a huge unauthenticated body is a 401, not a 413', async () => {
    const res = await request(t.app)
      .post(SIGN)
      .set('Content-Type', 'application/json')
      .send('x'.repeat(2 * 1024 * 1024));
    expect(res.status).toBe(401);
  });

  it('refuses a token for another URL and logs expected and received aud, never the token', async () => {
    const token = await mint(key, ISS, `${BASE_URL}/cds-services/aibl-patient-view`);
    const res = await request(t.app).post(SIGN).set('Authorization', `Bearer ${token}`).send(example('order-sign'));
    expect(res.status).toBe(401);
    const warn = t.logLines().find((l) => l.reason === 'aud mismatch');
    expect(warn).toMatchObject({
      iss: ISS,
      kid: key.kid,
      expectedAud: `${BASE_URL}${SIGN}`,
      receivedAud: `${BASE_URL}/cds-services/aibl-patient-view`,
    });
    expect(t.logText()).not.toContain(token);
    expect(t.logText()).not.toContain(token.split('.')[2]);
    const metrics = await t.metrics.registry.metrics();
    expect(metrics).toContain('aibl_auth_failures_total{route="service",reason="aud mismatch"} 1');
  });

  it('answers cards for a valid token', async () => {
    const token = await mint(key, ISS, `${BASE_URL}${SIGN}`);
    const res = await request(t.app).post(SIGN).set('Authorization', `Bearer ${token}`).send(example('order-sign'));
    expect(res.status).toBe(200);
    expect(res.body.cards.length).toBeGreaterThan(0);
    const access = t.logLines().find((l) => l.msg === 'request' && l.status === 200 && l.path === SIGN);
    expect(access).toMatchObject({ iss: ISS });
  });

  it('answers 403 for a fhirServer the client may not use, without contacting it', async () => {
    const token = await mint(key, ISS, `${BASE_URL}${SIGN}`);
    const body = example('order-sign');
    delete body.prefetch;
    body.fhirServer = bystanderUrl;
    body.fhirAuthorization = {
      access_token: 'fhir-token-xyz',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'aibl',
    };
    const res = await request(t.app).post(SIGN).set('Authorization', `Bearer ${token}`).send(body);
    expect(res.status).toBe(403);
    expect(res.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'forbidden',
          diagnostics: 'fhirServer is not an allowed FHIR server for this client',
          expression: ['fhirServer'],
        },
      ],
    });
    expect(bystanderHits).toBe(0);
    expect(t.logText()).not.toContain('fhir-token-xyz');
  });

  it('checks the feedback URL as its own audience', async () => {
    const fb = {
      feedback: [
        {
          card: 'c',
          outcome: 'overridden',
          overrideReason: { userComment: 'n/a' },
          outcomeTimestamp: '2026-11-27T10:00:00Z',
        },
      ],
    };
    const wrong = await mint(key, ISS, `${BASE_URL}${SIGN}`);
    expect((await request(t.app).post(FEEDBACK).set('Authorization', `Bearer ${wrong}`).send(fb)).status).toBe(401);
    const right = await mint(key, ISS, `${BASE_URL}${FEEDBACK}`);
    const res = await request(t.app).post(FEEDBACK).set('Authorization', `Bearer ${right}`).send(fb);
    expect(res.status).toBe(200);
  });

  it('leaves discovery open', async () => {
    expect((await request(t.app).get('/cds-services')).status).toBe(200);
  });
});
