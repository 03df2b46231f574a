import type { Resource } from 'fhir/r4.js';
import { resourcesOf } from '../support/prefetch-resources.js';
import request from 'supertest';
import { prefetchTemplates } from '../../src/fhir/queries.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { example, testApp } from '../http/support/app.js';
import { expectWellFormedCards, topics } from '../http/support/cards.js';

const SIGN = '/cds-services/aibl-order-sign';
const VIEW = '/cds-services/aibl-patient-view';
const TOKEN = 'fhir-token-0b7e5d';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

let fhir: TestFhirServer;

function withServer(body: Record<string, any>): Record<string, any> {
  body.fhirServer = fhir.baseUrl;
  body.fhirAuthorization = {
    access_token: TOKEN,
    token_type: 'Bearer',
    expires_in: 300,
    scope: 'user/*.read',
    subject: 'aibl-cds',
  };
  return body;
}

/** Request kinds received by the FHIR server, e.g. `Observation?code`, `Patient/<id>`. */
function received(): string[] {
  return fhir.requests
    .map((r) =>
      r.path.includes('/')
        ? r.path
        : `${r.path}?${[...r.query.keys()].filter((k) => k !== 'patient' && !k.startsWith('_')).join('&')}`,
    )
    .sort();
}

const ALL_QUERIES = [
  'Condition?',
  'FamilyMemberHistory?',
  'MedicationAdministration?code',
  'MedicationRequest?code',
  'MedicationRequest?status',
  'MedicationStatement?status',
  'Observation?code',
  'Observation?code',
  'Patient/example-anastrozole-70f',
  'Procedure?code',
  'ServiceRequest?code&status',
];

const stripUuids = (body: unknown) => JSON.parse(JSON.stringify(body).replace(/"uuid":"[^"]+"/g, '"uuid":"-"'));

beforeAll(async () => {
  fhir = await startFhirServer({
    fixtures: ['Tamatha_Witting', 'Man_Schamberger'],
    resources: [
      ...resourcesOf(example('order-sign')),
      {
        resourceType: 'Medication',
        id: 'med-anastrozole',
        code: { coding: [{ system: RXNORM, code: '199224', display: 'anastrozole 1 MG Oral Tablet' }] },
      } as Resource,
    ],
  });
});
afterAll(() => fhir?.close());
beforeEach(() => {
  fhir.clearRequests();
  fhir.setFault();
  fhir.setLatency(0);
});

describe('FHIR fallback against a real FHIR server', () => {
  it('fetches every key when there is no prefetch, with the bearer token, and answers as with prefetch', async () => {
    const t = testApp();
    const fromPrefetch = await request(t.app).post(SIGN).send(example('order-sign'));
    const body = withServer(example('order-sign'));
    delete body.prefetch;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-anastrozole-70f');
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    expect(stripUuids(res.body)).toEqual(stripUuids(fromPrefetch.body));
    expect(received()).toEqual(ALL_QUERIES);
    for (const r of fhir.requests) expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
  });

  it('fetches only the keys that are absent or OperationOutcomes, never the null ones', async () => {
    const t = testApp();
    const body = withServer(example('order-sign'));
    const pf = body.prefetch;
    delete pf.labs;
    delete pf.conditions;
    pf.medicationRequests = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    pf.familyHistory = null;
    pf.procedures = null;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    expect(received()).toEqual(['Condition?', 'MedicationRequest?status', 'Observation?code']);
    expect(fhir.requests.find((r) => r.path === 'Observation')?.query.get('code')).toContain('72166-2');
  });

  it('follows the next link of a paged prefetch searchset with the token', async () => {
    const t = testApp();
    const templates = prefetchTemplates();
    const labsUrl = `${fhir.baseUrl}/${templates.labs.replace('{{context.patientId}}', 'example-anastrozole-70f')}&_count=2`;
    const firstPage = (await (await fetch(labsUrl)).json()) as {
      entry: unknown[];
      link: { relation: string }[];
      total: number;
    };
    expect(firstPage.entry).toHaveLength(2);
    expect(firstPage.link.some((l) => l.relation === 'next')).toBe(true);
    fhir.clearRequests();

    const body = withServer(example('order-sign'));
    body.prefetch.labs = firstPage;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    const pages = fhir.requests.filter((r) => r.path === 'Observation');
    expect(pages.length).toBeGreaterThanOrEqual(1);
    for (const p of pages) {
      expect(Number(p.query.get('_offset'))).toBeGreaterThanOrEqual(2);
      expect(p.headers.authorization).toBe(`Bearer ${TOKEN}`);
    }
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
  });

  it('reads a Medication named only by reference in a draft order', async () => {
    const t = testApp();
    const body = withServer(example('order-sign'));
    const order = body.context.draftOrders.entry[0].resource;
    delete order.medicationCodeableConcept;
    order.medicationReference = { reference: 'Medication/med-anastrozole' };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    expect(received()).toEqual(['Medication/med-anastrozole']);
  });

  it('does not contact the FHIR server when no order is an aromatase inhibitor', async () => {
    const t = testApp();
    const body = withServer(example('order-sign'));
    delete body.prefetch;
    body.context.draftOrders.entry[0].resource.medicationCodeableConcept = { text: 'metformin 500 mg oral tablet' };
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.body).toEqual({ cards: [] });
    expect(fhir.requests).toHaveLength(0);
  });

  it('gives the same cards from prefetch and from the server for a Synthea patient', async () => {
    const t = testApp();
    const patientId = fhir.patients['Tamatha_Witting']!;
    const prefetch: Record<string, unknown> = {};
    for (const [key, template] of Object.entries(prefetchTemplates())) {
      const url = `${fhir.baseUrl}/${template.replace('{{context.patientId}}', patientId)}${template.includes('?') ? '&_count=1000' : ''}`;
      prefetch[key] = await (await fetch(url)).json();
    }
    const base = {
      hook: 'order-sign',
      hookInstance: 'a0c4b7a2-3d2e-4f1a-9b8c-7d6e5f4a3b21',
      context: {
        userId: 'Practitioner/example-oncologist',
        patientId,
        draftOrders: {
          resourceType: 'Bundle',
          entry: [
            {
              resource: {
                resourceType: 'MedicationRequest',
                id: 'draft-arimidex',
                status: 'draft',
                intent: 'order',
                // Synthea's breast-cancer module codes anastrozole with the brand name concept.
                medicationCodeableConcept: { coding: [{ system: RXNORM, code: '262485', display: 'Arimidex' }] },
                subject: { reference: `Patient/${patientId}` },
              },
            },
          ],
        },
      },
    };
    const a = await request(t.app)
      .post(SIGN)
      .send({ ...base, prefetch });
    fhir.clearRequests();
    const b = await request(t.app)
      .post(SIGN)
      .send(withServer(structuredClone(base)));
    expect(a.status).toBe(200);
    expect(b.status).toBe(200);
    expect(b.body.cards.length).toBeGreaterThan(0);
    expectWellFormedCards(b.body, patientId);
    expect(stripUuids(b.body)).toEqual(stripUuids(a.body));
    expect(fhir.requests.length).toBeGreaterThanOrEqual(9);
  });

  it('answers patient-view for a Synthea man on letrozole from the server alone', async () => {
    const t = testApp();
    const patientId = fhir.patients['Man_Schamberger']!;
    await fhir.add({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      medicationCodeableConcept: {
        coding: [{ system: RXNORM, code: '200064', display: 'letrozole 2.5 MG Oral Tablet' }],
      },
      subject: { reference: `Patient/${patientId}` },
      authoredOn: '2025-06-01',
    } as Resource);
    const res = await request(t.app)
      .post(VIEW)
      .send(
        withServer({ hook: 'patient-view', hookInstance: 'x-1', context: { userId: 'Practitioner/p', patientId } }),
      );
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, patientId);
    const codes = res.body.cards.map((c: any) => c.source.topic.code);
    expect(codes).toContain('estradiol-check');
    expect(codes).toContain('dxa-follow-up');
  });
});

describe('a FHIR server that fails', () => {
  it('answers 412 when required data fails, and counts the error', async () => {
    const t = testApp();
    fhir.setFault({ resourceType: 'Patient', fault: { status: 500 } });
    const body = withServer(example('order-sign'));
    delete body.prefetch;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(412);
    expect(res.body.resourceType).toBe('OperationOutcome');
    expect(JSON.stringify(res.body)).toContain('patient');
    expect(await t.metrics.registry.metrics()).toMatch(/aibl_fhir_errors_total\{kind="http_5xx"\} [1-9]/);
  });

  it('answers cards naming what was not checked when optional data fails', async () => {
    const t = testApp();
    fhir.setFault({ resourceType: 'Condition', fault: { status: 503 } });
    const body = withServer(example('order-sign'));
    delete body.prefetch;
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, 'example-anastrozole-70f');
    expect(topics(res.body)).toEqual(['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info']);
    for (const card of res.body.cards)
      expect(card.detail).toContain('**Not checked** (could not be retrieved): conditions.');
  });

  it('answers 412 within the deadline when the server hangs', async () => {
    const t = testApp({ config: { fhirTimeoutMs: 400 } });
    fhir.setFault({ fault: 'hang' });
    const body = withServer(example('order-sign'));
    delete body.prefetch;
    const started = Date.now();
    const res = await request(t.app).post(SIGN).send(body);
    const took = Date.now() - started;
    expect(res.status).toBe(412);
    expect(took).toBeGreaterThanOrEqual(350);
    expect(took).toBeLessThan(1500);
    expect(await t.metrics.registry.metrics()).toMatch(/aibl_fhir_errors_total\{kind="timeout"\} [1-9]/);
  });

  it('answers 412 when the server cannot be reached', async () => {
    const down = await startFhirServer({ fixtures: [] });
    const url = down.baseUrl;
    await down.close();
    const t = testApp();
    const body = example('order-sign');
    delete body.prefetch;
    Object.assign(body, { fhirServer: url });
    const res = await request(t.app).post(SIGN).send(body);
    expect(res.status).toBe(412);
    expect(await t.metrics.registry.metrics()).toMatch(/aibl_fhir_errors_total\{kind="network"\} [1-9]/);
  });
});
