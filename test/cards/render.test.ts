import { randomUUID } from 'node:crypto';
import { renderCards, TOPIC_SYSTEM } from '../../src/cards/render.js';
import type { Card } from '../../src/cards/types.js';
import { OVERRIDE_REASON_SYSTEM, type Recommendation } from '../../src/core/index.js';
import { egfr, estradiol, evaluateScenario, patient, quiet, tScore, type Scenario } from '../core/support/builders.js';
import { EVERY_TOPIC as PATIENTS } from './support/scenarios.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

function render(s: Scenario, newId: () => string = randomUUID): { recs: Recommendation[]; cards: Card[] } {
  const recs = evaluateScenario(s).recommendations;
  return { recs, cards: renderCards(recs, { patientReference: 'Patient/pat-1', newId }) };
}

function emptiesIn(x: unknown, path = '$'): string[] {
  if (x === null) return [path];
  if (typeof x === 'string') return x.trim() === '' ? [path] : [];
  if (Array.isArray(x)) return x.length === 0 ? [path] : x.flatMap((v, i) => emptiesIn(v, `${path}[${i}]`));
  if (typeof x === 'object' && x !== undefined) {
    const entries = Object.entries(x as object);
    return entries.length === 0
      ? [path]
      : entries.flatMap(([k, v]) => (v === undefined ? [`${path}.${k}`] : emptiesIn(v, `${path}.${k}`)));
  }
  return [];
}

const all = PATIENTS.map((s) => render(s));
const cards = all.flatMap((a) => a.cards);

describe('renderCards: CDS Hooks 2.0 card contract', () => {
  test('the patients cover every topic', () => {
    expect(new Set(cards.map((c) => c.source.topic?.code))).toEqual(
      new Set([
        'baseline-dxa',
        'dxa-follow-up',
        'bone-agent',
        'bmd-decline',
        'estradiol-low',
        'estradiol-check',
        'calcium-vitamin-d',
      ]),
    );
  });

  test('no empty string, array or object, and no null, anywhere (JSON round trip too)', () => {
    for (const c of cards) {
      expect(emptiesIn(c)).toEqual([]);
      expect(emptiesIn(JSON.parse(JSON.stringify(c)))).toEqual([]);
    }
  });

  test('summaries are under 140 characters and name the drug as ordered', () => {
    for (const a of all) {
      for (const [i, c] of a.cards.entries()) {
        expect(c.summary.length).toBeLessThan(140);
        for (const d of a.recs[i]!.drugs) expect(c.summary).toContain(d);
        expect(c.summary).not.toMatch(/aromatase inhibitor/i);
      }
    }
  });

  test('uuids: v4, unique across cards and suggestions', () => {
    const ids = cards.flatMap((c) => [c.uuid, ...(c.suggestions ?? []).map((s) => s.uuid)]);
    for (const id of ids) expect(id).toMatch(UUID);
    expect(new Set(ids).size).toBe(ids.length);
  });

  test('every suggestion creates a FHIR resource whose subject is the patient; selectionBehavior is set', () => {
    for (const c of cards) {
      if (!c.suggestions) continue;
      expect(['any', 'at-most-one']).toContain(c.selectionBehavior);
      for (const s of c.suggestions) {
        expect(s.actions?.length).toBe(1);
        const a = s.actions![0]!;
        expect(a.type).toBe('create');
        expect(a.description.length).toBeGreaterThan(10);
        expect(a.resource).toMatchObject({ subject: { reference: 'Patient/pat-1' }, status: 'draft', intent: 'order' });
        expect(['ServiceRequest', 'MedicationRequest']).toContain(a.resource!.resourceType);
      }
      if (c.selectionBehavior === 'at-most-one')
        expect(c.suggestions.filter((s) => s.isRecommended).length).toBeLessThanOrEqual(1);
    }
  });

  test('source has label, url and a topic Coding; override reasons have system, code and display', () => {
    for (const c of cards) {
      expect(c.source).toMatchObject({
        label: expect.any(String),
        url: expect.stringMatching(/^https:\/\//),
        topic: { system: TOPIC_SYSTEM },
      });
      expect(c.overrideReasons!.length).toBeGreaterThan(1);
      for (const o of c.overrideReasons!)
        expect(o).toEqual({ system: OVERRIDE_REASON_SYSTEM, code: expect.any(String), display: expect.any(String) });
      for (const l of c.links ?? []) expect(l.type).toBe('absolute');
    }
  });

  test('the bone-agent card: key number in the summary, facts and safety in the detail, renal omission', () => {
    const c = all[0]!.cards.find((x) => x.source.topic?.code === 'bone-agent')!;
    expect(c.indicator).toBe('critical');
    // v2 wording: the bone agent is started alongside the AI, never before it (docs/clinical-logic.md#wording).
    expect(c.summary).toBe('T-score −2.7 at femoral neck (left): start a bone agent alongside anastrozole');
    expect(c.selectionBehavior).toBe('at-most-one');
    expect(c.suggestions!.map((s) => [s.label, s.isRecommended])).toEqual([
      ['Denosumab 60 mg SC every 6 months', true],
    ]);
    const mr = c.suggestions![0]!.actions![0]!.resource as {
      medicationCodeableConcept: unknown;
      dosageInstruction: unknown[];
    };
    expect(mr.medicationCodeableConcept).toMatchObject({ coding: [{ code: '993452' }] });
    expect(mr.dosageInstruction[0]).toMatchObject({
      timing: { repeat: { frequency: 1, period: 6, periodUnit: 'mo' } },
      doseAndRate: [{ doseQuantity: { value: 60, unit: 'mg', system: 'http://unitsofmeasure.org', code: 'mg' } }],
    });
    const d = c.detail!;
    expect(d).toContain('−2.7 at femoral neck (left), 2024-01-15');
    expect(d).toContain('LOINC 80948-3');
    expect(d).toContain('Fracture risk factors (Hadji 2017): 3 of 7 present');
    expect(d).toContain('Present: smoking, current or former — Smoker (finding)');
    expect(d).toMatch(/Not assessable: family history of hip fracture \(family history not retrieved\)/);
    expect(d).toContain('Correct low calcium first');
    expect(d).toContain('Replete vitamin D first');
    expect(d).toContain('Zoledronic acid and alendronate are not offered: eGFR 28 mL/min/1.73 m²');
    expect(d).toContain('Prior osteonecrosis of the jaw');
    expect(d).toContain('**Not checked** (could not be retrieved): family history');
    expect(d).toContain('[AIBL joint position statement (Hadji 2017)](https://doi.org/10.1016/j.jbo.2017.03.001)');
    expect(d).not.toMatch(/<[a-z]/i);
  });

  test('bmd-decline and estradiol cards state their numbers and guideline', () => {
    const bmdCard = all[0]!.cards.find((x) => x.source.topic?.code === 'bmd-decline')!;
    // v2 wording: losses to one decimal.
    expect(bmdCard.summary).toBe(
      'BMD down 7.5 %/yr at lumbar spine since 2022-01-10: review bone protection before anastrozole',
    );
    expect(bmdCard.suggestions).toBeUndefined();
    expect(bmdCard.selectionBehavior).toBeUndefined();
    expect(bmdCard.links?.[0]?.url).toBe('https://doi.org/10.1016/j.jbo.2017.03.001');

    const e2 = all[1]!.cards.find((x) => x.source.topic?.code === 'estradiol-low')!;
    expect(e2.indicator).toBe('critical');
    expect(e2.summary).toBe(
      'Estradiol 9.81 pg/mL (below 10 pg/mL) in a man: review the anastrozole dose to protect bone',
    );
    expect(e2.detail).toContain('reported as 36 pmol/L');
    expect(e2.source.url).toBe('https://pubmed.ncbi.nlm.nih.gov/19820017/');

    const check = all[2]!.cards.find((x) => x.source.topic?.code === 'estradiol-check')!;
    const sr = check.suggestions![0]!.actions![0]!.resource as { code: { coding: { system: string; code: string }[] } };
    expect(sr.code.coding).toEqual([expect.objectContaining({ system: 'http://loinc.org', code: '2243-4' })]);
  });

  test('the DXA order carries CPT 77080, LOINC 38268-9 and SNOMED 241686001', () => {
    const c = cards.find((x) => x.source.topic?.code === 'dxa-follow-up')!;
    expect(c.summary).toBe('No DXA on record for a patient on anastrozole: order a DXA');
    const sr = c.suggestions![0]!.actions![0]!.resource as { code: { coding: { system: string; code: string }[] } };
    expect(sr.code.coding.map((x) => `${x.system}|${x.code}`)).toEqual([
      'http://www.ama-assn.org/go/cpt|77080',
      'http://loinc.org|38268-9',
      'http://snomed.info/sct|241686001',
    ]);
  });

  test('calcium + vitamin D draft: vitamin D3 as a daily dose range, calcium as total-intake text only', () => {
    const c = cards.find((x) => x.source.topic?.code === 'calcium-vitamin-d')!;
    const mr = c.suggestions![0]!.actions![0]!.resource as {
      dosageInstruction: { text?: string; doseAndRate?: unknown }[];
    };
    expect(mr.dosageInstruction).toEqual([
      expect.objectContaining({
        timing: { repeat: { frequency: 1, period: 1, periodUnit: 'd' } },
        doseAndRate: [
          {
            doseRange: {
              low: expect.objectContaining({ value: 800, code: '[IU]' }),
              high: expect.objectContaining({ value: 1000 }),
            },
          },
        ],
      }),
      expect.objectContaining({
        text: 'Calcium supplement to bring total daily intake (diet + supplement) to 1000–1200 mg; choose a local product',
      }),
    ]);
    expect(mr.dosageInstruction[1]).not.toHaveProperty('doseAndRate');
    // v2: the summary says what is missing (a supplement) in at most 120 characters; the
    // total-intake figure is in the draft.
    expect(c.summary).toBe(
      'No calcium or vitamin D supplement on record: start calcium and vitamin D3 with anastrozole',
    );
    expect(c.summary.length).toBeLessThanOrEqual(120);
  });

  test('T-score thresholds print with one decimal (−2.0, not −2.)', () => {
    const d = all[0]!.cards.find((x) => x.source.topic?.code === 'bone-agent')!.detail!;
    expect(d).toContain('Lowest T-score −2.7 is below −2.0.');
    expect(d).toContain('T-score −2.7 is at or below −2.5 (osteoporosis range).');
    expect(d).toContain('T-score below −1.5');
  });

  test('an old eGFR is shown with its date and said to be older than 12 months', () => {
    const { cards: cs } = render({
      name: 'old egfr',
      resources: [...quiet(['dxa']), tScore(-2.7, '2025-01-15'), egfr(20, '2024-05-15')],
      expect: [],
    });
    const d = cs.find((x) => x.source.topic?.code === 'bone-agent')!.detail!;
    expect(d).toMatch(/eGFR: 20 mL\/min\/1\.73 m², 2024-05-15 .*older than 12 months/);
    expect(d).toMatch(
      /Zoledronic acid and alendronate are not offered: eGFR 20 mL\/min\/1\.73 m², 2024-05-15 .*older than 12 months.* is below 35 mL\/min\/1\.73 m²/,
    );
    const { cards: ok } = render({
      name: 'old normal egfr',
      resources: [...quiet(['dxa']), tScore(-2.7, '2025-01-15'), egfr(70, '2023-01-01')],
      expect: [],
    });
    expect(ok.find((x) => x.source.topic?.code === 'bone-agent')!.detail).toMatch(
      /Latest eGFR 70 .*2023-01-01.* older than 12 months: recheck renal function before zoledronic acid or alendronate/,
    );
  });

  test('a converted value just below a threshold is not printed as the threshold', () => {
    const { cards: cs } = render({
      name: 'e2',
      patient: patient({ sex: 'male' }),
      resources: [...quiet(), estradiol(73.41, 'pmol/L', '2025-05-15', '14715-7')],
      expect: [],
    });
    const c = cs.find((x) => x.source.topic?.code === 'estradiol-low')!;
    expect(c.summary).toBe(
      'Estradiol 19.997 pg/mL (below 20 pg/mL) in a man: review the anastrozole dose to protect bone',
    );
  });

  test('a peripheral DXA is listed on the baseline-dxa card but does not replace the axial scan', () => {
    const { cards: cs } = render({
      name: 'heel',
      resources: [...quiet(['dxa']), tScore(-1.0, '2025-01-01', '38266-3', { id: 'heel' })],
      expect: [],
    });
    const c = cs.find((x) => x.source.topic?.code === 'baseline-dxa')!;
    expect(c.summary).toBe('No axial DXA on record: order a baseline DXA before starting anastrozole');
    expect(c.detail).toContain('No axial DXA on record');
    // v2: the resource and its code are listed under Sources at the end.
    expect(c.detail).toContain(
      'Peripheral, VFA-only or unspecified-site DXA (does not replace an axial scan): 2025-01-01\n',
    );
    expect(c.detail).toMatch(/\*\*Sources\*\*\n\n(- .*\n)*- Observation\/heel: LOINC 38266-3/);
  });

  test('rendering is deterministic apart from the ids', () => {
    let n = 0;
    const seq = () => `id-${++n}`;
    const a = render(PATIENTS[0]!, seq).cards;
    n = 0;
    const b = render(PATIENTS[0]!, seq).cards;
    expect(a).toEqual(b);
  });

  test('no recommendations → no cards', () => {
    expect(renderCards([], { patientReference: 'Patient/x', newId: randomUUID })).toEqual([]);
  });
});
