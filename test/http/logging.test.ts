import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { Policy } from '../../src/core/index.js';
import { example, testApp } from './support/app.js';

/** Strings from the examples and requests below that must never reach a log line. */
const PHI = [
  'example-anastrozole-70f', // patient id
  'Margaret', // patient name
  '1956-05-02', // birth date
  'Hormone receptor positive', // condition
  '77176002', // smoking answer code (prefetch content)
  'draft-anastrozole', // draft order id
];
const FHIR_TOKEN = 'fhir-access-token-4b1d9c';
const CLIENT_JWT = 'eyJhbGciOiJFUzM4NCJ9.eyJpc3MiOiJodHRwczovL2VociJ9.c2lnbmF0dXJl';
const COMMENT = 'Margaret says her sister had a DXA';

describe('no patient data or tokens in the logs', () => {
  let broken: Server;
  let brokenUrl: string;
  beforeAll(async () => {
    broken = createServer((_req, res) =>
      res.writeHead(500, { 'content-type': 'application/json' }).end('{"oops":true}'),
    );
    await new Promise<void>((r) => broken.listen(0, '127.0.0.1', r));
    brokenUrl = `http://127.0.0.1:${(broken.address() as AddressInfo).port}/fhir`;
  });
  afterAll(async () => {
    await new Promise((r) => broken.close(r));
  });

  it('keeps PHI, tokens and bodies out of every log line across successes and failures', async () => {
    const t = testApp();
    const auth = { Authorization: `Bearer ${CLIENT_JWT}` };
    const fhirAuthorization = {
      access_token: FHIR_TOKEN,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'aibl',
    };

    // 200 with cards from prefetch.
    expect(
      (await request(t.app).post('/cds-services/aibl-order-sign').set(auth).send(example('order-sign'))).status,
    ).toBe(200);

    // 412: no prefetch, a failing FHIR server, a token.
    const noPrefetch = example('order-sign');
    delete noPrefetch.prefetch;
    Object.assign(noPrefetch, { fhirServer: brokenUrl, fhirAuthorization });
    expect((await request(t.app).post('/cds-services/aibl-order-sign').set(auth).send(noPrefetch)).status).toBe(412);

    // 400: invalid members holding patient data.
    const invalid = example('order-sign');
    invalid.context.patientId = 'Margaret 1956-05-02';
    invalid.fhirAuthorization = fhirAuthorization;
    expect((await request(t.app).post('/cds-services/aibl-order-sign').set(auth).send(invalid)).status).toBe(400);

    // 400: malformed JSON whose text holds a token and a name.
    const malformed = `{"fhirAuthorization":{"access_token":"${FHIR_TOKEN}"},"context":{"patientId":"example-anastrozole-70f"`;
    expect(
      (
        await request(t.app)
          .post('/cds-services/aibl-order-sign')
          .set(auth)
          .set('Content-Type', 'application/json')
          .send(malformed)
      ).status,
    ).toBe(400);

    // Feedback with a free-text comment.
    const fb = {
      feedback: [
        {
          card: 'c',
          outcome: 'overridden',
          overrideReason: { userComment: COMMENT },
          outcomeTimestamp: '2026-11-27T10:00:00Z',
        },
      ],
    };
    expect((await request(t.app).post('/cds-services/aibl-order-sign/feedback').set(auth).send(fb)).status).toBe(200);

    const text = t.logText();
    for (const s of [...PHI, FHIR_TOKEN, CLIENT_JWT, COMMENT, 'Bearer ']) expect(text).not.toContain(s);
    // The log still says what happened.
    const statuses = t
      .logLines()
      .filter((l) => l.msg === 'request')
      .map((l) => l.status);
    expect(statuses).toEqual([200, 412, 400, 400, 200]);
    const invalidLine = t.logLines().find((l) => l.msg === 'invalid service call');
    expect(invalidLine).toMatchObject({ invalid: ['context.patientId', 'fhirServer'] });
    for (const l of t.logLines()) expect(l.reqId).toEqual(expect.any(String));
  });

  it('answers 500 with an OperationOutcome and logs the failure without its message or the data', async () => {
    // A policy object missing its sections makes the core throw: a real internal error.
    const t = testApp({ policy: {} as Policy });
    const res = await request(t.app).post('/cds-services/aibl-order-sign').send(example('order-sign'));
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        {
          severity: 'error',
          code: 'exception',
          diagnostics: `Internal error; request id ${res.headers['x-request-id']}`,
        },
      ],
    });
    expect(res.text).not.toMatch(/at .*\.ts:\d+/);
    const line = t.logLines().find((l) => l.msg === 'unhandled error');
    expect(line).toBeDefined();
    expect((line?.err as { type: string }).type).toMatch(/Error$/);
    for (const s of PHI) expect(t.logText()).not.toContain(s);
    // The process (app) keeps serving.
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });
});
