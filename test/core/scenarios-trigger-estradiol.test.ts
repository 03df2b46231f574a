/**
 * Table-driven scenarios (docs/clinical-logic.md#trigger, #card-estradiol, #missing-data): every medication
 * recognition path of the trigger,
 * order-select selections, patient-view, estradiol in men (pg/mL and pmol/L boundaries, 6- and
 * 12-month windows), and incomplete data. NOW is 2025-06-15.
 */
import type { Medication } from 'fhir/r4.js';
import {
  anastrozoleDraft,
  bundle,
  estradiol,
  evaluateScenario,
  medRequest,
  medText,
  patient,
  quantityObs,
  quiet,
  rx,
  topicsOf,
  tScore,
  type Scenario,
} from './support/builders.js';

import { parsePolicy } from '../../src/core/index.js';

const MAN = patient({ sex: 'male' });
const estradiolObs = (value: number, unit: string, date: string, code: string, opts: { id: string }) =>
  quantityObs(code, value, unit, date, opts);
const draftOf = (med: Parameters<typeof medRequest>[0], status: 'draft' | 'active' = 'draft') =>
  bundle([medRequest(med, { id: 'draft-1', status })]);
const e2 = (value: number, unit: string, date: string, code = '2243-4', comparator?: '<') => [
  ...quiet(),
  estradiol(value, unit, date, code, comparator),
];

const scenarios: Scenario[] = [
  // ---------------------------------------------------------------- trigger: recognition paths
  {
    name: 'SCD 199224 (anastrozole) triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('199224')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'SCD 200064 (letrozole) triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('200064')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'SCD 310261 (exemestane) triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('310261')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'SBD 151124 (Arimidex) triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('151124')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'BN 262485 (Synthea "Arimidex") triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('262485')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'GPCK 1098617 triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('1098617')),
    expect: ['baseline-dxa:warning'],
  },
  // docs/clinical-logic.md#trigger: an AI code at any level triggers, whatever its
  // verification status (policy default).
  {
    name: 'IN 84857 (anastrozole, [U]) alone triggers by code',
    resources: quiet(['dxa']),
    draft: draftOf(rx('84857')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'IN 72965 (letrozole, [U]) alone triggers by code',
    resources: quiet(['dxa']),
    draft: draftOf(rx('72965')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'IN 258494 (exemestane, [U]) alone triggers by code',
    resources: quiet(['dxa']),
    draft: draftOf(rx('258494')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'IN 72965 (unverified) with display "letrozole" triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('72965', 'letrozole')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'a site narrowing terminology.triggerCodeStatuses to verified + weak: IN 258494 alone does not trigger',
    resources: quiet(['dxa']),
    draft: draftOf(rx('258494')),
    policy: parsePolicy({ terminology: { triggerCodeStatuses: ['verified', 'weak'] } }),
    expect: [],
  },
  {
    name: 'patient-view: an active order coded only IN 258494 (exemestane) makes the patient on an AI',
    hook: 'patient-view',
    resources: [...quiet(['dxa']), medRequest(rx('258494'), { authoredOn: '2024-01-01' })],
    expect: ['dxa-follow-up:info'],
  },
  {
    name: 'text only "Arimidex 1mg tab" triggers',
    resources: quiet(['dxa']),
    draft: draftOf(medText('Arimidex 1mg tab')),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'medicationReference to a contained Medication (letrozole 200064)',
    resources: quiet(['dxa']),
    draft: draftOf({
      contained: [
        {
          resourceType: 'Medication',
          id: 'med',
          code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '200064' }] },
        } as Medication,
      ],
      medicationReference: { reference: '#med' },
    }),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'medicationReference resolved from the known Medications (exemestane 310261)',
    resources: quiet(['dxa']),
    draft: draftOf({ medicationReference: { reference: 'Medication/ex-1' } }),
    medications: [
      {
        resourceType: 'Medication',
        id: 'ex-1',
        code: { coding: [{ system: 'http://www.nlm.nih.gov/research/umls/rxnorm', code: '310261' }] },
      } as Medication,
    ],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'Medication entry in the draftOrders Bundle resolves the reference',
    resources: quiet(['dxa']),
    draft: bundle([
      medRequest({ medicationReference: { reference: 'Medication/in-bundle' } }, { id: 'draft-1', status: 'draft' }),
      { resourceType: 'Medication', id: 'in-bundle', code: { text: 'Letrozole 2.5 mg tablet' } },
    ]),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'unresolved medicationReference with display "exemestane 25 mg" triggers by name',
    resources: quiet(['dxa']),
    draft: draftOf({ medicationReference: { reference: 'Medication/unknown', display: 'exemestane 25 mg' } }),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'Medication.ingredient names anastrozole',
    resources: quiet(['dxa']),
    draft: draftOf({
      contained: [
        {
          resourceType: 'Medication',
          id: 'c',
          code: { text: 'House formulary item 42' },
          ingredient: [{ itemCodeableConcept: { text: 'Anastrozole' } }],
        } as Medication,
      ],
      medicationReference: { reference: '#c' },
    }),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'tamoxifen (198240): no cards',
    resources: quiet(['dxa', 'calcium']),
    draft: draftOf(rx('198240', 'Tamoxifen 10 MG Oral Tablet')),
    expect: [],
  },
  {
    name: 're-sign: an AI order with status active still triggers',
    resources: quiet(['dxa']),
    draft: draftOf(rx('199224'), 'active'),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'Bundle without type, entries with fullUrl',
    resources: quiet(['dxa']),
    draft: bundle([anastrozoleDraft()], { fullUrls: true }),
    expect: ['baseline-dxa:warning'],
  },
  // ---------------------------------------------------------------- order-select
  {
    name: 'order-select: the AI order is selected',
    hook: 'order-select',
    resources: quiet(['dxa']),
    draft: bundle([anastrozoleDraft(), medRequest(medText('Ibuprofen 400 mg'), { id: 'other', status: 'draft' })]),
    selections: ['MedicationRequest/draft-1'],
    // order-select cards are at most info: order-sign interrupts (docs/clinical-logic.md#trigger).
    expect: ['baseline-dxa:info'],
  },
  {
    name: 'order-select: only another order is selected',
    hook: 'order-select',
    resources: quiet(['dxa']),
    draft: bundle([anastrozoleDraft(), medRequest(medText('Ibuprofen 400 mg'), { id: 'other', status: 'draft' })]),
    selections: ['MedicationRequest/other'],
    expect: [],
  },
  {
    name: 'order-select: a fullUrl-form selection is tolerated',
    hook: 'order-select',
    resources: quiet(['dxa']),
    draft: bundle([anastrozoleDraft()], { fullUrls: true }),
    selections: ['http://ehr.example/fhir/MedicationRequest/draft-1'],
    expect: ['baseline-dxa:info'],
  },
  // ---------------------------------------------------------------- patient-view
  {
    name: 'patient-view: active AI order, no DXA → dxa-follow-up',
    hook: 'patient-view',
    resources: [...quiet(['dxa']), medRequest(rx('200064'), { authoredOn: '2024-01-01' })],
    expect: ['dxa-follow-up:info'],
  },
  {
    name: 'patient-view: only a stopped AI order → nothing',
    hook: 'patient-view',
    resources: [...quiet(['dxa', 'calcium']), medRequest(rx('200064'), { status: 'stopped' })],
    expect: [],
  },
  {
    name: 'patient-view: no AI at all → nothing',
    hook: 'patient-view',
    resources: quiet(['dxa', 'calcium']),
    expect: [],
  },
  // ---------------------------------------------------------------- estradiol in men
  { name: 'man, no estradiol → estradiol-check', patient: MAN, resources: quiet(), expect: ['estradiol-check:info'] },
  {
    name: 'man, estradiol 25 pg/mL last month: nothing',
    patient: MAN,
    resources: e2(25, 'pg/mL', '2025-05-15'),
    expect: [],
  },
  { name: 'estradiol 20 pg/mL exactly is not low', patient: MAN, resources: e2(20, 'pg/mL', '2025-05-15'), expect: [] },
  {
    name: 'estradiol 19.9 pg/mL → warning',
    patient: MAN,
    resources: e2(19.9, 'pg/mL', '2025-05-15'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'estradiol 10 pg/mL exactly → warning, not critical',
    patient: MAN,
    resources: e2(10, 'pg/mL', '2025-05-15'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'estradiol 9.9 pg/mL → critical',
    patient: MAN,
    resources: e2(9.9, 'pg/mL', '2025-05-15'),
    expect: ['estradiol-low:critical'],
  },
  {
    name: '73.42 pmol/L = 20 pg/mL: not low',
    patient: MAN,
    resources: e2(73.42, 'pmol/L', '2025-05-15', '14715-7'),
    expect: [],
  },
  {
    name: '73.41 pmol/L = 19.997 pg/mL → warning (compared unrounded)',
    patient: MAN,
    resources: e2(73.41, 'pmol/L', '2025-05-15', '14715-7'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: '73.0 pmol/L = 19.89 pg/mL → warning',
    patient: MAN,
    resources: e2(73.0, 'pmol/L', '2025-05-15', '14715-7'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: '36.71 pmol/L = 10 pg/mL → warning',
    patient: MAN,
    resources: e2(36.71, 'pmol/L', '2025-05-15', '14715-7'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: '36.3 pmol/L = 9.89 pg/mL → critical',
    patient: MAN,
    resources: e2(36.3, 'pmol/L', '2025-05-15', '14715-7'),
    expect: ['estradiol-low:critical'],
  },
  {
    name: 'ng/L equals pg/mL: 15 ng/L → warning',
    patient: MAN,
    resources: e2(15, 'ng/L', '2025-05-15'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'pmol/mL: 0.0367 pmol/mL = 10 pg/mL → warning',
    patient: MAN,
    resources: e2(0.03671, 'pmol/mL', '2025-05-15', '14715-7'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: '"<5 pg/mL" → critical',
    patient: MAN,
    resources: e2(5, 'pg/mL', '2025-05-15', '2243-4', '<'),
    expect: ['estradiol-low:critical'],
  },
  {
    name: 'estradiol 15 pg/mL exactly 12 months ago → low',
    patient: MAN,
    resources: e2(15, 'pg/mL', '2024-06-15'),
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'estradiol 15 pg/mL 12 months and a day ago: too old for low, so check',
    patient: MAN,
    resources: e2(15, 'pg/mL', '2024-06-14'),
    expect: ['estradiol-check:info'],
  },
  {
    name: 'normal estradiol exactly 6 months ago: no check',
    patient: MAN,
    resources: e2(25, 'pg/mL', '2024-12-15'),
    expect: [],
  },
  {
    name: 'normal estradiol 6 months and a day ago → check',
    patient: MAN,
    resources: e2(25, 'pg/mL', '2024-12-14'),
    expect: ['estradiol-check:info'],
  },
  {
    name: 'two estradiols the same day: the later time wins, not the resource id (15 at 17:00 over 25 at 08:00)',
    patient: MAN,
    resources: [
      ...quiet(),
      estradiolObs(25, 'pg/mL', '2025-05-15T08:00:00Z', '2243-4', { id: 'a-early' }),
      estradiolObs(15, 'pg/mL', '2025-05-15T17:00:00Z', '2243-4', { id: 'z-late' }),
    ],
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'two estradiols the same day, reversed ids: still the later time (25 at 17:00 over 15 at 08:00)',
    patient: MAN,
    resources: [
      ...quiet(),
      estradiolObs(15, 'pg/mL', '2025-05-15T08:00:00Z', '2243-4', { id: 'a-early' }),
      estradiolObs(25, 'pg/mL', '2025-05-15T17:00:00Z', '2243-4', { id: 'z-late' }),
    ],
    expect: [],
  },
  { name: 'woman with estradiol 5 pg/mL: no estradiol rule', resources: e2(5, 'pg/mL', '2025-05-15'), expect: [] },
  {
    name: 'man on letrozole, estradiol by immunoassay code 83096-8 at 12 pg/mL → warning',
    patient: MAN,
    resources: e2(12, 'pg/mL', '2025-03-01', '83096-8'),
    draft: draftOf(rx('200064')),
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'estradiol with an unknown unit is not used → check',
    patient: MAN,
    resources: e2(12, 'mg/dL', '2025-05-15'),
    expect: ['estradiol-check:info'],
  },
  // ---------------------------------------------------------------- incomplete data
  {
    name: 'labs not retrieved: a man still gets the estradiol check',
    patient: MAN,
    resources: quiet(),
    notChecked: ['labs'],
    expect: ['estradiol-check:info'],
  },
  {
    name: 'no birth date: age cannot count, T −1.6 alone is one factor',
    patient: patient({ birthDate: null }),
    resources: [...quiet(['dxa']), tScore(-1.6, '2025-01-15')],
    expect: [],
  },
  {
    name: 'no gender: no estradiol rules',
    patient: patient({ sex: null }),
    resources: quiet(),
    expect: [],
  },
  {
    name: 'no draft orders at all: nothing',
    resources: quiet(['dxa']),
    draft: bundle([]),
    expect: [],
  },
];

describe('clinical scenarios: trigger, hooks, estradiol, incomplete data', () => {
  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    expect(topicsOf(evaluateScenario(s))).toEqual([...s.expect].sort());
  });

  test('every card lists the inputs that were not checked', () => {
    const e = evaluateScenario({
      name: 'x',
      patient: MAN,
      resources: quiet(['dxa']),
      notChecked: ['labs', 'familyHistory'],
      expect: [],
    });
    expect(e.recommendations.length).toBeGreaterThan(0);
    for (const r of e.recommendations) expect(r.notChecked).toEqual(['labs', 'familyHistory']);
  });
});
