import {
  evaluateScenario,
  condition,
  egfr,
  calcium,
  albumin,
  vitaminD,
  ICD10,
  quiet,
  tScore,
  patient,
  estradiol,
  medRequest,
  rx,
  type Scenario,
} from './support/builders.js';
import type { MedicationRequest } from 'fhir/r4.js';
import { parsePolicy } from '../../src/core/index.js';

const base = (extra: Scenario['resources'], policy?: Scenario['policy']): Scenario => ({
  name: 'x',
  resources: [...quiet(['dxa']), tScore(-2.7, '2025-01-15'), ...extra],
  expect: [],
  ...(policy && { policy }),
});
const boneCard = (s: Scenario) => evaluateScenario(s).recommendations.find((r) => r.topic === 'bone-agent')!;

describe('bone-agent rule details', () => {
  test('three options, at most one, none marked recommended, with the reasons', () => {
    const r = boneCard(base([egfr(60, '2025-05-01')]));
    expect(r.suggestions.map((s) => s.key)).toEqual(['denosumab', 'zoledronic-acid', 'alendronate']);
    expect(r.suggestions.every((s) => s.isRecommended === undefined)).toBe(true);
    expect(r.selectionBehavior).toBe('at-most-one');
    expect(r.reasons.map((x) => x.code)).toEqual(['t-score-below-threshold', 't-score-at-or-below-critical']);
    expect(r.riskFactors).toHaveLength(7);
  });

  test('eGFR below 35 leaves denosumab alone, recommended, and says why', () => {
    const r = boneCard(base([egfr(34.9, '2025-05-01')]));
    expect(r.suggestions.map((s) => [s.key, s.isRecommended])).toEqual([['denosumab', true]]);
    expect(r.omittedAgents).toEqual([
      { agent: 'zoledronic-acid', because: 'egfr-below', threshold: 35 },
      { agent: 'alendronate', because: 'egfr-below', threshold: 35 },
    ]);
    expect(r.cautions?.map((c) => c.code)).toContain('renal-omission');
  });

  test('eGFR exactly 35 keeps all options', () => {
    expect(boneCard(base([egfr(35, '2025-05-01')])).suggestions).toHaveLength(3);
  });

  test('two eGFRs the same day (CKD-EPI 38 and 33): zoledronic acid and alendronate omitted whatever the ids', () => {
    for (const [low, high] of [
      ['a', 'b'],
      ['b', 'a'],
    ] as const) {
      const r = boneCard(
        base([egfr(38, '2025-05-01', '88293-6', { id: high }), egfr(33, '2025-05-01', '88294-4', { id: low })]),
      );
      expect(r.suggestions.map((s) => s.key)).toEqual(['denosumab']);
      expect(r.cautions?.find((c) => c.code === 'renal-omission')?.measurement).toMatchObject({
        value: 33,
        source: { reference: `Observation/${low}` },
      });
    }
  });

  test('an eGFR of 20 from 13 months ago still omits zoledronic acid and alendronate, marked as older than 12 months', () => {
    const r = boneCard(base([egfr(20, '2024-05-15')]));
    expect(r.suggestions.map((s) => s.key)).toEqual(['denosumab']);
    expect(r.omittedAgents?.map((o) => o.because)).toEqual(['egfr-below', 'egfr-below']);
    const c = r.cautions?.find((x) => x.code === 'renal-omission');
    expect(c?.measurement).toMatchObject({ value: 20, date: '2024-05-15', olderThanMonths: 12 });
    expect(r.facts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fact: 'egfr', measurement: expect.objectContaining({ value: 20 }) }),
      ]),
    );
  });

  test('a normal eGFR older than 12 months keeps all options and asks for a recheck', () => {
    const r = boneCard(base([egfr(70, '2023-01-01')]));
    expect(r.suggestions).toHaveLength(3);
    expect(r.cautions?.map((c) => c.code)).toContain('egfr-old');
    expect(r.cautions?.map((c) => c.code)).not.toContain('egfr-unknown');
  });

  test('CKD stage 4–5 on the problem list omits the same options', () => {
    const r = boneCard(base([condition(ICD10, 'N18.4')]));
    expect(r.suggestions.map((s) => s.key)).toEqual(['denosumab']);
    expect(r.omittedAgents?.[0]).toEqual({ agent: 'zoledronic-acid', because: 'ckd-4-5' });
  });

  test('cautions: low corrected calcium, low vitamin D, prior ONJ', () => {
    const r = boneCard(
      base([
        calcium(8.4, '2025-05-01'),
        albumin(4.0, '2025-05-01'),
        vitaminD(19.9, '2025-05-01'),
        egfr(80, '2025-05-01'),
        condition(ICD10, 'M87.180'),
      ]),
    );
    expect(r.cautions?.map((c) => c.code)).toEqual(['low-calcium', 'low-vitamin-d', 'prior-onj']);
  });

  test('cautions at the boundaries: calcium 8.5 and vitamin D 20 are not low; unknown labs are said', () => {
    const ok = boneCard(base([calcium(8.5, '2025-05-01'), vitaminD(20, '2025-05-01'), egfr(80, '2025-05-01')]));
    expect(ok.cautions?.map((c) => c.code)).toEqual(['dental-check']);
    const unknown = boneCard(base([]));
    expect(unknown.cautions?.map((c) => c.code)).toEqual([
      'calcium-unknown',
      'vitamin-d-unknown',
      'egfr-unknown',
      'dental-check',
    ]);
  });

  test('a recorded hypocalcaemia or vitamin D deficiency warns even without a lab', () => {
    const r = boneCard(base([condition(ICD10, 'E83.51'), condition(ICD10, 'E55.9')]));
    expect(r.cautions?.map((c) => c.code)).toEqual(expect.arrayContaining(['low-calcium', 'low-vitamin-d']));
  });

  test('draft products: denosumab and zoledronic acid carry their verified RxNorm codes, alendronate (unverified 904421) only text', () => {
    const r = boneCard(base([egfr(80, '2025-05-01')]));
    const meds = r.suggestions.map(
      (s) =>
        (s.action.resource as { medicationCodeableConcept: { coding?: { code: string }[]; text: string } })
          .medicationCodeableConcept,
    );
    expect(meds[0]!.coding?.[0]?.code).toBe('993452');
    expect(meds[1]!.coding?.[0]?.code).toBe('1114085');
    expect(meds[2]!.coding).toBeUndefined();
    expect(meds[2]!.text).toMatch(/alendronic acid 70 mg/);
  });

  test('a site policy changes the thresholds (T < −1.8, 3 risk factors)', () => {
    const policy = parsePolicy({ boneAgent: { tScoreBelow: -1.8, minRiskFactors: 3 } });
    const s: Scenario = { name: 'p', resources: [...quiet(['dxa']), tScore(-1.9, '2025-01-15')], expect: [], policy };
    expect(evaluateScenario(s).recommendations.map((r) => r.topic)).toEqual(['bone-agent']);
  });
});

describe('calcium + vitamin D draft order', () => {
  const order = () => {
    const e = evaluateScenario({ name: 'x', resources: quiet(['calcium']), expect: [] });
    const r = e.recommendations.find((x) => x.topic === 'calcium-vitamin-d')!;
    return r.suggestions[0]!.action.resource as MedicationRequest;
  };

  test('the structured dose is vitamin D3 800–1000 [IU] once daily; no structured calcium dose', () => {
    const mr = order();
    const structured = (mr.dosageInstruction ?? []).filter((d) => d.doseAndRate?.length);
    expect(structured).toEqual([
      expect.objectContaining({
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [
          {
            doseRange: {
              low: { value: 800, unit: 'IU', system: 'http://unitsofmeasure.org', code: '[IU]' },
              high: { value: 1000, unit: 'IU', system: 'http://unitsofmeasure.org', code: '[IU]' },
            },
          },
        ],
      }),
    ]);
    expect(JSON.stringify(mr.dosageInstruction?.flatMap((d) => d.doseAndRate ?? []))).not.toMatch(/"mg"/);
  });

  test('calcium is stated as total daily intake (diet + supplement), with a local product to choose', () => {
    const texts = (order().dosageInstruction ?? []).map((d) => d.text ?? '');
    expect(texts).toContain(
      'Calcium supplement to bring total daily intake (diet + supplement) to 1000–1200 mg; choose a local product',
    );
  });
});

describe('recommendation content', () => {
  test('most severe first, then topic order; drug as ordered', () => {
    const e = evaluateScenario({
      name: 'x',
      patient: patient({ sex: 'male', birthDate: '1950-01-01' }),
      resources: [estradiol(8, 'pg/mL', '2025-05-01')],
      expect: [],
    });
    expect(e.recommendations.map((r) => `${r.topic}:${r.indicator}`)).toEqual([
      'estradiol-low:critical',
      'baseline-dxa:warning',
      'calcium-vitamin-d:info',
    ]);
    for (const r of e.recommendations) expect(r.drugs).toEqual(['anastrozole']);
  });

  test('no topic repeats, and each has override reasons and a guideline', () => {
    const e = evaluateScenario({
      name: 'x',
      patient: patient({ sex: 'male', birthDate: '1950-01-01' }),
      resources: [],
      expect: [],
    });
    const topics = e.recommendations.map((r) => r.topic);
    expect(new Set(topics).size).toBe(topics.length);
    for (const r of e.recommendations) {
      expect(r.overrideReasons.length).toBeGreaterThan(1);
      expect(r.guidelines[0]?.url).toMatch(/^https:\/\//);
    }
  });

  test('dxa-follow-up cites the active AI order', () => {
    const e = evaluateScenario({
      name: 'x',
      resources: [...quiet(['dxa']), medRequest(rx('199224'), { id: 'act', authoredOn: '2024-02-02' })],
      expect: [],
    });
    expect(e.recommendations[0]!.facts).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          fact: 'on-ai',
          medication: expect.objectContaining({ reference: 'MedicationRequest/act' }),
        }),
      ]),
    );
  });
});
