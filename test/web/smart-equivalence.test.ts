/**
 * The bone-health view and the service give the same recommendations: the app's data assembly
 * (web/smart/record.ts, the code the browser runs) reads each patient from the FHIR server and the
 * clinical core evaluates it; the service answers patient-view for the same patient through its
 * FHIR fallback. The cards must be equal, uuids aside.
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4.js';
import request from 'supertest';
import { defaultPolicy } from '../../src/core/index.js';
import { createEngine } from '../../src/engine/create-engine.js';
import { createLogger } from '../../src/logger.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { fixtureFiles } from '../support/fixtures.js';
import { example, testApp } from '../http/support/app.js';
import { gatherRecord, type FhirReader } from '../../web/smart/record.js';
import { buildView } from '../../web/smart/view-model.js';
import { demoPatients, splitDemoBundle } from '../../demo/patients/index.js';
import { noDxaPatient, testosteroneManPatient, threeDxaPatient } from './support/smart-patients.js';

const NOW = new Date('2026-06-15T12:00:00Z');
const TOKEN = 'bone-view-token';

let fhir: TestFhirServer;
const BUILT: Record<string, string> = {
  'three DXAs': 'smart-three-dxa',
  'no DXA': 'smart-no-dxa',
  testosterone: 'smart-testosterone',
};
const DEMO = demoPatients(NOW);
const NAMES = [...fixtureFiles().keys(), ...Object.keys(BUILT), ...DEMO.map((d) => d.slug)];
const ids: Record<string, string> = { ...BUILT, ...Object.fromEntries(DEMO.map((d) => [d.slug, d.slug])) };

/** A demo patient after the order is signed: the draft AI order is now active, as when the view opens from its card. */
function signedDemoChart(): FhirResource[] {
  return DEMO.flatMap((d) => {
    const { chart, draftOrders } = splitDemoBundle(d.bundle);
    return [...chart, ...draftOrders.map((o): MedicationRequest => ({ ...o, status: 'active' }))];
  });
}

/** What fhirclient's request(url, { pageLimit: 0, flat: true }) gives: every page's resources, or the one read. */
function plainReader(base: string): FhirReader {
  return async (url) => {
    const out: FhirResource[] = [];
    let next: string | undefined = `${base}/${url}`;
    while (next) {
      const res = await fetch(next, { headers: { accept: 'application/fhir+json', authorization: `Bearer ${TOKEN}` } });
      if (!res.ok) throw Object.assign(new Error(`HTTP ${res.status}`), { status: res.status });
      const body = (await res.json()) as FhirResource;
      if (body.resourceType !== 'Bundle') return [body];
      for (const e of (body as Bundle<FhirResource>).entry ?? []) if (e.resource) out.push(e.resource);
      next = (body as Bundle<FhirResource>).link?.find((l) => l.relation === 'next')?.url;
    }
    return out;
  };
}

const stripUuids = (cards: unknown) => JSON.parse(JSON.stringify(cards).replace(/"uuid":"[^"]+"/g, '"uuid":"-"'));

beforeAll(async () => {
  fhir = await startFhirServer({
    resources: [...threeDxaPatient(), ...noDxaPatient(), ...testosteroneManPatient(), ...signedDemoChart()],
  });
  // The Synthea patients have no aromatase inhibitor: each gets an active anastrozole order
  // (RxNorm 199224), as a patient the view is opened for has.
  for (const [name, id] of Object.entries(fhir.patients)) {
    if (ids[name] !== undefined) continue;
    await fhir.add<MedicationRequest>({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${id}` },
      medicationCodeableConcept: {
        coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '199224' }],
      },
      authoredOn: '2025-11-02',
    });
    ids[name] = id;
  }
});
afterAll(() => fhir.close());

describe('the view’s recommendations equal the service’s', () => {
  it('covers the six Synthea patients, three built ones and the five demo patients', () => {
    expect(NAMES).toHaveLength(14);
    for (const name of NAMES) expect(ids[name]).toBeDefined();
  });

  it.each(NAMES.map((n) => [n]))('%s', async (name) => {
    const id = ids[name]!;
    const body = example('patient-view');
    delete body.prefetch;
    body.context.patientId = id;
    body.fhirServer = fhir.baseUrl;
    body.fhirAuthorization = {
      access_token: TOKEN,
      token_type: 'Bearer',
      expires_in: 300,
      scope: 'patient/*.rs',
      subject: 'aibl-cds',
    };
    // The service's clock is its engine's: both sides evaluate at NOW.
    const engine = createEngine({
      workers: 0,
      policy: defaultPolicy,
      logger: createLogger({ level: 'silent' }),
      now: () => NOW,
    });
    const service = await request(testApp({ engine, now: () => NOW }).app)
      .post('/cds-services/aibl-patient-view')
      .send(body)
      .expect(200);
    await engine.close();

    const gathered = await gatherRecord(plainReader(fhir.baseUrl), id);
    if (!gathered.ok) throw new Error(`the app could not read ${id}: ${gathered.missing.join(', ')}`);
    expect(gathered.record.notChecked).toEqual([]);
    const view = buildView(gathered.record, NOW, defaultPolicy);

    expect(service.body.cards.length).toBeGreaterThan(0);
    expect(stripUuids(view.cards)).toEqual(stripUuids(service.body.cards));
  });
});
