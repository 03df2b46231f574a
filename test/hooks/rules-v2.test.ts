/**
 * Rule set v2 through HTTP, each case twice: with prefetch built from the discovery templates (as
 * an EHR would) and with no prefetch at all, so the service runs the same queries against the
 * real loopback FHIR server. Each case is its own patient, a copy of the order-sign example.
 */
import type { Resource } from 'fhir/r4.js';
import request from 'supertest';
import { prefetchFromServer } from '../support/prefetch-from-server.js';
import { resourcesOf } from '../support/prefetch-resources.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { example, testApp } from '../http/support/app.js';
import { expectWellFormedCards, topics } from '../http/support/cards.js';

const SIGN = '/cds-services/aibl-order-sign';
const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const BASE = 'example-anastrozole-70f';

/** YYYY-MM-DD, `months` before today (the service judges windows against its clock). */
function monthsAgo(months: number): string {
  const d = new Date();
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/** The example's resources for another patient id, with some replaced or added. */
function patientCopy(id: string, change: (resources: Resource[]) => Resource[]): Resource[] {
  const copied = JSON.parse(JSON.stringify(resourcesOf(example('order-sign'))).replaceAll(BASE, id)) as Resource[];
  const renamed = copied.map((r) => (r.resourceType === 'Patient' ? r : { ...r, id: `${id}-${r.id}` }));
  return change(renamed);
}

interface Case {
  id: string;
  resources: Resource[];
  /** The draft order, changed from the example's. */
  draft?: (order: Record<string, any>) => void;
  expect: string[];
  check?: (body: any) => void;
}

const cases: Case[] = [
  {
    id: 'v2-denosumab-given',
    resources: patientCopy('v2-denosumab-given', (rs) => [
      ...rs,
      {
        resourceType: 'MedicationAdministration',
        id: 'v2-dmab-dose',
        status: 'completed',
        subject: { reference: 'Patient/v2-denosumab-given' },
        effectiveDateTime: monthsAgo(5),
        medicationCodeableConcept: {
          coding: [{ system: RXNORM, code: '993452', display: '1 ML denosumab 60 MG/ML Prefilled Syringe' }],
        },
      } as Resource,
    ]),
    expect: ['baseline-dxa:warning', 'calcium-vitamin-d:info'],
  },
  {
    id: 'v2-t-string',
    resources: patientCopy('v2-t-string', (rs) => [
      ...rs.filter((r) => !r.id?.endsWith('egfr-1')),
      {
        resourceType: 'Observation',
        id: 'v2-t-text',
        status: 'final',
        subject: { reference: 'Patient/v2-t-string' },
        code: { coding: [{ system: LOINC, code: '38264-8' }] },
        effectiveDateTime: monthsAgo(1),
        valueString: '\u22122.6',
      } as Resource,
      {
        resourceType: 'Observation',
        id: 'v2-egfr-cys',
        status: 'final',
        subject: { reference: 'Patient/v2-t-string' },
        code: { coding: [{ system: LOINC, code: '50210-4' }] },
        effectiveDateTime: monthsAgo(1),
        valueQuantity: { value: 30, unit: 'mL/min/{1.73_m2}' },
      } as Resource,
    ]),
    expect: ['bone-agent:critical', 'calcium-vitamin-d:info'],
    check: (body) => {
      const bone = body.cards.find((c: any) => c.source.topic.code === 'bone-agent');
      expect(bone.summary).toBe('T-score \u22122.6 at total hip: start a bone agent alongside anastrozole');
      expect(bone.suggestions.map((s: any) => s.label)).toEqual(['Denosumab 60 mg SC every 6 months']);
      expect(bone.detail).toContain('- Observation/v2-egfr-cys: LOINC 50210-4');
    },
  },
  {
    id: 'v2-renewal',
    resources: patientCopy('v2-renewal', (rs) => [
      ...rs,
      {
        resourceType: 'MedicationRequest',
        id: 'draft-anastrozole',
        status: 'active',
        intent: 'order',
        subject: { reference: 'Patient/v2-renewal' },
        authoredOn: monthsAgo(24),
        medicationCodeableConcept: {
          coding: [{ system: RXNORM, code: '199224', display: 'anastrozole 1 MG Oral Tablet' }],
        },
      } as Resource,
    ]),
    draft: (order) => {
      order.status = 'active';
    },
    expect: ['bone-agent:warning', 'calcium-vitamin-d:info', 'dxa-follow-up:info'],
  },
  {
    id: 'v2-occasional-smoker',
    resources: patientCopy('v2-occasional-smoker', (rs) =>
      rs.map((r) =>
        r.id?.endsWith('smoking-1')
          ? ({
              ...r,
              valueCodeableConcept: {
                coding: [
                  { system: 'http://snomed.info/sct', code: '428041000124106', display: 'Occasional tobacco smoker' },
                ],
              },
            } as Resource)
          : r,
      ),
    ),
    expect: ['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info'],
    check: (body) => {
      const bone = body.cards.find((c: any) => c.source.topic.code === 'bone-agent');
      expect(bone.detail).toContain('- Present: smoking, current or former — Occasional tobacco smoker');
    },
  },
];

let fhir: TestFhirServer;
beforeAll(async () => {
  fhir = await startFhirServer({ resources: cases.flatMap((c) => c.resources) });
});
afterAll(() => fhir.close());

function body(c: Case): Record<string, any> {
  const b = example('order-sign');
  b.context.patientId = c.id;
  const order = b.context.draftOrders.entry[0].resource;
  order.subject = { reference: `Patient/${c.id}` };
  c.draft?.(order);
  return b;
}

describe.each(cases.map((c) => [c.id, c] as const))('%s', (_id, c) => {
  it('with prefetch built from the discovery templates', async () => {
    const b = body(c);
    b.prefetch = await prefetchFromServer(fhir, c.id);
    fhir.clearRequests();
    const res = await request(testApp().app).post(SIGN).send(b);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, c.id);
    expect(topics(res.body)).toEqual(c.expect);
    expect(fhir.requests).toHaveLength(0);
    expect(JSON.stringify(res.body)).not.toContain('Not checked');
    c.check?.(res.body);
  });

  it('with the FHIR fallback running the same queries', async () => {
    const b = body(c);
    delete b.prefetch;
    b.fhirServer = fhir.baseUrl;
    fhir.clearRequests();
    const res = await request(testApp().app).post(SIGN).send(b);
    expect(res.status).toBe(200);
    expectWellFormedCards(res.body, c.id);
    expect(topics(res.body)).toEqual(c.expect);
    expect(fhir.requests.map((r) => r.resourceType)).toEqual(
      expect.arrayContaining(['MedicationAdministration', 'MedicationRequest']),
    );
    c.check?.(res.body);
  });
});
