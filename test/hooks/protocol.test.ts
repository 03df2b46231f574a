import request from 'supertest';
import { example, testApp } from '../http/support/app.js';

const SIGN = '/cds-services/aibl-order-sign';

describe('service call: request handling', () => {
  const t = testApp({ config: { maxBodyBytes: 64 * 1024 } });

  it('answers 404 with an OperationOutcome for an unknown service id', async () => {
    const res = await request(t.app).post('/cds-services/bone-health').send(example('order-sign'));
    expect(res.status).toBe(404);
    expect(res.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'not-found', diagnostics: 'No CDS service with this id; see GET /cds-services' },
      ],
    });
    const fb = await request(t.app).post('/cds-services/bone-health/feedback').send({ feedback: [] });
    expect(fb.status).toBe(404);
  });

  it('answers 404 for unknown paths and 405 with Allow for known paths with the wrong method', async () => {
    expect((await request(t.app).get('/nope')).status).toBe(404);
    const get = await request(t.app).get(SIGN);
    expect(get.status).toBe(405);
    expect(get.headers.allow).toBe('POST');
    expect(get.body.resourceType).toBe('OperationOutcome');
    const post = await request(t.app).post('/cds-services').send({});
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('answers 400 for malformed JSON', async () => {
    const res = await request(t.app).post(SIGN).set('Content-Type', 'application/json').send('{"hook": "order-sign",');
    expect(res.status).toBe(400);
    expect(res.body).toEqual({
      resourceType: 'OperationOutcome',
      issue: [
        { severity: 'error', code: 'structure', diagnostics: 'Request body is not valid JSON (an object is expected)' },
      ],
    });
  });

  it('answers 400 for a JSON scalar, an array, or no body at all', async () => {
    for (const body of ['"text"', '42', 'null']) {
      const res = await request(t.app).post(SIGN).set('Content-Type', 'application/json').send(body);
      expect(res.status).toBe(400);
    }
    const arr = await request(t.app)
      .post(SIGN)
      .send([example('order-sign')]);
    expect(arr.status).toBe(400);
    expect(arr.body.issue[0].diagnostics).toMatch(/^request body: /);
    const none = await request(t.app).post(SIGN);
    expect(none.status).toBe(400);
    expect(none.body.issue[0].diagnostics).toMatch(/^request body: /);
  });

  it('answers 413 above MAX_BODY_BYTES', async () => {
    const body = example('order-sign');
    body.context.padding = 'x'.repeat(70 * 1024);
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(413);
    expect(res.body.issue[0]).toMatchObject({
      code: 'too-costly',
      diagnostics: 'Request body exceeds the limit of 65536 bytes',
    });
  });

  it('answers 415 for a body that is not JSON, and accepts application/fhir+json', async () => {
    const res = await request(t.app)
      .post(SIGN)
      .set('Content-Type', 'text/plain')
      .send(JSON.stringify(example('order-sign')));
    expect(res.status).toBe(415);
    expect(res.body.issue[0].code).toBe('not-supported');
    const form = await request(t.app).post(SIGN).type('form').send({ hook: 'order-sign' });
    expect(form.status).toBe(415);
    const fhirJson = await request(t.app)
      .post(SIGN)
      .set('Content-Type', 'application/fhir+json; charset=utf-8')
      .send(JSON.stringify(example('order-sign')));
    expect(fhirJson.status).toBe(200);
  });

  it('answers 400 naming each invalid member', async () => {
    const body = example('order-sign');
    delete body.context.patientId;
    body.context.userId = 'not-a-reference';
    body.fhirAuthorization = {
      access_token: 'secret-token',
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'user/*.read',
      subject: 'x',
    };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(400);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const byPath = Object.fromEntries(
      (res.body.issue as { expression: string[]; code: string; diagnostics: string }[]).map((i) => [
        i.expression[0],
        i,
      ]),
    );
    expect(Object.keys(byPath).sort()).toEqual(['context.patientId', 'context.userId', 'fhirServer']);
    expect(byPath['context.patientId']).toEqual({
      severity: 'error',
      code: 'required',
      diagnostics: 'context.patientId: is required',
      expression: ['context.patientId'],
    });
    expect(byPath['fhirServer']?.diagnostics).toBe('fhirServer: is required when fhirAuthorization is present');
  });

  it('answers 400 when the hook is not the one this service answers', async () => {
    const res = await request(t.app)
      .post(SIGN)
      .send({ ...example('order-sign'), hook: 'patient-view' });
    expect(res.status).toBe(400);
    expect(res.body.issue).toEqual([
      {
        severity: 'error',
        code: 'invalid',
        diagnostics: 'hook: this service answers the order-sign hook',
        expression: ['hook'],
      },
    ]);
  });

  it('requires draftOrders for order hooks and selections for order-select', async () => {
    const sign = example('order-sign');
    delete sign.context.draftOrders;
    const a = await request(t.app).post(SIGN).send(sign);
    expect(a.status).toBe(400);
    expect(a.body.issue.map((i: { expression: string[] }) => i.expression[0])).toEqual(['context.draftOrders']);
    const select = example('order-select');
    select.context.selections = [];
    const b = await request(t.app).post('/cds-services/aibl-order-select').send(select);
    expect(b.status).toBe(400);
    expect(b.body.issue.map((i: { expression: string[] }) => i.expression[0])).toEqual(['context.selections']);
  });

  it('ignores unknown extension members', async () => {
    const body = example('order-sign');
    body.extension = { 'org.example.vendor': { anything: [1, 2] } };
    body.vendorField = true;
    body.context.vendorContext = 'x';
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(Array.isArray(res.body.cards)).toBe(true);
  });
});
