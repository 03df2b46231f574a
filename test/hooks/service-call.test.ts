import request from 'supertest';
import { example, testApp } from '../http/support/app.js';
import { expectWellFormedCards, topics } from '../http/support/cards.js';

const SIGN = '/cds-services/aibl-order-sign';
const SELECT = '/cds-services/aibl-order-select';
const VIEW = '/cds-services/aibl-patient-view';

/** The draft MedicationRequest of an example body. */
function draftOrder(body: Record<string, any>): Record<string, any> {
  return body.context.draftOrders.entry[0].resource;
}

describe('the three hooks, with prefetch', () => {
  const t = testApp();

  it('order-sign: anastrozole for a 70-year-old smoker with no DXA → baseline DXA, bone agent, calcium + vitamin D', async () => {
    const res = await request(t.app).post(SIGN).send(example('order-sign'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expectWellFormedCards(res.body, 'example-anastrozole-70f');
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    const boneAgent = res.body.cards.find((c: any) => c.source.topic.code === 'bone-agent');
    expect(boneAgent.selectionBehavior).toBe('at-most-one');
    expect(boneAgent.suggestions).toHaveLength(3);
  });

  // order-select cards are at most info: the critical card comes at order-sign (docs/clinical-logic.md#trigger).
  it('order-select: letrozole selected, T-score −2.7, already on calcium → bone-agent card only, at info', async () => {
    const res = await request(t.app).post(SELECT).send(example('order-select'));
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-letrozole-62f');
    expect(topics(res.body)).toEqual(['bone-agent:info']);
  });

  it('order-select: no cards when the AI order is not among the selections', async () => {
    const body = example('order-select');
    body.context.selections = ['ServiceRequest/draft-lipid-panel'];
    const res = await request(t.app).post(SELECT).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });

  // v2: he is treated for breast cancer (HR+), so he gets no estradiol card (docs/clinical-logic.md#estradiol).
  it('patient-view: a man on exemestane for breast cancer for a year → DXA follow-up, calcium + vitamin D', async () => {
    const res = await request(t.app).post(VIEW).send(example('patient-view'));
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-exemestane-58m');
    expect(topics(res.body)).toEqual(['calcium-vitamin-d:info', 'dxa-follow-up:info']);
  });

  it('patient-view: no cards for a patient without an active aromatase inhibitor', async () => {
    const body = example('patient-view');
    body.prefetch.medicationRequests = { resourceType: 'Bundle', type: 'searchset', total: 0 };
    const res = await request(t.app).post(VIEW).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });

  it('gives fresh uuids on every call and identical content otherwise', async () => {
    const a = await request(t.app).post(SIGN).send(example('order-sign'));
    const b = await request(t.app).post(SIGN).send(example('order-sign'));
    expect(a.body.cards.map((c: any) => c.uuid)).not.toEqual(b.body.cards.map((c: any) => c.uuid));
    const strip = (body: any) => JSON.parse(JSON.stringify(body).replace(/"uuid":"[^"]+"/g, '"uuid":"-"'));
    expect(strip(a.body)).toEqual(strip(b.body));
  });

  it('writes the cards as UTF-8 JSON with an exact Content-Length, not to be stored by any cache, keeping the security and request-id headers', async () => {
    const res = await request(t.app).post(SIGN).set('X-Request-Id', 'req-42').send(example('order-sign'));
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(Number(res.headers['content-length'])).toBe(Buffer.byteLength(res.text, 'utf8'));
    expect(res.text).toMatch(/[−≥²]/); // two-byte typography survives the encoding
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.headers['x-request-id']).toBe('req-42');
    expect(res.headers['etag']).toBeUndefined();
    // Cards quote the patient's results: no browser or proxy cache may keep them.
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('an empty answer is not stored by caches either', async () => {
    const body = example('order-sign');
    body.context.draftOrders.entry = [];
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.body).toEqual({ cards: [] });
    expect(res.headers['cache-control']).toBe('no-store');
  });

  it('card and suggestion uuids are time-ordered UUIDv7, later calls sorting after earlier ones', async () => {
    const a = await request(t.app).post(SIGN).send(example('order-sign'));
    await new Promise((r) => setTimeout(r, 2));
    const b = await request(t.app).post(SIGN).send(example('order-sign'));
    const ids = (body: any): string[] => [...JSON.stringify(body).matchAll(/"uuid":"([^"]+)"/g)].map((m) => m[1]!);
    const [first, second] = [ids(a.body), ids(b.body)];
    expect(first.length).toBeGreaterThan(1);
    for (const id of [...first, ...second])
      expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(second.every((id) => first.every((earlier) => id > earlier))).toBe(true);
  });

  it('records every issued card (no patient data) for feedback analytics', async () => {
    const local = testApp();
    const res = await request(local.app).post(SIGN).send(example('order-sign'));
    const summary = await local.store.summary({});
    expect(summary.map((s) => [s.serviceId, s.topic, s.issued]).sort()).toEqual([
      ['aibl-order-sign', 'baseline-dxa', 1],
      ['aibl-order-sign', 'bone-agent', 1],
      ['aibl-order-sign', 'calcium-vitamin-d', 1],
    ]);
    expect(res.body.cards).toHaveLength(3);
  });

  it('answers no cards, and gathers nothing, for orders that are not aromatase inhibitors', async () => {
    const body = example('order-sign');
    const order = draftOrder(body);
    delete order.medicationCodeableConcept;
    order.medicationCodeableConcept = { text: 'tamoxifen 20 mg oral tablet' };
    // Without prefetch or fhirServer a gathering would be a 412: an empty answer proves none ran.
    delete body.prefetch;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ cards: [] });
  });
});

describe('tolerating what real clients send', () => {
  const t = testApp();
  const expected = ['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info'];

  it('accepts patientId as Patient/<id> and answers for the bare id', async () => {
    const body = example('order-sign');
    body.context.patientId = 'Patient/example-anastrozole-70f';
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-anastrozole-70f');
    expect(topics(res.body)).toEqual(expected);
  });

  it('accepts draftOrders without type and entries with fullUrl, search and response', async () => {
    const body = example('order-sign');
    delete body.context.draftOrders.type;
    const entry = body.context.draftOrders.entry[0];
    entry.fullUrl = 'urn:uuid:6f1d3b1e-8a8f-4b7e-9a53-1f0a8d6f2c11';
    entry.search = { mode: 'match' };
    entry.response = { status: '201 Created' };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(expected);
  });

  it('fires for a re-sign order that is not a draft', async () => {
    const body = example('order-sign');
    draftOrder(body).status = 'active';
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(expected);
  });

  it('resolves medicationReference to a contained Medication and to a Medication in the bundle', async () => {
    const medication = {
      resourceType: 'Medication',
      code: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '199224',
            display: 'anastrozole 1 MG Oral Tablet',
          },
        ],
      },
    };
    const contained = example('order-sign');
    const order = draftOrder(contained);
    delete order.medicationCodeableConcept;
    order.contained = [{ ...medication, id: 'med1' }];
    order.medicationReference = { reference: '#med1' };
    const a = await request(t.app).post(SIGN).send(contained);
    expect(a.status).toBe(200);
    expect(topics(a.body)).toEqual(expected);

    const inBundle = example('order-sign');
    const order2 = draftOrder(inBundle);
    delete order2.medicationCodeableConcept;
    order2.medicationReference = { reference: 'Medication/epic-e3a1' };
    inBundle.context.draftOrders.entry.push({ resource: { ...medication, id: 'epic-e3a1' } });
    const b = await request(t.app).post(SIGN).send(inBundle);
    expect(b.status).toBe(200);
    expect(topics(b.body)).toEqual(expected);
  });

  it('falls back to the reference display when a remote Medication cannot be read', async () => {
    const body = example('order-sign');
    const order = draftOrder(body);
    delete order.medicationCodeableConcept;
    order.medicationReference = { reference: 'Medication/unreadable', display: 'Anastrozole 1 mg tablet' };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(expected);
  });
});

describe('missing data without a FHIR server', () => {
  const t = testApp();

  it('answers 412 with an OperationOutcome when there is no prefetch and no fhirServer', async () => {
    const body = example('order-sign');
    delete body.prefetch;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    const text = JSON.stringify(res.body);
    for (const key of ['patient', 'dxa', 'medicationRequests']) expect(text).toContain(key);
  });

  it('survives a prefetch whose every key is null: 412, the Patient is required', async () => {
    const body = example('order-sign');
    for (const k of Object.keys(body.prefetch)) body.prefetch[k] = null;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect((await request(t.app).get('/healthz')).status).toBe(200);
  });

  it('treats null optional keys as "no data" and still answers', async () => {
    const body = example('order-sign');
    for (const k of ['labs', 'conditions', 'medicationStatements', 'procedures', 'dxaOrders', 'familyHistory'])
      body.prefetch[k] = null;
    body.prefetch.dxa = null;
    body.prefetch.medicationRequests = null;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    // No smoking status any more: age is the only risk factor left, so no bone-agent card.
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'calcium-vitamin-d:info']);
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
  });

  it('answers 412 when a required key is an OperationOutcome and there is no fhirServer', async () => {
    const body = example('order-sign');
    body.prefetch.dxa = {
      resourceType: 'OperationOutcome',
      issue: [{ severity: 'error', code: 'timeout', diagnostics: 'prefetch timed out' }],
    };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(412);
    expect(JSON.stringify(res.body)).toContain('dxa');
  });

  it('answers with cards that say which optional data was not checked', async () => {
    const body = example('order-sign');
    delete body.prefetch.labs;
    body.prefetch.conditions = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-anastrozole-70f');
    // Smoking status is in labs: only age remains as a known risk factor.
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'calcium-vitamin-d:info']);
    for (const card of res.body.cards) {
      expect(card.detail).toContain(
        '**Not checked** (could not be retrieved): lab results and vital signs, conditions.',
      );
    }
  });
});
