import type { Observation } from 'fhir/r4.js';
import { defaultPolicy, evaluatePatient, findAiOrders } from '../../src/core/index.js';
import {
  albumin,
  anastrozoleDraft,
  bmd,
  bundle,
  calcium,
  condition,
  CPT,
  egfr,
  estradiol,
  familyHistory,
  height,
  ICD10,
  LOINC,
  medRequest,
  medText,
  NEVER_SMOKED,
  NOW,
  patient,
  quantityObs,
  quiet,
  record,
  rx,
  serviceRequest,
  SMOKER,
  smoking,
  SNOMED,
  tScore,
  vitaminD,
  weight,
} from './support/builders.js';
import type { FhirResource } from 'fhir/r4.js';

function factsOf(
  resources: FhirResource[],
  opts: { sex?: 'male' | 'female'; drafts?: Parameters<typeof evaluatePatient>[0]['draftMedicationRequests'] } = {},
) {
  const aiOrders = findAiOrders(bundle([anastrozoleDraft()]), {});
  return evaluatePatient(
    {
      hook: 'order-sign',
      now: NOW,
      record: record(patient({ sex: opts.sex ?? 'female' }), resources),
      aiOrders,
      ...(opts.drafts && { draftMedicationRequests: opts.drafts }),
    },
    defaultPolicy,
  ).facts;
}

describe('facts with provenance', () => {
  test('age, sex, new start, drugs', () => {
    const f = factsOf([]);
    expect(f).toMatchObject({
      age: 62,
      sex: 'female',
      drugs: ['anastrozole'],
      newStart: true,
      patient: 'Patient/pat-1',
      today: '2025-06-15',
    });
  });

  test('minT: lowest over all sites, with site, side, date, code and resource', () => {
    const a = tScore(-1.2, '2025-01-10', '38267-1', { id: 'spine' });
    const b = tScore(-2.3, '2025-01-10', '80948-3', { id: 'neck-left' });
    const f = factsOf([a, b]);
    expect(f.minT).toEqual({
      value: -2.3,
      date: '2025-01-10',
      site: 'femoral neck',
      laterality: 'left',
      source: {
        reference: 'Observation/neck-left',
        code: { system: LOINC, code: '80948-3', display: 'DXA Femur - left [T-score] Bone density' },
        date: '2025-01-10',
      },
    });
    expect(f.tScores.map((t) => t.value)).toEqual([-2.3, -1.2]);
    expect(f.lastDxa).toMatchObject({ date: '2025-01-10' });
  });

  test('T-scores inside a DXA panel component count, dated by the panel', () => {
    const panel: Observation = {
      resourceType: 'Observation',
      id: 'panel',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '38268-9' }] },
      effectivePeriod: { start: '2025-02-01T09:00:00Z' },
      component: [
        { code: { coding: [{ system: LOINC, code: '38267-1' }] }, valueQuantity: { value: -2.7 } },
        { code: { coding: [{ system: LOINC, code: '38264-8' }] }, valueQuantity: { value: -1.9 } },
      ],
    };
    const f = factsOf([panel]);
    expect(f.minT).toMatchObject({
      value: -2.7,
      site: 'lumbar spine',
      date: '2025-02-01',
      source: { reference: 'Observation/panel' },
    });
  });

  test('an Observation dated only by issued counts; one without any date does not', () => {
    const issued: Observation = {
      resourceType: 'Observation',
      id: 'i',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '38264-8' }] },
      issued: '2025-03-01T10:00:00Z',
      valueQuantity: { value: -1.0 },
    };
    const undated: Observation = {
      resourceType: 'Observation',
      id: 'u',
      status: 'final',
      code: { coding: [{ system: LOINC, code: '38264-8' }] },
      valueQuantity: { value: -3.0 },
    };
    const f = factsOf([issued, undated]);
    expect(f.minT?.value).toBe(-1.0);
  });

  test('the same Observation sent twice is counted once', () => {
    const o = tScore(-2.2, '2025-01-01', '38264-8', { id: 'dup' });
    expect(factsOf([o, structuredClone(o)]).tScores).toHaveLength(1);
  });

  test('BMD loss per site with both values, dates and years', () => {
    const f = factsOf([
      bmd(1.0, '2023-06-15'),
      bmd(0.9, '2025-06-15'),
      bmd(0.8, '2024-06-15', '38261-4'),
      bmd(0.79, '2025-06-01', '38261-4'),
    ]);
    // Unrounded: (1.0 − 0.9) / 1.0 × 100 over 731 days (a leap year: 2.0014 years, 4.9966 %/yr —
    // below 5, which rounding to 0.01 used to turn into 5.00); (0.8 − 0.79) / 0.8 × 100 over 351 days.
    expect(f.bmdLosses.map((l) => l.site)).toEqual(['lumbar spine', 'total hip']);
    expect(f.bmdLosses[0]!.percentPerYear).toBeCloseTo(10 / (731 / 365.25), 9);
    expect(f.bmdLosses[1]!.percentPerYear).toBeCloseTo(1.25 / (351 / 365.25), 9);
    expect(f.bmdLoss).toMatchObject({
      earlier: { value: 1.0, unit: 'g/cm²', date: '2023-06-15' },
      latest: { value: 0.9, date: '2025-06-15' },
    });
    expect(f.bmdLoss!.years).toBeCloseTo(731 / 365.25, 12);
  });

  test('estradiol is normalised to pg/mL and keeps the reported value', () => {
    const f = factsOf([estradiol(55.1, 'pmol/L', '2025-05-01', '14715-7')], { sex: 'male' });
    expect(f.estradiol).toMatchObject({ unit: 'pg/mL', reported: { value: 55.1, unit: 'pmol/L' } });
    // Not rounded before the rules compare it (rounding is for display only).
    expect(f.estradiol!.value).toBeCloseTo(55.1 / 3.671, 12);
  });

  test('a result without a unit is read in the unit its code is reported in', () => {
    const f = factsOf([quantityObs('14715-7', 36.71, undefined, '2025-05-01')], { sex: 'male' });
    expect(f.estradiol).toMatchObject({ unit: 'pg/mL' });
    expect(f.estradiol!.value).toBeCloseTo(10, 9);
  });

  test('calcium is corrected with an albumin close in time', () => {
    const f = factsOf([calcium(8.6, '2025-05-01'), albumin(3.0, '2025-05-03'), albumin(4.5, '2025-01-01')]);
    expect(f.safety.calcium).toMatchObject({
      unit: 'mg/dL',
      corrected: true,
      albumin: { value: 3.0 },
      reported: { value: 8.6 },
    });
    expect(f.safety.calcium!.value).toBeCloseTo(9.4, 9);
    const alone = factsOf(
      [calcium(2.1, '2025-05-01')].map((o) => ({
        ...o,
        valueQuantity: { value: 2.1, unit: 'mmol/L', code: 'mmol/L' },
      })),
    );
    expect(alone.safety.calcium).toMatchObject({ corrected: false });
    expect(alone.safety.calcium!.value).toBeCloseTo(2.1 / 0.2495, 12);
  });

  test('calcium and vitamin D older than the lookback are not used; the latest eGFR is, whatever its age, marked as old', () => {
    const f = factsOf([
      egfr(25, '2024-06-14'),
      vitaminD(10, '2025-06-01'),
      vitaminD(30, '2024-06-14'),
      calcium(7.0, '2024-06-14'),
    ]);
    expect(f.safety.egfr).toMatchObject({ value: 25, date: '2024-06-14', olderThanMonths: 12 });
    expect(f.safety.vitaminD).toMatchObject({ value: 10, unit: 'ng/mL' });
    expect(f.safety.calcium).toBeUndefined();
    const recent = factsOf([egfr(25, '2024-06-15')]);
    expect(recent.safety.egfr).toMatchObject({ value: 25, date: '2024-06-15' });
    expect(recent.safety.egfr).not.toHaveProperty('olderThanMonths');
  });

  test('same-day safety labs: the worst (lowest) result counts, whatever the resource ids', () => {
    for (const [low, high] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const f = factsOf([
        egfr(38, '2025-05-01', '88293-6', { id: high }),
        egfr(33, '2025-05-01', '88294-4', { id: low }),
        vitaminD(25, '2025-05-02', { id: `${high}-vd` }),
        vitaminD(18, '2025-05-02', { id: `${low}-vd` }),
        calcium(9.0, '2025-05-03', { id: `${high}-ca` }),
        calcium(8.2, '2025-05-03', { id: `${low}-ca` }),
      ]);
      expect(f.safety.egfr).toMatchObject({ value: 33, source: { reference: `Observation/${low}` } });
      expect(f.safety.vitaminD).toMatchObject({ value: 18, source: { reference: `Observation/${low}-vd` } });
      expect(f.safety.calcium).toMatchObject({ value: 8.2, source: { reference: `Observation/${low}-ca` } });
    }
  });

  test('same-day safety labs with times: the lowest of the latest day, even when an earlier-timed result', () => {
    const f = factsOf([
      egfr(33, '2025-05-01T08:00:00Z', '98979-8', { id: 'z' }),
      egfr(38, '2025-05-01T16:00:00Z', '98979-8', { id: 'a' }),
    ]);
    expect(f.safety.egfr).toMatchObject({ value: 33, source: { reference: 'Observation/z' } });
    const later = factsOf([
      egfr(33, '2025-04-30', '98979-8', { id: 'a' }),
      egfr(38, '2025-05-01', '98979-8', { id: 'b' }),
    ]);
    expect(later.safety.egfr).toMatchObject({ value: 38 });
  });

  test('results are ordered by full timestamp before the resource id (smoking status the same day)', () => {
    const never = { ...smoking(NEVER_SMOKED, '2025-05-01T09:00:00Z'), id: 'z-first' };
    const smoker = { ...smoking(SMOKER, '2025-05-01T15:30:00Z'), id: 'a-second' };
    expect(factsOf([never, smoker]).smoking).toMatchObject({
      status: 'current',
      source: { reference: 'Observation/a-second' },
    });
    const smokerFirst = { ...smoking(SMOKER, '2025-05-01T09:00:00Z'), id: 'a-first' };
    const neverSecond = { ...smoking(NEVER_SMOKED, '2025-05-01T15:30:00Z'), id: 'z-second' };
    expect(factsOf([smokerFirst, neverSecond]).smoking).toMatchObject({
      status: 'never',
      source: { reference: 'Observation/z-second' },
    });
  });

  test('minT and lastDxa use the minT sites only; a heel scan is kept apart as a peripheral DXA', () => {
    const f = factsOf([
      tScore(-3.1, '2025-03-01', '38266-3', { id: 'heel' }),
      tScore(-1.2, '2024-01-10', '38267-1', { id: 'spine' }),
    ]);
    expect(f.minT).toMatchObject({ value: -1.2, source: { reference: 'Observation/spine' } });
    expect(f.tScores.map((t) => t.value)).toEqual([-1.2]);
    expect(f.lastDxa).toMatchObject({ reference: 'Observation/spine', date: '2024-01-10' });
    expect(f.lastPeripheralDxa).toMatchObject({ reference: 'Observation/heel', date: '2025-03-01' });
  });

  test('a completed peripheral DXA order is a peripheral DXA, not the last DXA', () => {
    const f = factsOf([serviceRequest(CPT, '77081', '2025-01-01')]);
    expect(f.lastDxa).toBeUndefined();
    expect(f.dxaWithinInterval).toBe(false);
    expect(f.lastPeripheralDxa).toMatchObject({ date: '2025-01-01', code: { code: '77081' } });
  });

  test("a Condition without text or display is labelled by the matched code's display", () => {
    const f = factsOf([
      condition(ICD10, 'M87.180'),
      condition(ICD10, 'N18.4'),
      condition(ICD10, 'S72.001A', { onset: '2020-01-01' }),
    ]);
    expect(f.safety.onj).toMatchObject({ label: 'Osteonecrosis due to drugs, jaw' });
    expect(f.safety.ckd45).toMatchObject({ label: 'Chronic kidney disease, stage 4 (severe)' });
    expect(f.fragilityFracture).toMatchObject({ label: 'Fracture of femur (S72.*)' });
    const fmh = factsOf([familyHistory('263225007')]);
    const family = fmh.riskFactors.find((r) => r.id === 'family-hip-fracture');
    expect(family?.finding?.label).toBe('Fracture of proximal end of femur (mother)');
  });

  test('BMI computed from weight and height keeps both sources', () => {
    const f = factsOf([weight(50, '2025-01-01'), height(160, '2024-05-01')]);
    expect(f.bmi).toMatchObject({ unit: 'kg/m²', computedFrom: { weight: { value: 50 }, height: { value: 160 } } });
    expect(f.bmi!.value).toBeCloseTo(19.53125, 9);
    expect(f.riskFactors.find((r) => r.id === 'low-bmi')).toMatchObject({ present: true, assessed: true });
  });

  test('risk factors: each of the seven with its state and evidence', () => {
    const f = factsOf([
      ...quiet(['dxa']),
      tScore(-1.7, '2025-01-01'),
      condition(ICD10, 'Z79.52'),
      condition(SNOMED, '263225007', { onset: '2020-01-01', display: 'Fracture of proximal end of femur' }),
    ]);
    const byId = Object.fromEntries(f.riskFactors.map((r) => [r.id, r]));
    expect(Object.keys(byId)).toEqual([
      'low-t-score',
      'age',
      'low-bmi',
      'family-hip-fracture',
      'fragility-fracture',
      'glucocorticoids',
      'smoking',
    ]);
    expect(byId['low-t-score']).toMatchObject({ present: true, threshold: -1.5, measurement: { value: -1.7 } });
    expect(byId['age']).toMatchObject({ present: false, assessed: true, value: 62 });
    expect(byId['fragility-fracture']).toMatchObject({
      present: true,
      finding: { onset: '2020-01-01', onsetAge: 56, code: { code: '263225007' } },
    });
    expect(byId['glucocorticoids']).toMatchObject({ present: true, finding: { code: { code: 'Z79.52' } } });
    expect(byId['smoking']).toMatchObject({ present: false, assessed: true });
    expect(f.riskFactorCount).toBe(3);
  });

  test('unretrieved inputs make a factor "not assessable", not "absent"', () => {
    const aiOrders = findAiOrders(bundle([anastrozoleDraft()]), {});
    const f = evaluatePatient(
      {
        hook: 'order-sign',
        now: NOW,
        record: record(patient({ birthDate: null }), [], ['familyHistory', 'labs']),
        aiOrders,
      },
      defaultPolicy,
    ).facts;
    const byId = Object.fromEntries(f.riskFactors.map((r) => [r.id, r]));
    expect(byId['age']).toMatchObject({ present: false, assessed: false });
    expect(byId['family-hip-fracture']).toMatchObject({ assessed: false, missing: ['familyHistory'] });
    expect(byId['low-bmi']).toMatchObject({ assessed: false, missing: ['labs'] });
    expect(f.notChecked).toEqual(['labs', 'familyHistory']);
  });

  test('CKD and ONJ are found by code or by name', () => {
    const f = factsOf([
      condition('urn:local', 'X', { text: 'Haemodialysis dependent' }),
      condition(ICD10, 'M87.180', { clinical: 'resolved' }),
    ]);
    expect(f.safety.ckd45).toMatchObject({ matchedBy: 'text' });
    expect(f.safety.onj).toMatchObject({ matchedBy: 'code', code: { code: 'M87.180' } });
  });

  test('established: the active AI order that is not a draft', () => {
    const f = factsOf([
      medRequest(rx('200064', 'letrozole 2.5 MG Oral Tablet'), { id: 'old', authoredOn: '2023-02-01' }),
    ]);
    expect(f.newStart).toBe(false);
    expect(f.establishedOn).toMatchObject({
      reference: 'MedicationRequest/old',
      ingredient: 'letrozole',
      date: '2023-02-01',
      matchedBy: 'code',
    });
    expect(f.drugs).toEqual(['anastrozole']);
  });

  test('other draft orders of the session count for bone agent and supplements', () => {
    const drafts = [
      medRequest(rx('993452'), { status: 'draft' }),
      medRequest(medText('Calcium carbonate 1250 mg'), { status: 'draft' }),
    ];
    const f = factsOf([], { drafts });
    expect(f.onBoneAgent).toMatchObject({ ingredient: 'denosumab', status: 'draft' });
    expect(f.onCalciumOrVitaminD).toMatchObject({ ingredient: 'calcium' });
  });
});
