/**
 * gatherPatientData against the real loopback FHIR server: prefetch use, fallback, null and
 * OperationOutcome keys, paging, patient ids, medication references, 412 outcomes.
 */
import type { Medication, MedicationRequest } from 'fhir/r4.js';
import { DATA_KEYS, type DataKey, type PatientRecord } from '../../src/core/patient-record.js';
import { FhirAgents, gatherPatientData, readMedications, type GatherResult } from '../../src/fhir/gather.js';
import { prefetchTemplates } from '../../src/fhir/queries.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';
import { idsOf, prefetchFromServer } from '../support/prefetch-from-server.js';

let server: TestFhirServer;
let other: TestFhirServer;
let agents: FhirAgents;
let gayla: string;
let chad: string;
let full: Record<DataKey, unknown>;
let errors: string[];
const TOKEN = 'token-abc';

beforeAll(async () => {
  // One after the other: a server started beside one that failed would never be closed.
  server = await startFhirServer({ fixtures: ['Gayla_Ferry', 'Chad_Quigley'] });
  other = await startFhirServer({ fixtures: [] });
  gayla = server.patients['Gayla_Ferry']!;
  chad = server.patients['Chad_Quigley']!;
  full = await prefetchFromServer(server, gayla);
});
afterAll(async () => {
  await Promise.all([server?.close(), other?.close()]);
});
beforeEach(() => {
  agents = new FhirAgents();
  errors = [];
  server.clearRequests();
  server.setFault();
});
afterEach(() => agents.close());

function gather(
  req: Partial<Parameters<typeof gatherPatientData>[0]> = {},
  deps: Parameters<typeof gatherPatientData>[1] = {},
) {
  return gatherPatientData(
    {
      patientId: gayla,
      fhirServer: server.baseUrl,
      fhirAuthorization: { access_token: TOKEN, token_type: 'Bearer' },
      deadlineMs: 1500,
      ...req,
    },
    { agents, onFhirError: (k) => errors.push(k), ...deps },
  );
}

function ok(result: GatherResult): { record: PatientRecord; fetched: DataKey[] } {
  if (!result.ok) throw new Error(`expected ok, got 412: ${JSON.stringify(result.outcome)}`);
  return result;
}

function sortedIds(resources: { resourceType: string; id?: string }[]): string[] {
  return resources.map((r) => `${r.resourceType}/${r.id}`).sort();
}

/** The record's ids per key, to compare with what the templates return. */
function recordIds(record: PatientRecord): Record<string, string[]> {
  return {
    patient: sortedIds([record.patient]),
    observations: sortedIds(record.observations),
    conditions: sortedIds(record.conditions),
    medicationRequests: sortedIds(record.medicationRequests),
    medicationStatements: sortedIds(record.medicationStatements),
    procedures: sortedIds(record.procedures),
    dxaOrders: sortedIds(record.serviceRequests),
    familyHistory: sortedIds(record.familyHistory),
    medicationAdministrations: sortedIds(record.medicationAdministrations ?? []),
  };
}

function expectedIds(prefetch: Record<DataKey, unknown>): Record<string, string[]> {
  return {
    patient: idsOf(prefetch.patient),
    observations: [...idsOf(prefetch.dxa), ...idsOf(prefetch.labs)].sort(),
    conditions: idsOf(prefetch.conditions),
    // Bone-agent orders of any status join the active orders, each once.
    medicationRequests: [
      ...new Set([...idsOf(prefetch.medicationRequests), ...idsOf(prefetch.boneAgentOrders)]),
    ].sort(),
    medicationStatements: idsOf(prefetch.medicationStatements),
    procedures: idsOf(prefetch.procedures),
    dxaOrders: idsOf(prefetch.dxaOrders),
    familyHistory: idsOf(prefetch.familyHistory),
    medicationAdministrations: idsOf(prefetch.medicationAdministrations),
  };
}

describe('without prefetch', () => {
  test('every key is fetched from fhirServer and equals what the templates return', async () => {
    const { record, fetched } = ok(await gather());
    expect(fetched).toEqual([...DATA_KEYS]);
    expect(record.notChecked).toEqual([]);
    expect(recordIds(record)).toEqual(expectedIds(full));
    // sanity: the fixture really has DXA and lab data, so the comparison is not vacuous
    expect(idsOf(full.dxa).length).toBeGreaterThan(0);
    expect(idsOf(full.labs).length).toBeGreaterThan(20);
    expect(record.medicationRequests.length).toBeGreaterThan(0);
    expect(errors).toEqual([]);
  });

  test('the server gets exactly the template URLs (plus _count) with the bearer token', async () => {
    ok(await gather());
    const got = server.requests.map((r) => decodeURIComponent(r.url.replace(/^\/fhir\//, ''))).sort();
    const templates = prefetchTemplates();
    const expected = DATA_KEYS.map((k) => {
      const url = templates[k].replace('{{context.patientId}}', gayla);
      return k === 'patient' ? url : `${url}&_count=100`;
    }).sort();
    expect(got).toEqual(expected);
    for (const r of server.requests) {
      expect(r.method).toBe('GET');
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.headers.accept).toContain('application/fhir+json');
    }
  });

  test('without fhirAuthorization no Authorization header is sent', async () => {
    ok(await gather({ fhirAuthorization: undefined }));
    expect(server.requests).toHaveLength(DATA_KEYS.length);
    for (const r of server.requests) expect(r.headers.authorization).toBeUndefined();
  });

  test('bare and Patient/<id> patient ids give the same record and the same requests', async () => {
    const bare = ok(await gather({ patientId: gayla }));
    const bareUrls = server.requests.map((r) => r.url).sort();
    server.clearRequests();
    const typed = ok(await gather({ patientId: `Patient/${gayla}` }));
    expect(recordIds(typed.record)).toEqual(recordIds(bare.record));
    expect(server.requests.map((r) => r.url).sort()).toEqual(bareUrls);
    expect(bareUrls.some((u) => u.includes('Patient%2F') || u.includes('patient=Patient/'))).toBe(false);
  });

  test('another patient gets their own data', async () => {
    const { record } = ok(await gather({ patientId: chad }));
    expect(record.patient.id).toBe(chad);
    const expected = expectedIds(await prefetchFromServer(server, chad));
    expect(recordIds(record)).toEqual(expected);
    for (const o of record.observations) expect(o.subject?.reference).toBe(`Patient/${chad}`);
  });

  test('no fhirServer and no prefetch: 412 naming the three required inputs, nothing contacted', async () => {
    const result = await gather({ fhirServer: undefined, fhirAuthorization: undefined });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toEqual(['patient', 'dxa', 'medicationRequests']);
    expect(result.outcome.resourceType).toBe('OperationOutcome');
    expect(result.outcome.issue.map((i) => [i.severity, i.code, i.expression?.[0]])).toEqual([
      ['error', 'required', 'prefetch.patient'],
      ['error', 'required', 'prefetch.dxa'],
      ['error', 'required', 'prefetch.medicationRequests'],
    ]);
    for (const i of result.outcome.issue) expect(i.diagnostics).toMatch(/no fhirServer/);
    expect(server.requests).toHaveLength(0);
  });
});

describe('with prefetch', () => {
  test('a full prefetch is used as is: the FHIR server is never contacted', async () => {
    const { record, fetched } = ok(await gather({ prefetch: full }));
    expect(fetched).toEqual([]);
    expect(record.notChecked).toEqual([]);
    expect(recordIds(record)).toEqual(expectedIds(full));
    expect(server.requests).toHaveLength(0);
  });

  test('a full prefetch works without fhirServer', async () => {
    const { record } = ok(await gather({ prefetch: full, fhirServer: undefined, fhirAuthorization: undefined }));
    expect(recordIds(record)).toEqual(expectedIds(full));
  });

  test('absent keys are fetched, present keys are not', async () => {
    const { labs: _labs, conditions: _conditions, ...rest } = full;
    const { record, fetched } = ok(await gather({ prefetch: rest }));
    expect(fetched).toEqual(['labs', 'conditions']);
    expect(server.requests.map((r) => r.resourceType).sort()).toEqual(['Condition', 'Observation']);
    expect(recordIds(record)).toEqual(expectedIds(full));
  });

  test('absent optional keys without fhirServer are listed in notChecked', async () => {
    const { labs: _labs, familyHistory: _fh, ...rest } = full;
    const { record } = ok(await gather({ prefetch: rest, fhirServer: undefined, fhirAuthorization: undefined }));
    expect(record.notChecked).toEqual(['labs', 'familyHistory']);
    expect(record.familyHistory).toEqual([]);
    expect(sortedIds(record.observations)).toEqual(idsOf(full.dxa));
  });

  test('null keys mean no data: empty lists, not refetched', async () => {
    const prefetch = { ...full, labs: null, conditions: null, medicationStatements: null, procedures: null };
    const { record, fetched } = ok(await gather({ prefetch }));
    expect(fetched).toEqual([]);
    expect(server.requests).toHaveLength(0);
    expect(record.conditions).toEqual([]);
    expect(record.notChecked).toEqual([]);
    expect(sortedIds(record.observations)).toEqual(idsOf(full.dxa));
  });

  test('every search key null: evaluates with the Patient only, nothing fetched', async () => {
    const prefetch = Object.fromEntries(DATA_KEYS.map((k) => [k, k === 'patient' ? full.patient : null]));
    const { record } = ok(await gather({ prefetch }));
    expect(record.patient.id).toBe(gayla);
    expect(record.observations).toEqual([]);
    expect(record.medicationRequests).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });

  test('a null Patient is a 412 (not-found), and the server is not asked for it', async () => {
    const result = await gather({ prefetch: { ...full, patient: null } });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.missing).toEqual(['patient']);
    expect(result.outcome.issue[0]?.code).toBe('not-found');
    expect(server.requests.filter((r) => r.resourceType === 'Patient')).toHaveLength(0);
  });

  test('OperationOutcome keys are fetched from the server', async () => {
    const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'timeout' }] };
    const { record, fetched } = ok(await gather({ prefetch: { ...full, dxa: oo, familyHistory: oo } }));
    expect(fetched).toEqual(['dxa', 'familyHistory']);
    expect(server.requests.map((r) => r.resourceType).sort()).toEqual(['FamilyMemberHistory', 'Observation']);
    expect(recordIds(record)).toEqual(expectedIds(full));
  });

  test('OperationOutcome for a required key without fhirServer: 412', async () => {
    const oo = { resourceType: 'OperationOutcome', issue: [{ severity: 'error', code: 'exception' }] };
    const result = await gather({ prefetch: { ...full, medicationRequests: oo }, fhirServer: undefined });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.missing).toEqual(['medicationRequests']);
  });

  test('a prefetched Patient of another patient is not used: the right one is read', async () => {
    const wrong = await prefetchFromServer(server, chad, { keys: ['patient'] });
    const { record, fetched } = ok(await gather({ prefetch: { ...full, patient: wrong.patient } }));
    expect(record.patient.id).toBe(gayla);
    expect(fetched).toEqual(['patient']);
  });

  test("a prefetched Bundle holding another patient's resources is not used", async () => {
    const wrong = await prefetchFromServer(server, chad, { keys: ['conditions'] });
    const { record, fetched } = ok(await gather({ prefetch: { ...full, conditions: wrong.conditions } }));
    expect(fetched).toEqual(['conditions']);
    expect(sortedIds(record.conditions)).toEqual(idsOf(full.conditions));
  });

  test('the Patient read may come as a Bundle holding the Patient', async () => {
    const bundle = { resourceType: 'Bundle', type: 'searchset', entry: [{ resource: full.patient }] };
    const { record, fetched } = ok(await gather({ prefetch: { ...full, patient: bundle } }));
    expect(record.patient.id).toBe(gayla);
    expect(fetched).toEqual([]);
  });
});

describe('paging', () => {
  test('a prefetched searchset with a next link is completed from fhirServer with the token', async () => {
    const paged = await prefetchFromServer(server, gayla, { keys: ['labs'], paged: true, pageSize: 7 });
    server.clearRequests();
    const firstPage = paged.labs as { link?: { relation: string }[]; entry?: unknown[] };
    expect(firstPage.entry).toHaveLength(7);
    expect(firstPage.link?.some((l) => l.relation === 'next')).toBe(true);
    const { record, fetched } = ok(await gather({ prefetch: { ...full, labs: paged.labs } }));
    expect(fetched).toEqual(['labs']);
    expect(recordIds(record)).toEqual(expectedIds(full));
    const pages = Math.ceil(idsOf(full.labs).length / 7);
    expect(server.requests).toHaveLength(pages - 1);
    for (const r of server.requests) {
      expect(r.headers.authorization).toBe(`Bearer ${TOKEN}`);
      expect(r.query.get('_offset')).not.toBeNull();
    }
  });

  test('fallback searches read every page when the server pages', async () => {
    const small = await startFhirServer({ fixtures: ['Gayla_Ferry'], maxPageSize: 10 });
    try {
      const id = small.patients['Gayla_Ferry']!;
      const prefetch = await prefetchFromServer(small, id);
      small.clearRequests();
      const { record } = ok(await gather({ patientId: id, fhirServer: small.baseUrl }));
      expect(recordIds(record)).toEqual(expectedIds(prefetch));
      const labs = idsOf(prefetch.labs).length;
      expect(labs).toBeGreaterThan(20);
      const labsPages = small.requests.filter((r) => r.query.get('code')?.includes('2243-4'));
      expect(labsPages).toHaveLength(Math.ceil(labs / 10));
    } finally {
      await small.close();
    }
  });

  test('a next link to another origin is never followed (optional key → notChecked)', async () => {
    const paged = (await prefetchFromServer(server, gayla, { keys: ['labs'], paged: true, pageSize: 5 })).labs as {
      link: { relation: string; url: string }[];
    };
    const foreign = {
      ...paged,
      link: paged.link.map((l) =>
        l.relation === 'next' ? { ...l, url: l.url.replace(server.origin, other.origin) } : l,
      ),
    };
    other.clearRequests();
    const { record } = ok(await gather({ prefetch: { ...full, labs: foreign } }));
    expect(other.requests).toHaveLength(0);
    expect(record.notChecked).toEqual(['labs']);
    expect(sortedIds(record.observations)).toEqual(idsOf(full.dxa));
    expect(errors).toEqual(['untrusted_link']);
  });

  test('a next link under another base path of the same origin is not followed either', async () => {
    const paged = (await prefetchFromServer(server, gayla, { keys: ['medicationRequests'], paged: true, pageSize: 1 }))
      .medicationRequests as { link: { relation: string; url: string }[] };
    expect(paged.link.map((l) => l.relation)).toContain('next');
    const sideways = {
      ...paged,
      link: paged.link.map((l) => (l.relation === 'next' ? { ...l, url: l.url.replace('/fhir/', '/other/') } : l)),
    };
    server.clearRequests();
    const result = await gather({ prefetch: { ...full, medicationRequests: sideways } });
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.missing).toEqual(['medicationRequests']);
      expect(result.outcome.issue[0]?.code).toBe('security');
    }
    expect(server.requests).toHaveLength(0);
  });

  test('a paged prefetch without fhirServer: required key → 412, optional key → notChecked', async () => {
    const paged = await prefetchFromServer(server, gayla, {
      keys: ['labs', 'medicationRequests'],
      paged: true,
      pageSize: 1,
    });
    server.clearRequests();
    const optional = ok(await gather({ prefetch: { ...full, labs: paged.labs }, fhirServer: undefined }));
    expect(optional.record.notChecked).toEqual(['labs']);
    const required = await gather({
      prefetch: { ...full, medicationRequests: paged.medicationRequests },
      fhirServer: undefined,
    });
    expect(required.ok).toBe(false);
    if (!required.ok) {
      expect(required.missing).toEqual(['medicationRequests']);
      expect(required.outcome.issue[0]?.diagnostics).toMatch(/more pages/);
    }
    expect(server.requests).toHaveLength(0);
  });
});

describe('medication references', () => {
  let medication: Medication & { id: string };
  let byReference: MedicationRequest & { id: string };

  beforeAll(async () => {
    medication = await server.add<Medication>({
      resourceType: 'Medication',
      code: {
        coding: [
          {
            system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
            code: '904419',
            display: 'alendronic acid 10 MG Oral Tablet',
          },
        ],
      },
    });
    byReference = await server.add<MedicationRequest>({
      resourceType: 'MedicationRequest',
      status: 'active',
      intent: 'order',
      subject: { reference: `Patient/${chad}` },
      medicationReference: { reference: `Medication/${medication.id}` },
    });
  });

  test('Medication/<id> references of active MedicationRequests are read', async () => {
    const { record } = ok(await gather({ patientId: chad }));
    expect(record.medicationRequests.map((m) => m.id)).toContain(byReference.id);
    expect(record.medications.map((m) => m.id)).toEqual([medication.id]);
    expect(server.requests.filter((r) => r.path === `Medication/${medication.id}`)).toHaveLength(1);
    expect(record.notChecked).toEqual([]);
  });

  test('a reference that cannot be read marks medicationRequests as not fully checked', async () => {
    server.setFault({ match: (r) => r.path.startsWith('Medication/'), fault: { status: 404 } });
    const { record } = ok(await gather({ patientId: chad }));
    expect(record.medications).toEqual([]);
    expect(record.notChecked).toEqual(['medicationRequests']);
    expect(errors).toEqual(['http_4xx']);
  });

  test('readMedications reads draft-order references and skips what fails', async () => {
    const meds = await readMedications(
      {
        references: [
          `Medication/${medication.id}`,
          'Medication/does-not-exist',
          `${server.baseUrl}/Medication/${medication.id}`,
        ],
        fhirServer: server.baseUrl,
        fhirAuthorization: { access_token: TOKEN },
        deadlineMs: 1000,
      },
      { agents, onFhirError: (k) => errors.push(k) },
    );
    expect(meds.map((m) => m.id)).toEqual([medication.id]);
    expect(errors).toEqual(['http_4xx']);
    expect(server.requests.every((r) => r.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });

  test('readMedications without fhirServer reads nothing', async () => {
    expect(
      await readMedications({ references: [`Medication/${medication.id}`], deadlineMs: 1000 }, { agents }),
    ).toEqual([]);
    expect(server.requests).toHaveLength(0);
  });
});

describe('agents', () => {
  test('without shared agents a gathering uses its own and closes them', async () => {
    await new Promise((r) => setTimeout(r, 50));
    const before = server.connections().open;
    const result = await gatherPatientData({ patientId: gayla, fhirServer: server.baseUrl, deadlineMs: 1500 });
    expect(result.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    expect(server.connections().open).toBe(before);
  });
});
