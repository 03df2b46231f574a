/**
 * Reading a prefetch was made cheaper: a plain `Patient/<id>` reference is read without
 * the full pattern, repeats are found without a `type/id` key per
 * resource, and a request answered from prefetch alone settles without a promise per key. Each
 * must mean what the plain forms meant.
 */
import fc from 'fast-check';
import type { Resource } from 'fhir/r4.js';
import { DATA_KEYS } from '../../src/core/patient-record.js';
import { gatherPatientData } from '../../src/fhir/gather.js';
import { referencedPatientId } from '../../src/fhir/patient-id.js';

/** referencedPatientId as it was written before: the pattern alone. */
function referencedBefore(resource: unknown): string | undefined {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const ref = r.subject?.reference ?? r.patient?.reference;
  if (typeof ref !== 'string') return undefined;
  return /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(ref.trim())?.[1];
}

const IDS = ['abc', 'abc-1.2', 'a'.repeat(64), 'a'.repeat(65), 'a b', '', 'Patient/abc', 'ABC', 'abc/_history/1'];
const REFERENCES = [
  'Patient/abc',
  ' Patient/abc ',
  'Patient/abc/_history/2',
  'https://ehr.example.org/fhir/Patient/abc',
  'Patient/abc-1.2',
  `Patient/${'a'.repeat(64)}`,
  `Patient/${'a'.repeat(65)}`,
  'Patient/a b',
  'Patient/',
  'Patient/ABC',
  'patient/abc',
  'Group/abc',
  'Patient/other',
  'abc',
  '',
  'Patient/Patient/abc',
  'Patient/abc/_history/1',
];

describe('the patient a resource names', () => {
  test('the plain-reference shortcut gives what the pattern alone gave', () => {
    const values: unknown[] = [
      ...REFERENCES,
      ...IDS.map((id) => `Patient/${id}`),
      undefined,
      null,
      7,
      { reference: 'Patient/abc' },
    ];
    for (const ref of values) {
      for (const member of ['subject', 'patient']) {
        const resource = { resourceType: 'Observation', [member]: { reference: ref } };
        expect([ref, member, referencedPatientId(resource)]).toEqual([ref, member, referencedBefore(resource)]);
      }
    }
    expect(referencedPatientId({ resourceType: 'Observation' })).toBeUndefined();
    const both = { subject: { reference: 'Patient/x' }, patient: { reference: 'Patient/abc' } };
    expect(referencedPatientId(both)).toBe(referencedBefore(both));
  });

  test('for random ids and references', () => {
    const idChar = fc.constantFrom('a', 'B', '1', '-', '.', ' ', '/', '_');
    const id = fc.string({ unit: idChar, maxLength: 66 });
    fc.assert(
      fc.property(
        id,
        fc.constantFrom('', 'Patient/', 'https://x/Patient/', ' Patient/'),
        fc.constantFrom('', '/_history/1', ' '),
        (refId, prefix, suffix) => {
          const resource = { subject: { reference: `${prefix}${refId}${suffix}` } };
          expect(referencedPatientId(resource)).toBe(referencedBefore(resource));
        },
      ),
      { numRuns: 10_000 },
    );
  });
});

/** dedupe as it was written before. */
function dedupeBefore<T extends Resource>(resources: T[]): T[] {
  const seen = new Set<string>();
  return resources.filter((r) => {
    if (typeof r.id !== 'string') return true;
    const k = `${r.resourceType}/${r.id}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

const searchset = (resources: object[]) => ({
  resourceType: 'Bundle',
  type: 'searchset',
  entry: resources.map((resource) => ({ resource })),
});

describe('a record from prefetch alone', () => {
  const obs = (id: string | undefined, n: number) => ({
    resourceType: 'Observation',
    ...(id !== undefined && { id }),
    status: 'final',
    n,
    subject: { reference: 'Patient/p1' },
  });
  const med = (id: string | undefined, n: number) => ({
    resourceType: 'Medication',
    ...(id !== undefined && { id }),
    n,
  });

  test('repeated observations and medications are kept once, the first, in order', async () => {
    const ids = fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e'), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.array(ids, { maxLength: 8 }),
        fc.array(ids, { maxLength: 8 }),
        fc.array(ids, { maxLength: 4 }),
        fc.array(ids, { maxLength: 4 }),
        async (dxa, labs, m1, m2) => {
          const dxaObs = dxa.map(obs);
          const labObs = labs.map((id, i) => obs(id, 100 + i));
          const meds1 = m1.map(med);
          const meds2 = m2.map((id, i) => med(id, 100 + i));
          const prefetch: Record<string, unknown> = Object.fromEntries(DATA_KEYS.map((k) => [k, searchset([])]));
          prefetch['patient'] = { resourceType: 'Patient', id: 'p1' };
          prefetch['dxa'] = searchset(dxaObs);
          prefetch['labs'] = searchset(labObs);
          prefetch['medicationRequests'] = searchset(meds1);
          prefetch['medicationStatements'] = searchset(meds2);
          const result = await gatherPatientData({ patientId: 'p1', prefetch, deadlineMs: 1000 });
          if (!result.ok) throw new Error('expected a record');
          expect(result.record.observations).toEqual(dedupeBefore([...dxaObs, ...labObs]));
          expect(result.record.medications).toEqual(dedupeBefore([...meds1, ...meds2]));
          expect(result.fetched).toEqual([]);
          expect(result.record.notChecked).toEqual([]);
        },
      ),
      { numRuns: 500 },
    );
  });

  test('a missing required key without a server is a 412 naming it, an optional one is not checked', async () => {
    const prefetch: Record<string, unknown> = Object.fromEntries(DATA_KEYS.map((k) => [k, searchset([])]));
    prefetch['patient'] = { resourceType: 'Patient', id: 'p1' };
    delete prefetch['familyHistory'];
    const partial = await gatherPatientData({ patientId: 'p1', prefetch, deadlineMs: 1000 });
    expect(partial.ok && partial.record.notChecked).toEqual(['familyHistory']);
    prefetch['patient'] = null;
    const missing = await gatherPatientData({ patientId: 'p1', prefetch, deadlineMs: 1000 });
    expect(missing.ok).toBe(false);
    if (!missing.ok) expect(missing.missing).toEqual(['patient']);
  });
});
