/** Random inputs for the clinical core (fast-check), shared by the property and golden tests. */
import fc from 'fast-check';
import type {
  Bundle,
  Condition,
  FamilyMemberHistory,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import { renderCards } from '../../../src/cards/render.js';
import {
  DATA_KEYS,
  defaultPolicy,
  evaluatePatient,
  findAiOrders,
  type HookName,
  type PatientRecord,
} from '../../../src/core/index.js';
import { codings, prefixes, VALUE_SET_NAMES } from '../../../src/core/valuesets/index.js';

const ALL_CODES = VALUE_SET_NAMES.flatMap((n) => [
  ...codings(n).map((c) => ({ system: c.system, code: c.code })),
  ...prefixes(n).map((p) => ({ system: p.system, code: `${p.prefix}.1XA` })),
]);
const coding = fc.oneof(
  fc.constantFrom(...ALL_CODES),
  fc.record({ system: fc.constantFrom('http://loinc.org', 'urn:x', ''), code: fc.string({ maxLength: 8 }) }),
);
const text = fc.oneof(
  fc.constantFrom(
    'anastrozole 1 mg',
    'Femara',
    'prednisolone cream',
    'Calcium citrate',
    'vitamin D3',
    'Prolia',
    'dialysis',
    'osteonecrosis of the jaw',
    'hip fracture',
    '',
  ),
  fc.string({ maxLength: 20 }),
);
const concept = fc.record(
  {
    coding: fc.array(
      fc.record({
        system: coding.map((c) => c.system),
        code: coding.map((c) => c.code),
        display: fc.option(text, { nil: undefined }),
      }),
      { maxLength: 2 },
    ),
    text: fc.option(text, { nil: undefined }),
  },
  { requiredKeys: [] },
);
const date = fc.oneof(
  fc
    .date({ min: new Date('1930-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc
    .date({ min: new Date('1930-01-01'), max: new Date('2030-12-31'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10)),
  fc.constantFrom('2024', '2024-02', '2024-02-30', 'not a date', ''),
);
const unit = fc.constantFrom(
  'pg/mL',
  'pmol/L',
  'ng/L',
  'pmol/mL',
  'g/cm2',
  'kg',
  'cm',
  'm',
  'kg/m2',
  'mg/dL',
  'mmol/L',
  'g/dL',
  'g/L',
  'ng/mL',
  'nmol/L',
  'mL/min/{1.73_m2}',
  '{T-score}',
  'weird',
  '',
);
const value = fc.oneof(
  fc.double({ min: -10, max: 300, noNaN: true }),
  fc.constantFrom(0, -2.5, -2.0, -1.5, 20, 10, 35, 8.5),
);

const observation: fc.Arbitrary<Observation> = fc.record(
  {
    resourceType: fc.constant('Observation' as const),
    id: fc.option(
      fc.string({ minLength: 1, maxLength: 4 }).map((s) => `o${s.replace(/[^A-Za-z0-9]/g, 'x')}`),
      { nil: undefined },
    ),
    status: fc.constantFrom(
      'final',
      'amended',
      'corrected',
      'preliminary',
      'entered-in-error',
      'registered',
    ) as fc.Arbitrary<Observation['status']>,
    code: concept,
    effectiveDateTime: fc.option(date, { nil: undefined }),
    issued: fc.option(date, { nil: undefined }),
    valueQuantity: fc.option(
      fc.record(
        {
          value,
          unit,
          code: fc.option(unit, { nil: undefined }),
          comparator: fc.option(fc.constantFrom('<', '>', '<=', '>=') as fc.Arbitrary<'<'>, { nil: undefined }),
        },
        { requiredKeys: [] },
      ),
      { nil: undefined },
    ),
    valueCodeableConcept: fc.option(concept, { nil: undefined }),
    component: fc.option(
      fc.array(fc.record({ code: concept, valueQuantity: fc.record({ value, unit }) }), { maxLength: 2 }),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['resourceType', 'status', 'code'] },
);

const statusCoding = (codes: string[]) =>
  fc.option(fc.record({ coding: fc.array(fc.record({ code: fc.constantFrom(...codes) }), { maxLength: 1 }) }), {
    nil: undefined,
  });
const condition: fc.Arbitrary<Condition> = fc.record(
  {
    resourceType: fc.constant('Condition' as const),
    id: fc.option(fc.constantFrom('c1', 'c2', 'c3'), { nil: undefined }),
    subject: fc.constant({ reference: 'Patient/p' }),
    code: concept,
    clinicalStatus: statusCoding(['active', 'resolved', 'recurrence', 'inactive']),
    verificationStatus: statusCoding(['confirmed', 'refuted', 'entered-in-error', 'provisional']),
    onsetDateTime: fc.option(date, { nil: undefined }),
    onsetAge: fc.option(fc.record({ value: fc.integer({ min: 0, max: 100 }), code: fc.constantFrom('a', 'mo', 'd') }), {
      nil: undefined,
    }),
  },
  { requiredKeys: ['resourceType', 'subject'] },
);

const med = fc.oneof(
  fc.record({ medicationCodeableConcept: concept }),
  fc.record(
    {
      medicationReference: fc.record(
        {
          reference: fc.constantFrom('#m', 'Medication/k', 'Medication/unknown', 'urn:uuid:k', 'garbage'),
          display: fc.option(text, { nil: undefined }),
        },
        { requiredKeys: [] },
      ),
      contained: fc.option(
        fc.constant([{ resourceType: 'Medication' as const, id: 'm', code: { text: 'letrozole' } }]),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['medicationReference'] },
  ),
);
const medicationRequest: fc.Arbitrary<MedicationRequest> = fc
  .tuple(
    med,
    fc.record(
      {
        resourceType: fc.constant('MedicationRequest' as const),
        id: fc.option(fc.constantFrom('r1', 'r2', 'draft-1'), { nil: undefined }),
        status: fc.constantFrom('active', 'draft', 'stopped', 'completed', 'on-hold') as fc.Arbitrary<
          MedicationRequest['status']
        >,
        intent: fc.constant('order' as const),
        subject: fc.constant({ reference: 'Patient/p' }),
        authoredOn: fc.option(date, { nil: undefined }),
      },
      { requiredKeys: ['resourceType', 'status', 'intent', 'subject'] },
    ),
  )
  .map(([m, r]) => ({ ...r, ...m }) as MedicationRequest);
const medicationStatement: fc.Arbitrary<MedicationStatement> = fc
  .tuple(
    med,
    fc.record(
      {
        resourceType: fc.constant('MedicationStatement' as const),
        status: fc.constantFrom('active', 'stopped', 'completed') as fc.Arbitrary<MedicationStatement['status']>,
        subject: fc.constant({ reference: 'Patient/p' }),
        effectiveDateTime: fc.option(date, { nil: undefined }),
      },
      { requiredKeys: ['resourceType', 'status', 'subject'] },
    ),
  )
  .map(([m, r]) => ({ ...r, ...m }) as MedicationStatement);
const procedure: fc.Arbitrary<Procedure> = fc.record({
  resourceType: fc.constant('Procedure' as const),
  status: fc.constantFrom('completed', 'not-done', 'in-progress') as fc.Arbitrary<Procedure['status']>,
  subject: fc.constant({ reference: 'Patient/p' }),
  code: concept,
  performedDateTime: fc.option(date, { nil: undefined }),
});
const serviceRequest: fc.Arbitrary<ServiceRequest> = fc.record({
  resourceType: fc.constant('ServiceRequest' as const),
  status: fc.constantFrom('completed', 'active', 'revoked') as fc.Arbitrary<ServiceRequest['status']>,
  intent: fc.constant('order' as const),
  subject: fc.constant({ reference: 'Patient/p' }),
  code: concept,
  occurrenceDateTime: fc.option(date, { nil: undefined }),
});
const familyHistory: fc.Arbitrary<FamilyMemberHistory> = fc.record({
  resourceType: fc.constant('FamilyMemberHistory' as const),
  status: fc.constantFrom('completed', 'entered-in-error', 'partial') as fc.Arbitrary<FamilyMemberHistory['status']>,
  patient: fc.constant({ reference: 'Patient/p' }),
  relationship: concept,
  condition: fc.array(fc.record({ code: concept }), { maxLength: 2 }),
});
const patient: fc.Arbitrary<Patient> = fc.record(
  {
    resourceType: fc.constant('Patient' as const),
    id: fc.option(fc.constant('p'), { nil: undefined }),
    gender: fc.option(fc.constantFrom('male', 'female', 'other', 'unknown') as fc.Arbitrary<Patient['gender']>, {
      nil: undefined,
    }),
    birthDate: fc.option(date, { nil: undefined }),
  },
  { requiredKeys: ['resourceType'] },
);

export const input = fc.record({
  hook: fc.constantFrom('order-sign', 'order-select', 'patient-view') as fc.Arbitrary<HookName>,
  now: fc.date({ min: new Date('2000-01-01'), max: new Date('2035-01-01'), noInvalidDate: true }),
  patient,
  observations: fc.array(observation, { maxLength: 8 }),
  conditions: fc.array(condition, { maxLength: 4 }),
  medicationRequests: fc.array(medicationRequest, { maxLength: 4 }),
  medicationStatements: fc.array(medicationStatement, { maxLength: 3 }),
  procedures: fc.array(procedure, { maxLength: 2 }),
  serviceRequests: fc.array(serviceRequest, { maxLength: 2 }),
  familyHistory: fc.array(familyHistory, { maxLength: 2 }),
  drafts: fc.array(medicationRequest, { maxLength: 3 }),
  selections: fc.option(
    fc.array(fc.constantFrom('MedicationRequest/r1', 'MedicationRequest/draft-1', 'x'), { maxLength: 2 }),
    { nil: undefined },
  ),
  notChecked: fc.subarray([...DATA_KEYS]),
  /** Most runs should reach the rules: add an AI draft and an active AI order. */
  addAi: fc.boolean(),
});

export type Input = typeof input extends fc.Arbitrary<infer T> ? T : never;

const AI_DRAFT: MedicationRequest = {
  resourceType: 'MedicationRequest',
  id: 'draft-1',
  status: 'draft',
  intent: 'order',
  subject: { reference: 'Patient/p' },
  medicationCodeableConcept: { text: 'anastrozole 1 mg tablet' },
};
const AI_ACTIVE: MedicationRequest = {
  ...AI_DRAFT,
  id: 'ai-active',
  status: 'active',
  medicationCodeableConcept: { text: 'letrozole 2.5 mg' },
};

/** Draft orders → AI orders → evaluation → cards, with uuids numbered from 1. */
export function run(i: Input) {
  const drafts = i.addAi ? [AI_DRAFT, ...i.drafts] : i.drafts;
  const draft: Bundle = { resourceType: 'Bundle', type: 'collection', entry: drafts.map((resource) => ({ resource })) };
  const record: PatientRecord = {
    patient: i.patient,
    observations: i.observations,
    conditions: i.conditions,
    medicationRequests: i.addAi ? [AI_ACTIVE, ...i.medicationRequests] : i.medicationRequests,
    medicationStatements: i.medicationStatements,
    procedures: i.procedures,
    serviceRequests: i.serviceRequests,
    familyHistory: i.familyHistory,
    medications: [{ resourceType: 'Medication', id: 'k', code: { text: 'anastrozole' } }],
    notChecked: i.notChecked,
  };
  const aiOrders = findAiOrders(draft, {
    ...(i.selections && { selections: i.selections }),
    medications: record.medications,
  });
  const evaluation = evaluatePatient({ hook: i.hook, now: i.now, record, aiOrders }, defaultPolicy);
  let n = 0;
  const cards = renderCards(evaluation.recommendations, { patientReference: 'Patient/p', newId: () => `id-${++n}` });
  return { evaluation, cards };
}
