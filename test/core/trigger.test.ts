import type { Bundle, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { findAiOrders, unresolvedMedicationReferences } from '../../src/core/index.js';
import { anastrozoleDraft, bundle, medRequest, medStatement, medText, rx } from './support/builders.js';

describe('findAiOrders', () => {
  test('returns the order, its reference, the drug and how it was recognised', () => {
    const orders = findAiOrders(
      bundle([
        anastrozoleDraft(),
        medRequest(medText('Femara 2.5 mg'), { id: 'd2', status: 'draft' }),
        medRequest(medText('Ibuprofen'), { id: 'd3', status: 'draft' }),
      ]),
      {},
    );
    expect(orders.map(({ reference, drug, matchedBy }) => ({ reference, drug, matchedBy }))).toEqual([
      { reference: 'MedicationRequest/draft-1', drug: 'anastrozole', matchedBy: 'code' },
      { reference: 'MedicationRequest/d2', drug: 'letrozole', matchedBy: 'text' },
    ]);
    expect(orders[0]!.request.id).toBe('draft-1');
  });

  test('a draft without id is referenced by its fullUrl', () => {
    const mr = anastrozoleDraft();
    delete mr.id;
    const b: Bundle = {
      resourceType: 'Bundle',
      type: 'collection',
      entry: [{ fullUrl: 'urn:uuid:1234', resource: mr }],
    };
    expect(findAiOrders(b, {})[0]!.reference).toBe('urn:uuid:1234');
  });

  test('tolerates junk: no Bundle, no entries, non-object entries, entries with search/response', () => {
    expect(findAiOrders(undefined, {})).toEqual([]);
    expect(findAiOrders({ resourceType: 'Bundle' } as Bundle, {})).toEqual([]);
    const weird = {
      resourceType: 'Bundle',
      entry: [null, 3, { search: { mode: 'match' }, response: { status: '200' }, resource: anastrozoleDraft() }],
    } as unknown as Bundle;
    expect(findAiOrders(weird, {}).map((o) => o.drug)).toEqual(['anastrozole']);
  });

  test('selections restrict to the selected orders; an empty selection selects nothing', () => {
    const b = bundle([anastrozoleDraft(), medRequest(rx('200064'), { id: 'd2', status: 'draft' })]);
    expect(findAiOrders(b, { selections: ['MedicationRequest/d2'] }).map((o) => o.drug)).toEqual(['letrozole']);
    expect(findAiOrders(b, { selections: [] })).toEqual([]);
    expect(findAiOrders(b, { selections: ['https://ehr/fhir/MedicationRequest/draft-1'] }).map((o) => o.drug)).toEqual([
      'anastrozole',
    ]);
  });
});

describe('unresolvedMedicationReferences', () => {
  test('lists Medication references neither contained nor known, once each', () => {
    const rs: (MedicationRequest | MedicationStatement)[] = [
      medRequest({ medicationReference: { reference: 'Medication/a' } }),
      medRequest({ medicationReference: { reference: 'https://ehr.example/fhir/Medication/b' } }),
      medStatement({ medicationReference: { reference: 'Medication/a' } }),
      medRequest({ medicationReference: { reference: 'Medication/known' } }),
      medRequest({ contained: [{ resourceType: 'Medication', id: 'c' }], medicationReference: { reference: '#c' } }),
      medRequest({ medicationReference: { reference: '#missing-contained' } }),
      medRequest({ medicationReference: { display: 'no reference' } }),
      medRequest(rx('199224')),
    ];
    expect(unresolvedMedicationReferences(rs, [{ resourceType: 'Medication', id: 'known' }])).toEqual([
      'Medication/a',
      'Medication/b',
    ]);
  });

  test('tolerates junk input', () => {
    expect(unresolvedMedicationReferences([null as unknown as MedicationRequest], [])).toEqual([]);
  });
});
