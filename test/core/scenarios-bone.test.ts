/**
 * Table-driven clinical scenarios (docs/clinical-logic.md): DXA, calcium/vitamin D, bone agent and BMD
 * decline, with every boundary of the rule table. NOW is 2025-06-15.
 */
import type { Medication } from 'fhir/r4.js';
import {
  albumin,
  bmd,
  bmiObs,
  calcium,
  condition,
  CPT,
  egfr,
  EX_SMOKER,
  evaluateScenario,
  familyHistory,
  height,
  ICD10,
  medRequest,
  medStatement,
  medText,
  NEVER_SMOKED,
  patient,
  procedure,
  quantityObs,
  quiet,
  rx,
  serviceRequest,
  SMOKER,
  smoking,
  SNOMED,
  topicsOf,
  tScore,
  vitaminD,
  weight,
  type Scenario,
} from './support/builders.js';

const AGE_66 = patient({ birthDate: '1959-06-15' }); // 66 today
const AGE_65 = patient({ birthDate: '1959-06-16' }); // 66 tomorrow
const AGE_70 = patient({ birthDate: '1955-01-01' });
const onAnastrozole = () =>
  medRequest(rx('199224', 'anastrozole 1 MG Oral Tablet'), { id: 'active-ai', authoredOn: '2024-01-10' });
/** One Hadji risk factor (T < −1.5) with a recent DXA, so a second factor tips the bone-agent rule. */
const withT = (t: number) => [...quiet(['dxa']), tScore(t, '2025-01-15')];

const scenarios: Scenario[] = [
  // ---------------------------------------------------------------- DXA recency (24 months, inclusive)
  { name: 'quiet patient: no card', resources: quiet(), expect: [] },
  {
    name: 'new start, no DXA at all → baseline-dxa warning',
    resources: quiet(['dxa']),
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'DXA exactly 24 months ago counts as recent',
    resources: [...quiet(['dxa']), tScore(-1.0, '2023-06-15')],
    expect: [],
  },
  {
    name: 'DXA 24 months and a day ago → baseline-dxa',
    resources: [...quiet(['dxa']), tScore(-1.0, '2023-06-14')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'established on an AI, no DXA → dxa-follow-up info',
    resources: [...quiet(['dxa']), onAnastrozole()],
    expect: ['dxa-follow-up:info'],
  },
  { name: 'established on an AI with recent DXA: no card', resources: [...quiet(), onAnastrozole()], expect: [] },
  {
    name: 'a stopped AI order does not make the patient established',
    resources: [...quiet(['dxa']), medRequest(rx('199224'), { status: 'stopped', authoredOn: '2022-01-01' })],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'the draft itself returned as active by the server is not "established" (re-sign)',
    resources: [...quiet(['dxa']), medRequest(rx('199224'), { id: 'draft-1', status: 'active' })],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'completed DXA Procedure (SNOMED 312681000) within 24 months dates the last DXA',
    resources: [...quiet(['dxa']), procedure(SNOMED, '312681000', '2024-02-01')],
    expect: [],
  },
  {
    name: 'DXA Procedure not completed does not count',
    resources: [...quiet(['dxa']), procedure(SNOMED, '312681000', '2024-02-01', 'not-done')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'completed DXA ServiceRequest (CPT 77080) counts',
    resources: [...quiet(['dxa']), serviceRequest(CPT, '77080', '2024-11-01')],
    expect: [],
  },
  {
    name: 'active (not completed) DXA ServiceRequest does not count',
    resources: [...quiet(['dxa']), serviceRequest(CPT, '77080', '2025-07-01', 'active')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'a Z-score alone dates a DXA',
    resources: [...quiet(['dxa']), quantityObs('80933-5', -0.5, '{Z-score}', '2025-02-01')],
    expect: [],
  },
  {
    name: 'preliminary DXA Observation does not count',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-02-01', '38264-8', { status: 'preliminary' })],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'amended DXA Observation counts',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-02-01', '38264-8', { status: 'amended' })],
    expect: [],
  },
  {
    name: 'entered-in-error T-score −3.0 is ignored',
    resources: [...quiet(), tScore(-3.0, '2025-02-01', '38264-8', { status: 'entered-in-error' })],
    expect: [],
  },
  {
    name: 'BMD-only DXA (lumbar spine g/cm²) dates a DXA',
    resources: [...quiet(['dxa']), bmd(0.95, '2025-01-01')],
    expect: [],
  },
  // An axial DXA is what baseline-dxa asks for (evidence §5b R1: "no T-score and no 77080/77085"):
  // peripheral, heel and VFA-only studies do not replace it.
  {
    name: 'completed peripheral DXA order (CPT 77081) does not replace an axial DXA → baseline-dxa',
    resources: [...quiet(['dxa']), serviceRequest(CPT, '77081', '2025-01-01')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'vertebral fracture assessment alone (CPT 77086 Procedure) → baseline-dxa',
    resources: [...quiet(['dxa']), procedure(CPT, '77086', '2025-01-01')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'axial DXA with VFA (CPT 77085 Procedure) counts',
    resources: [...quiet(['dxa']), procedure(CPT, '77085', '2025-01-01')],
    expect: [],
  },
  {
    name: 'heel T-score alone (LOINC 38266-3) → baseline-dxa',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-01-01', '38266-3')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'heel BMD alone (LOINC 38262-2) → baseline-dxa',
    resources: [...quiet(['dxa']), bmd(0.5, '2025-01-01', '38262-2')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'peripheral DXA panel Observation (LOINC 83013-3) → baseline-dxa',
    resources: [...quiet(['dxa']), quantityObs('83013-3', 1, undefined, '2025-01-01')],
    expect: ['baseline-dxa:warning'],
  },
  {
    name: 'axial DXA panel Observation (LOINC 83012-5) dates a DXA',
    resources: [...quiet(['dxa']), quantityObs('83012-5', 1, undefined, '2025-01-01')],
    expect: [],
  },
  {
    name: 'radius T-score (LOINC 38265-5, a minT site) dates a DXA',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-01-01', '38265-5')],
    expect: [],
  },
  // ---------------------------------------------------------------- calcium + vitamin D
  {
    name: 'not on calcium/vitamin D → calcium-vitamin-d info',
    resources: quiet(['calcium']),
    expect: ['calcium-vitamin-d:info'],
  },
  {
    name: 'active calcium order recognised by text',
    resources: [...quiet(['calcium']), medRequest(medText('Calcium citrate 950 mg tablet'))],
    expect: [],
  },
  {
    name: 'active cholecalciferol statement recognised by coding display',
    resources: [
      ...quiet(['calcium']),
      medStatement({
        medicationCodeableConcept: {
          coding: [{ system: 'urn:local', code: 'X1', display: 'Cholecalciferol 1000 UNT Oral Capsule' }],
        },
      }),
    ],
    expect: [],
  },
  {
    name: 'stopped calcium order does not count',
    resources: [...quiet(['calcium']), medRequest(medText('Calcium carbonate 500 mg'), { status: 'stopped' })],
    expect: ['calcium-vitamin-d:info'],
  },
  {
    name: '"atorvastatin calcium" is not a calcium supplement',
    resources: [...quiet(['calcium']), medRequest(medText('Atorvastatin calcium 20 MG Oral Tablet'))],
    expect: ['calcium-vitamin-d:info'],
  },
  {
    name: 'ergocalciferol via a contained Medication ingredient',
    resources: [
      ...quiet(['calcium']),
      medRequest({
        contained: [
          {
            resourceType: 'Medication',
            id: 'm1',
            ingredient: [{ itemCodeableConcept: { text: 'Ergocalciferol 50000 unit' } }],
          } as Medication,
        ],
        medicationReference: { reference: '#m1' },
      }),
    ],
    expect: [],
  },
  // ---------------------------------------------------------------- bone agent: T-score boundaries
  { name: 'T −2.0 exactly, one risk factor: no bone agent', resources: withT(-2.0), expect: [] },
  { name: 'T −2.01 → bone-agent warning', resources: withT(-2.01), expect: ['bone-agent:warning'] },
  { name: 'T −2.49 → warning', resources: withT(-2.49), expect: ['bone-agent:warning'] },
  { name: 'T −2.5 exactly → critical', resources: withT(-2.5), expect: ['bone-agent:critical'] },
  {
    name: 'lowest T over all sites and sides: left femoral neck −2.6 beats spine −1.0',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-01-15', '38267-1'), tScore(-2.6, '2025-01-15', '80948-3')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'a heel T-score −3.0 is not a minT site: hip −1.0 the same day decides, no bone agent',
    resources: [...quiet(['dxa']), tScore(-1.0, '2025-01-15', '38264-8'), tScore(-3.0, '2025-01-15', '38266-3')],
    expect: [],
  },
  {
    name: 'T-score outside 24 months does not count (and DXA is due)',
    resources: [...quiet(['dxa']), tScore(-3.0, '2023-01-01')],
    expect: ['baseline-dxa:warning'],
  },
  // ---------------------------------------------------------------- risk factors (≥ 2)
  { name: 'T −1.5 exactly + age 66: one factor only', patient: AGE_66, resources: withT(-1.5), expect: [] },
  {
    name: 'T −1.51 + age 66 → two factors → warning',
    patient: AGE_66,
    resources: withT(-1.51),
    expect: ['bone-agent:warning'],
  },
  { name: 'age 65 (66 tomorrow) + T −1.6: one factor', patient: AGE_65, resources: withT(-1.6), expect: [] },
  { name: 'age 66 today + T −1.6 → warning', patient: AGE_66, resources: withT(-1.6), expect: ['bone-agent:warning'] },
  {
    name: 'BMI 20 exactly is not low',
    resources: [...quiet(['dxa', 'bmi']), tScore(-1.6, '2025-01-15'), bmiObs(20, '2025-03-01')],
    expect: [],
  },
  {
    name: 'BMI 19.9 → second factor',
    resources: [...quiet(['dxa', 'bmi']), tScore(-1.6, '2025-01-15'), bmiObs(19.9, '2025-03-01')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'BMI computed from weight/height: 57.8 kg, 170 cm = 20.0, not low',
    resources: [
      ...quiet(['dxa', 'bmi']),
      tScore(-1.6, '2025-01-15'),
      weight(57.8, '2025-03-01'),
      height(170, '2024-03-01'),
    ],
    expect: [],
  },
  {
    name: 'BMI computed: 57 kg, 170 cm = 19.72 → low',
    resources: [
      ...quiet(['dxa', 'bmi']),
      tScore(-1.6, '2025-01-15'),
      weight(57, '2025-03-01'),
      height(170, '2024-03-01'),
    ],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'a low BMI older than 24 months is not used',
    resources: [...quiet(['dxa', 'bmi']), tScore(-1.6, '2025-01-15'), bmiObs(18, '2023-06-01')],
    expect: [],
  },
  {
    name: 'current smoker → second factor',
    resources: [...quiet(['dxa', 'smoking']), tScore(-1.6, '2025-01-15'), smoking(SMOKER, '2025-02-01')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'ex-smoker → second factor',
    resources: [...quiet(['dxa', 'smoking']), tScore(-1.6, '2025-01-15'), smoking(EX_SMOKER, '2025-02-01')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'the latest smoking answer wins (smoker in 2020, never-smoked answer in 2025)',
    resources: [
      ...quiet(['dxa', 'smoking']),
      tScore(-1.6, '2025-01-15'),
      smoking(SMOKER, '2020-01-01'),
      smoking(NEVER_SMOKED, '2025-02-01'),
    ],
    expect: [],
  },
  {
    name: 'parental hip fracture Condition → second factor',
    resources: [...withT(-1.6), condition(SNOMED, '445501000124107')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'FamilyMemberHistory with a hip fracture → second factor',
    resources: [...withT(-1.6), familyHistory('263225007')],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'FamilyMemberHistory entered in error does not count',
    resources: [...withT(-1.6), familyHistory('263225007', { status: 'entered-in-error' })],
    expect: [],
  },
  {
    name: 'hip fracture at 55 (S72.001A) → second factor, and critical',
    resources: [...withT(-1.6), condition(ICD10, 'S72.001A', { onset: '2018-05-01' })],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'fracture with onset at 45 is not a fragility fracture',
    resources: [...withT(-1.6), condition(ICD10, 'M80.08XA', { onset: '2008-05-01' })],
    expect: [],
  },
  {
    name: 'Z87.310 without onset counts (unknown onset counts)',
    resources: [...withT(-1.6), condition(ICD10, 'Z87.310', { clinical: 'none' })],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'resolved fracture still counts (whatever its clinicalStatus)',
    resources: [...withT(-1.6), condition(SNOMED, '263225007', { onset: '2020-01-01', clinical: 'resolved' })],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'refuted fracture never counts',
    resources: [...withT(-1.6), condition(SNOMED, '263225007', { onset: '2020-01-01', verification: 'refuted' })],
    expect: [],
  },
  {
    name: 'prednisone ordered exactly 6 months ago: not more than 6 months',
    resources: [...withT(-1.6), medRequest(rx('312617'), { authoredOn: '2024-12-15' })],
    expect: [],
  },
  {
    name: 'prednisone ordered 6 months and a day ago → second factor',
    resources: [...withT(-1.6), medRequest(rx('312617'), { authoredOn: '2024-12-14' })],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'oral prednisolone recognised by name',
    resources: [...withT(-1.6), medRequest(medText('Prednisolone 5 mg tablet'), { authoredOn: '2023-01-01' })],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'hydrocortisone cream is not an oral glucocorticoid',
    resources: [...withT(-1.6), medRequest(medText('Hydrocortisone 1 % cream'), { authoredOn: '2023-01-01' })],
    expect: [],
  },
  {
    name: 'methylprednisolone by route "Intravenous", sig "post-op": not oral ("post" is not the word "po")',
    resources: [
      ...withT(-1.6),
      medRequest(medText('Methylprednisolone 40 mg'), {
        authoredOn: '2023-01-01',
        route: 'Intravenous',
        sig: 'post-op',
      }),
    ],
    expect: [],
  },
  {
    name: 'prednisolone by route "IV", sig "with potassium": not oral',
    resources: [
      ...withT(-1.6),
      medRequest(medText('Prednisolone sodium phosphate'), {
        authoredOn: '2023-01-01',
        route: 'IV',
        sig: 'with potassium',
      }),
    ],
    expect: [],
  },
  {
    name: 'prednisone "1 tab PO daily" is oral (whole word "po")',
    resources: [
      ...withT(-1.6),
      medRequest(medText('Prednisone 5 mg'), { authoredOn: '2023-01-01', sig: '1 tab PO daily' }),
    ],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'prednisone by route "Oral route" is oral even though its sig says "post-op"',
    resources: [
      ...withT(-1.6),
      medRequest(medText('Prednisone 5 mg'), { authoredOn: '2023-01-01', route: 'Oral route', sig: 'post-op taper' }),
    ],
    expect: ['bone-agent:warning'],
  },
  {
    name: 'Z79.52 long-term systemic steroids → second factor',
    resources: [...withT(-1.6), condition(ICD10, 'Z79.52')],
    expect: ['bone-agent:warning'],
  },
  {
    name: '70-year-old smoker, no DXA, no supplements → three cards (the rule set example)',
    patient: AGE_70,
    resources: [bmiObs(24, '2025-01-01'), smoking(SMOKER, '2025-01-01')],
    expect: ['baseline-dxa:warning', 'bone-agent:warning', 'calcium-vitamin-d:info'],
  },
  // ---------------------------------------------------------------- already on a bone agent
  {
    name: 'on alendronate (RxNorm 904419): no bone-agent card at T −2.6',
    resources: [...withT(-2.6), medRequest(rx('904419', 'Alendronic acid 10 MG Oral Tablet'))],
    expect: [],
  },
  {
    name: 'denosumab statement recognised by name (Prolia)',
    resources: [...withT(-2.6), medStatement(medText('Prolia 60 mg/mL syringe'))],
    expect: [],
  },
  {
    name: 'an unverified ingredient code alone (46041, no text) does not mark a bone agent',
    resources: [...withT(-2.6), medRequest(rx('46041'))],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'the same code with its display is recognised by name',
    resources: [...withT(-2.6), medRequest(rx('46041', 'alendronate'))],
    expect: [],
  },
  // ---------------------------------------------------------------- BMD decline (≥ 5 %/yr, ≥ 9 months apart)
  {
    name: '20 % over exactly 4 years = 5 %/yr → bmd-decline',
    resources: [...quiet(), bmd(1.0, '2021-06-15'), bmd(0.8, '2025-06-15')],
    expect: ['bmd-decline:warning'],
  },
  {
    name: '19.9 % over 4 years = 4.98 %/yr: no card',
    resources: [...quiet(), bmd(1.0, '2021-06-15'), bmd(0.801, '2025-06-15')],
    expect: [],
  },
  {
    name: '19.984 % over 4 years = 4.996 %/yr: no card (compared unrounded, not as 5.00)',
    resources: [...quiet(), bmd(1.0, '2021-06-15'), bmd(0.80016, '2025-06-15')],
    expect: [],
  },
  {
    name: 'heel BMD falling 10 %/yr: the calcaneus is not a BMD-loss site',
    resources: [...quiet(), bmd(1.0, '2023-06-15', '38262-2'), bmd(0.8, '2025-06-15', '38262-2')],
    expect: [],
  },
  {
    name: 'exactly 9 months apart is enough',
    resources: [...quiet(), bmd(1.0, '2024-09-15'), bmd(0.95, '2025-06-15')],
    expect: ['bmd-decline:warning'],
  },
  {
    name: '9 months less a day apart is not compared',
    resources: [...quiet(), bmd(1.0, '2024-09-16'), bmd(0.95, '2025-06-15')],
    expect: [],
  },
  {
    name: 'the most recent earlier value at least 9 months back is used (not the oldest)',
    resources: [...quiet(), bmd(1.2, '2015-01-01'), bmd(0.96, '2024-06-01'), bmd(0.95, '2025-06-01')],
    expect: [],
  },
  {
    name: 'different sites are not compared with each other',
    resources: [...quiet(), bmd(1.0, '2023-06-01', '38261-4'), bmd(0.8, '2025-06-01', '24966-4')],
    expect: [],
  },
  // ---------------------------------------------------------------- safety adjustments keep the topic
  {
    name: 'eGFR 30 and T −2.6: still critical bone-agent',
    resources: [...withT(-2.6), egfr(30, '2025-05-01')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'an eGFR of 20 from 13 months ago still counts: critical bone-agent kept',
    resources: [...withT(-2.6), egfr(20, '2024-05-15')],
    expect: ['bone-agent:critical'],
  },
  {
    name: 'low calcium and vitamin D do not change the indicator',
    resources: [...withT(-2.2), calcium(8.0, '2025-05-01'), albumin(4.0, '2025-05-01'), vitaminD(12, '2025-05-01')],
    expect: ['bone-agent:warning'],
  },
];

describe('clinical scenarios: DXA, calcium/vitamin D, bone agent, BMD decline', () => {
  test.each(scenarios.map((s) => [s.name, s] as const))('%s', (_name, s) => {
    expect(topicsOf(evaluateScenario(s))).toEqual([...s.expect].sort());
  });
});
