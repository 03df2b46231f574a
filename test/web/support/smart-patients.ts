/**
 * Patients for the SMART app's tests, built as a FHIR server holds them (every resource names its
 * patient). Codes are the core's value-set codes (src/core/valuesets): anastrozole RxNorm 199224,
 * testosterone cypionate RxNorm 1647574, DXA LOINC 38267-1/38264-8 (T-score spine/hip),
 * 24966-4/38261-4 (BMD spine/hip), estradiol LOINC 2243-4.
 */
import type { FhirResource, MedicationRequest, Observation, Patient } from 'fhir/r4.js';

const LOINC = 'http://loinc.org';
const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';

function obs(patientId: string, id: string, code: string, value: number, unit: string, date: string): Observation {
  return {
    resourceType: 'Observation',
    id,
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    subject: { reference: `Patient/${patientId}` },
    effectiveDateTime: date,
    valueQuantity: { value, unit, system: 'http://unitsofmeasure.org', code: unit },
  };
}

function order(patientId: string, id: string, code: string, display: string, authoredOn: string): MedicationRequest {
  return {
    resourceType: 'MedicationRequest',
    id,
    status: 'active',
    intent: 'order',
    subject: { reference: `Patient/${patientId}` },
    medicationCodeableConcept: { coding: [{ system: RXNORM, code, display }] },
    authoredOn,
  };
}

function person(id: string, given: string, family: string, gender: 'female' | 'male', birthDate: string): Patient {
  return { resourceType: 'Patient', id, name: [{ given: [given], family }], gender, birthDate };
}

/** A woman on anastrozole since 2022 with three DXAs (spine and hip), her BMD falling. */
export function threeDxaPatient(id = 'smart-three-dxa'): FhirResource[] {
  const scans: [date: string, spineT: number, hipT: number, spineBmd: number, hipBmd: number][] = [
    ['2022-02-14', -1.2, -1.0, 0.951, 0.861],
    ['2023-03-20', -1.6, -1.3, 0.912, 0.838],
    ['2024-04-22', -2.1, -1.7, 0.861, 0.805],
  ];
  return [
    person(id, 'Rosa', 'Delgado', 'female', '1958-05-02'),
    order(id, `${id}-ai`, '199224', 'anastrozole 1 MG Oral Tablet', '2022-01-10'),
    ...scans.flatMap(([date, spineT, hipT, spineBmd, hipBmd], i) => [
      obs(id, `${id}-t-spine-${i}`, '38267-1', spineT, '{T-score}', date),
      obs(id, `${id}-t-hip-${i}`, '38264-8', hipT, '{T-score}', date),
      obs(id, `${id}-bmd-spine-${i}`, '24966-4', spineBmd, 'g/cm2', date),
      obs(id, `${id}-bmd-hip-${i}`, '38261-4', hipBmd, 'g/cm2', date),
    ]),
  ];
}

/** A woman starting anastrozole with no DXA on record. */
export function noDxaPatient(id = 'smart-no-dxa'): FhirResource[] {
  return [
    person(id, 'June', 'Okafor', 'female', '1961-09-12'),
    order(id, `${id}-ai`, '199224', 'anastrozole 1 MG Oral Tablet', '2026-10-01'),
  ];
}

/** A man on a testosterone protocol with anastrozole, two estradiol results and one DXA. */
export function testosteroneManPatient(id = 'smart-testosterone'): FhirResource[] {
  return [
    person(id, 'Alan', 'Brook', 'male', '1968-01-20'),
    order(id, `${id}-ai`, '199224', 'anastrozole 1 MG Oral Tablet', '2025-03-01'),
    order(id, `${id}-t`, '1647574', 'Testosterone Cypionate 200 MG/ML Injectable Solution', '2024-06-01'),
    obs(id, `${id}-e2-0`, '2243-4', 38, 'pg/mL', '2025-02-10'),
    obs(id, `${id}-e2-1`, '2243-4', 14, 'pg/mL', '2025-09-15'),
    obs(id, `${id}-t-hip-0`, '38264-8', -0.9, '{T-score}', '2025-02-20'),
  ];
}
