/**
 * Every resource a gathering uses must be about the context patient, whichever way it came:
 * prefetched, searched or read. Data that does not show it (another patient, no patient at all,
 * a Patient merged into another record) is refused as a whole, like another patient's. Medications
 * beside a medication search (`_include`) are the exception: they have no subject.
 */
import type { Bundle, Medication, Patient } from 'fhir/r4.js';
import type { DataKey } from '../../src/core/patient-record.js';
import { FhirAgents, gatherPatientData, type GatherResult } from '../../src/fhir/gather.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { prefetchFromServer } from '../support/prefetch-from-server.js';

let server: TestFhirServer;
let agents: FhirAgents;
let gayla: string;
let chad: string;
let full: Record<DataKey, unknown>;
let errors: string[];

beforeAll(async () => {
  server = await startFhirServer({ fixtures: ['Gayla_Ferry', 'Chad_Quigley'] });
  gayla = server.patients['Gayla_Ferry']!;
  chad = server.patients['Chad_Quigley']!;
  full = await prefetchFromServer(server, gayla);
});
afterAll(() => server.close());
beforeEach(() => {
  agents = new FhirAgents();
  errors = [];
  server.setFault();
});
afterEach(() => agents.close());

/** `fhirServer` null: the request names none, so only the prefetch can be used. */
function gather(
  prefetch: Partial<Record<DataKey, unknown>>,
  fhirServer: string | null = server.baseUrl,
): Promise<GatherResult> {
  return gatherPatientData(
    { patientId: gayla, prefetch, ...(fhirServer !== null && { fhirServer }), deadlineMs: 3000 },
    { agents, onFhirError: (k) => errors.push(k) },
  );
}

function patientIssue(result: GatherResult): string {
  expect(result.ok).toBe(false);
  if (result.ok) return '';
  expect(result.missing).toContain('patient');
  const issue = result.outcome.issue.find((i) => i.expression?.[0] === 'prefetch.patient');
  return issue?.diagnostics ?? '';
}

const withoutPatient = (): Partial<Record<DataKey, unknown>> => {
  const { patient: _patient, ...rest } = full;
  return rest;
};

const gaylaPatient = (): Patient => structuredClone(full.patient) as Patient;

describe('the Patient read', () => {
  test('answered with another patient: refused (412), the other person never used', async () => {
    const someoneElse = { ...gaylaPatient(), id: chad };
    server.setFault({ resourceType: 'Patient', fault: { status: 200, body: someoneElse } });
    expect(patientIssue(await gather(withoutPatient()))).toContain('another patient');
    expect(errors).toEqual(['malformed']);
  });

  test('answered with a Patient without id: refused', async () => {
    const { id: _id, ...noId } = gaylaPatient();
    server.setFault({ resourceType: 'Patient', fault: { status: 200, body: noId } });
    expect(patientIssue(await gather(withoutPatient()))).toContain('without id');
  });

  test('answered with the record merged into another (replaced-by): refused, the link not followed', async () => {
    const merged = { ...gaylaPatient(), link: [{ type: 'replaced-by', other: { reference: `Patient/${chad}` } }] };
    server.setFault({ resourceType: 'Patient', fault: { status: 200, body: merged } });
    server.clearRequests();
    expect(patientIssue(await gather(withoutPatient()))).toContain('replaced-by');
    expect(server.requests.filter((r) => r.path === `Patient/${chad}`)).toEqual([]);
  });

  test('a survivor that lists what it replaced (replaces) is the record in use: accepted', async () => {
    const survivor = { ...gaylaPatient(), link: [{ type: 'replaces', other: { reference: 'Patient/old-record' } }] };
    server.setFault({ resourceType: 'Patient', fault: { status: 200, body: survivor } });
    const result = await gather(withoutPatient());
    expect(result.ok && result.record.patient.id).toBe(gayla);
  });
});

describe('a prefetched Patient', () => {
  test('without id, or merged into another record: not used, the right one is read', async () => {
    const { id: _id, ...noId } = gaylaPatient();
    const merged = { ...gaylaPatient(), link: [{ type: 'replaced-by', other: { reference: `Patient/${chad}` } }] };
    for (const patient of [noId, merged]) {
      server.clearRequests();
      const result = await gather({ ...full, patient });
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.fetched).toEqual(['patient']);
      expect(server.requests.map((r) => r.path)).toEqual([`Patient/${gayla}`]);
    }
  });

  test('merged into another record, with no server to read from: 412', async () => {
    const merged = { ...gaylaPatient(), link: [{ type: 'replaced-by', other: { reference: `Patient/${chad}` } }] };
    expect(patientIssue(await gather({ ...full, patient: merged }, null))).toContain('replaced-by');
  });
});

describe('searchsets', () => {
  function conditionsBundle(subject: unknown): Bundle {
    const entry = (full.conditions as Bundle).entry ?? [];
    expect(entry.length).toBeGreaterThan(1);
    const [first, ...rest] = structuredClone(entry);
    const changed = { ...first!.resource } as Record<string, unknown>;
    if (subject === undefined) delete changed['subject'];
    else changed['subject'] = subject;
    return { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: changed as never }, ...rest] };
  }

  test.each([
    ['names no patient', undefined],
    ['names a Group', { reference: 'Group/ward-7' }],
    ['names the patient only by identifier', { identifier: { system: 'urn:mrn', value: '123' } }],
    ['names another patient', { reference: `Patient/${chad}` }],
  ])('a prefetched entry that %s: the page is not used, the key is searched', async (_name, subject) => {
    server.clearRequests();
    const result = await gather({ ...full, conditions: conditionsBundle(subject) });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.fetched).toEqual(['conditions']);
    expect(server.requests.map((r) => r.resourceType)).toEqual(['Condition']);
  });

  test.each([
    ['names no patient', undefined],
    ['names another patient', { reference: `Patient/${chad}` }],
  ])('a server entry that %s: the query fails (conditions not checked)', async (_name, subject) => {
    server.setFault({ resourceType: 'Condition', fault: { status: 200, body: conditionsBundle(subject) } });
    const { conditions: _c, ...rest } = full;
    const result = await gather(rest);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.record.notChecked).toEqual(['conditions']);
      expect(result.record.conditions).toEqual([]);
    }
    expect(errors).toEqual(['malformed']);
  });

  test('an absolute or versioned reference to the patient counts as naming them', async () => {
    const absolute = conditionsBundle({ reference: `${server.baseUrl}/Patient/${gayla}/_history/1` });
    const result = await gather({ ...full, conditions: absolute }, null);
    expect(result.ok && result.fetched).toEqual([]);
  });

  test('Medications beside medication requests (no subject) are used', async () => {
    const requests = structuredClone(full.medicationRequests) as Bundle;
    requests.entry = [
      ...(requests.entry ?? []),
      {
        resource: {
          resourceType: 'Medication',
          id: 'med-included',
          code: { text: 'anastrozole 1 mg tablet' },
        } as Medication,
        search: { mode: 'include' },
      },
    ];
    const result = await gather({ ...full, medicationRequests: requests }, null);
    expect(result.ok).toBe(true);
    if (result.ok) {
      expect(result.fetched).toEqual([]);
      expect(result.record.medications.map((m) => m.id)).toContain('med-included');
    }
  });
});
