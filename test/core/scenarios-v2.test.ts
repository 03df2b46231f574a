/**
 * Table-driven scenarios of rule set version 2 (docs/clinical-logic.md): values as EHRs send
 * them, the whole eGFR family, the US Core smoking answers, recent long-acting bone-agent doses,
 * renewals, men treated for breast cancer, order-select at most info. NOW is 2025-06-15.
 */
import type { FhirResource, MedicationAdministration, Observation } from 'fhir/r4.js';
import {
  anastrozoleDraft,
  bundle,
  condition,
  evaluateScenario,
  ICD10,
  LOINC,
  medRequest,
  medStatement,
  medText,
  nextId,
  patient,
  quantityObs,
  quiet,
  rx,
  smoking,
  SNOMED,
  topicsOf,
  tScore,
  type Scenario,
} from './support/builders.js';

const AGE_70 = patient({ birthDate: '1955-01-01' });
const MAN = patient({ sex: 'male' });

/** An Observation whose value is given by the caller (valueString, component, period …). */
function obs(code: string, fields: Partial<Observation>, status: Observation['status'] = 'final'): Observation {
  return {
    resourceType: 'Observation',
    id: nextId('obs'),
    status,
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: '2025-01-15',
    ...fields,
  };
}
const tString = (text: string) => obs('38264-8', { valueString: text });
const egfrAs = (code: string, value: number, unit = 'mL/min/{1.73_m2}') => quantityObs(code, value, unit, '2025-05-01');
const withT26 = (): FhirResource[] => [...quiet(['dxa']), tScore(-2.6, '2025-01-15')];

const DENOSUMAB = rx('993452', '1 ML denosumab 60 MG/ML Prefilled Syringe');
const ZOLEDRONIC = rx('1114085', '100 ML zoledronic acid 0.04 MG/ML Injection');

function given(
  med: typeof DENOSUMAB,
  date: string,
  status: MedicationAdministration['status'] = 'completed',
): MedicationAdministration {
  return {
    resourceType: 'MedicationAdministration',
    id: nextId('ma'),
    status,
    subject: { reference: 'Patient/pat-1' },
    effectiveDateTime: date,
    ...med,
  };
}

const activeAiDraft = () => anastrozoleDraft({ status: 'active' });

const scenarios: Scenario[] = [
  // ---------------------------------------------------------------- reading values
  {
    name: 'T-score as valueString "-2.6" → critical bone-agent, DXA done',
    resources: [...quiet(['dxa']), tString('-2.6')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'T-score with a Unicode minus "−2.6"',
    resources: [...quiet(['dxa']), tString('\u22122.6')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'T-score text "−2.1 SD" (unit after the number)',
    resources: [...quiet(['dxa']), tString('\u22122.1 SD')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'T-score text not a number: DXA dated, no T-score, no card',
    resources: [...quiet(['dxa']), tString('see report')],
    expect: [],
  },
  {
    name: 'preliminary T-score does not count → baseline-dxa',
    resources: [...quiet(['dxa']), tScore(-2.6, '2025-01-15', '38264-8', { status: 'preliminary' })],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'T-score in a DXA panel component',
    resources: [
      ...quiet(['dxa']),
      obs('38268-9', {
        component: [{ code: { coding: [{ system: LOINC, code: '38264-8' }] }, valueQuantity: { value: -2.7 } }],
      }),
    ],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'T-score dated by effectivePeriod',
    resources: [
      ...quiet(['dxa']),
      obs('38264-8', {
        effectiveDateTime: undefined,
        effectivePeriod: { start: '2025-01-15' },
        valueQuantity: { value: -2.6 },
      }),
    ],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'T-score dated by effectiveInstant',
    resources: [
      ...quiet(['dxa']),
      obs('38264-8', {
        effectiveDateTime: undefined,
        effectiveInstant: '2025-01-15T10:00:00Z',
        valueQuantity: { value: -2.6 },
      }),
    ],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'T-score with a partial date (2024-02) is within 24 months',
    resources: [...quiet(['dxa']), obs('38264-8', { effectiveDateTime: '2024-02', valueString: '-2.2' })],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'estradiol "< 5 pg/mL" as text in a man → critical estradiol-low',
    patient: MAN,
    resources: [...quiet(), obs('2243-4', { effectiveDateTime: '2025-05-01', valueString: '< 5 pg/mL' })],
    expect: ['estradiol-low:critical'],
  },
  {
    name: 'estradiol "55" pmol/L (14715-7, unit from the code) = 15 pg/mL → warning',
    patient: MAN,
    resources: [...quiet(), obs('14715-7', { effectiveDateTime: '2025-05-01', valueString: '55' })],
    expect: ['estradiol-low:warning'],
  },
  {
    name: 'estradiol in an unknown unit is not read: estradiol-check',
    patient: MAN,
    resources: [...quiet(), quantityObs('2243-4', 5, 'mmol/mol', '2025-05-01')],
    expect: ['estradiol-check:info'],
  },
  // ---------------------------------------------------------------- the eGFR family (omits
  // zoledronic acid and alendronate)
  ...(['98980-6', '50210-4', '69405-9', '76633-7', '77147-7', '48642-3'] as const).map((code): Scenario => ({
    name: `eGFR 30 under ${code} omits zoledronic acid and alendronate`,
    resources: [...withT26(), egfrAs(code, 30)],
    expect: ['bone-agent:critical'],
  })),
  // ---------------------------------------------------------------- US Core smoking answers
  // (age 70 + smoker = 2 factors)
  ...(
    [
      ['428041000124106', 'Occasional tobacco smoker', ['bone-agent:warning']],
      ['428061000124105', 'Light tobacco smoker', ['bone-agent:warning']],
      ['428071000124103', 'Heavy tobacco smoker', ['bone-agent:warning']],
      ['449868002', 'Smokes tobacco daily', ['bone-agent:warning']],
      ['8517006', 'Ex-smoker', ['bone-agent:warning']],
      ['266919005', 'Never smoked tobacco', []],
      ['266927001', 'Tobacco smoking consumption unknown', []],
      ['999999001', 'Occasional pipe smoker', []],
    ] as const
  ).map(([code, display, expected]): Scenario => ({
    name: `smoking answer ${code} (${display}) at age 70 → ${expected.join(', ') || 'no card'}`,
    patient: AGE_70,
    resources: [...quiet(['smoking']), smoking({ code, display }, '2025-01-10')],
    expect: [...expected],
  })),
  // ---------------------------------------------------------------- recent long-acting bone agents
  {
    name: 'denosumab given 5 months ago: on a bone agent',
    resources: [...withT26(), given(DENOSUMAB, '2025-01-15')],
    expect: [],
  },
  {
    name: 'denosumab given 8 months ago: bone-agent',
    resources: [...withT26(), given(DENOSUMAB, '2024-10-10')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'denosumab order completed 5 months ago: on a bone agent',
    resources: [...withT26(), medRequest(DENOSUMAB, { status: 'completed', authoredOn: '2025-01-15' })],
    expect: [],
  },
  {
    name: 'denosumab order entered in error: bone-agent',
    resources: [...withT26(), medRequest(DENOSUMAB, { status: 'entered-in-error', authoredOn: '2025-01-15' })],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'denosumab administration not done: bone-agent',
    resources: [...withT26(), given(DENOSUMAB, '2025-01-15', 'not-done')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'zoledronic acid given 12 months ago: on a bone agent',
    resources: [...withT26(), given(ZOLEDRONIC, '2024-06-20')],
    expect: [],
  },
  {
    name: 'zoledronic acid given 14 months ago: bone-agent',
    resources: [...withT26(), given(ZOLEDRONIC, '2024-04-10')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'alendronate order completed last month is not long-acting: bone-agent',
    resources: [
      ...withT26(),
      medRequest(rx('904419', 'alendronic acid 10 MG Oral Tablet'), { status: 'completed', authoredOn: '2025-05-15' }),
    ],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'denosumab statement completed 3 months ago: on a bone agent',
    resources: [...withT26(), medStatement(medText('Prolia 60 mg'), { status: 'completed', effective: '2025-03-10' })],
    expect: [],
  },
  // ---------------------------------------------------------------- renewals (established therapy)
  {
    name: 're-signed active order, same id, authored 2023: established → dxa-follow-up',
    resources: [
      ...quiet(['dxa']),
      medRequest(rx('199224', 'anastrozole 1 MG Oral Tablet'), { id: 'draft-1', authoredOn: '2023-06-01' }),
    ],
    draft: bundle([activeAiDraft()]),
    expect: ['dxa-follow-up:info'],
  },
  {
    name: 'same id authored today: a new start → baseline-dxa',
    resources: [
      ...quiet(['dxa']),
      medRequest(rx('199224', 'anastrozole 1 MG Oral Tablet'), { id: 'draft-1', authoredOn: '2025-06-15' }),
    ],
    draft: bundle([activeAiDraft()]),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'draft with priorPrescription to a completed AI order: renewal',
    resources: [
      ...quiet(['dxa']),
      medRequest(rx('199224', 'anastrozole 1 MG Oral Tablet'), {
        id: 'old-ai',
        status: 'completed',
        authoredOn: '2023-06-01',
      }),
    ],
    draft: bundle([{ ...anastrozoleDraft(), priorPrescription: { reference: 'MedicationRequest/old-ai' } }]),
    expect: ['dxa-follow-up:info'],
  },
  {
    name: 'draft basedOn an order the record does not hold: renewal',
    resources: quiet(['dxa']),
    draft: bundle([{ ...anastrozoleDraft(), basedOn: [{ reference: 'MedicationRequest/elsewhere' }] }]),
    expect: ['dxa-follow-up:info'],
  },
  {
    name: 'active AI MedicationStatement since 2023: renewal',
    resources: [
      ...quiet(['dxa']),
      medStatement(rx('199224', 'anastrozole 1 MG Oral Tablet'), { effective: '2023-01-10' }),
    ],
    expect: ['dxa-follow-up:info'],
  },
  // ---------------------------------------------------------------- men treated for breast
  // cancer get no estradiol card
  {
    name: 'man, no estradiol, C50.921 → no estradiol card',
    patient: MAN,
    resources: [...quiet(), condition(ICD10, 'C50.921')],
    expect: [],
  },
  {
    name: 'man, estradiol 8 pg/mL, SNOMED 254837009 → no estradiol-low',
    patient: MAN,
    resources: [...quiet(), quantityObs('2243-4', 8, 'pg/mL', '2025-05-01'), condition(SNOMED, '254837009')],
    expect: [],
  },
  {
    name: 'man, breast cancer resolved still counts',
    patient: MAN,
    resources: [...quiet(), condition(ICD10, 'C50.929', { clinical: 'resolved' })],
    expect: [],
  },
  {
    name: 'man, breast cancer recorded by name only',
    patient: MAN,
    resources: [...quiet(), condition('urn:local', 'x1', { text: 'Breast cancer, male' })],
    expect: [],
  },
  {
    name: 'man, breast-cancer Condition entered in error → estradiol-check',
    patient: MAN,
    resources: [...quiet(), condition(ICD10, 'C50.921', { verification: 'entered-in-error' })],
    expect: ['estradiol-check:info'],
  },
  {
    name: 'man on testosterone, no cancer → estradiol-check',
    patient: MAN,
    resources: [...quiet(), medStatement(medText('Testosterone cypionate 200 mg/mL'))],
    expect: ['estradiol-check:info'],
  },
  // ---------------------------------------------------------------- order-select is at most info
  {
    name: 'order-select, T −2.6: bone-agent at info',
    hook: 'order-select',
    selections: ['MedicationRequest/draft-1'],
    resources: withT26(),
    expect: ['bone-agent:info'],
  },
];

describe('clinical scenarios of rule set v2', () => {
  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    expect(topicsOf(evaluateScenario(s))).toEqual([...s.expect].sort());
  });

  test('the renal omission holds under every eGFR code of the family', () => {
    for (const code of ['98980-6', '50210-4', '77147-7']) {
      const e = evaluateScenario({ name: code, resources: [...withT26(), egfrAs(code, 30)], expect: [] });
      const rec = e.recommendations.find((r) => r.topic === 'bone-agent')!;
      expect(rec.suggestions.map((s) => s.key)).toEqual(['denosumab']);
      expect(e.facts.safety.egfr).toMatchObject({ value: 30, source: { code: { code } } });
    }
  });

  test('a censored result keeps its comparator', () => {
    const e = evaluateScenario({
      name: 'e2',
      patient: MAN,
      resources: [...quiet(), obs('2243-4', { effectiveDateTime: '2025-05-01', valueString: '<5 pg/mL' })],
      expect: [],
    });
    expect(e.facts.estradiol).toMatchObject({ value: 5, comparator: '<', unit: 'pg/mL' });
  });

  test('ignored records are named on the card that would have used them', () => {
    const prelim = evaluateScenario({
      name: 'prelim',
      resources: [...quiet(['dxa']), tScore(-2.6, '2025-01-15', '38264-8', { status: 'preliminary', id: 'prelim-t' })],
      expect: [],
    });
    expect(prelim.recommendations.find((r) => r.topic === 'baseline-dxa')!.ignored).toEqual([
      expect.objectContaining({
        kind: 'dxa',
        reason: 'status',
        detail: 'preliminary',
        reference: 'Observation/prelim-t',
      }),
    ]);
    const badUnit = evaluateScenario({
      name: 'unit',
      resources: [...withT26(), egfrAs('98979-8', 30, 'mmol/L')],
      expect: [],
    });
    const bone = badUnit.recommendations.find((r) => r.topic === 'bone-agent')!;
    expect(bone.ignored).toEqual([expect.objectContaining({ kind: 'egfr', reason: 'unit', detail: 'mmol/L' })]);
    expect(bone.cautions?.map((c) => c.code)).toContain('egfr-unknown');
    const stopped = evaluateScenario({
      name: 'stopped calcium',
      resources: [
        ...quiet(['calcium']),
        medRequest(medText('Calcium carbonate 600 mg'), { status: 'stopped', authoredOn: '2024-01-01' }),
      ],
      expect: [],
    });
    expect(stopped.recommendations.find((r) => r.topic === 'calcium-vitamin-d')!.ignored).toEqual([
      expect.objectContaining({ kind: 'calcium-vitamin-d', reason: 'status', detail: 'stopped' }),
    ]);
  });

  test('an unreadable smoking answer is not assessed, never absent', () => {
    const e = evaluateScenario({
      name: 'smk',
      patient: AGE_70,
      resources: [
        ...quiet(['smoking']),
        smoking({ code: '999999001', display: 'Occasional pipe smoker' }, '2025-01-10'),
      ],
      expect: [],
    });
    expect(e.facts.riskFactors.find((f) => f.id === 'smoking')).toMatchObject({
      present: false,
      assessed: false,
      smoking: { status: 'unreadable' },
    });
  });

  test('a recent denosumab dose names the administration it came from', () => {
    const e = evaluateScenario({ name: 'dmab', resources: [...withT26(), given(DENOSUMAB, '2025-01-15')], expect: [] });
    expect(e.facts.onBoneAgent).toMatchObject({
      resourceType: 'MedicationAdministration',
      ingredient: 'denosumab',
      date: '2025-01-15',
      recentDoseMonths: 7,
    });
  });
});
