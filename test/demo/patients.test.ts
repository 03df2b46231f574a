import type { Bundle, Patient } from 'fhir/r4.js';
import { demoPatients, splitDemoBundle } from '../../demo/patients/index.js';
import { defaultPolicy, evaluatePatient, findAiOrders, recordFromResources } from '../../src/core/index.js';
import { concepts, VALUE_SET_NAMES } from '../../src/core/valuesets/index.js';

const KNOWN = new Set(VALUE_SET_NAMES.flatMap((n) => concepts(n).map((c) => `${c.system}|${c.code}`)));

function codingsIn(x: unknown, out: { system?: string; code?: string }[] = []) {
  if (Array.isArray(x)) x.forEach((v) => codingsIn(v, out));
  else if (x && typeof x === 'object') {
    const o = x as Record<string, unknown>;
    if (Array.isArray(o['coding'])) out.push(...(o['coding'] as { system?: string; code?: string }[]));
    for (const v of Object.values(o)) codingsIn(v, out);
  }
  return out;
}

/** Clinical codings only: the FHIR status/category vocabularies are structure, not clinical codes. */
const clinical = (c: { system?: string }) => !c.system?.startsWith('http://terminology.hl7.org/');

function evaluate(bundle: Bundle, now: Date) {
  const { chart, draftOrders } = splitDemoBundle(bundle);
  const [patient, ...rest] = chart;
  const { record, unfiled } = recordFromResources(patient as Patient, rest);
  expect(unfiled).toEqual([]);
  const draft: Bundle = {
    resourceType: 'Bundle',
    type: 'collection',
    entry: draftOrders.map((resource) => ({ resource })),
  };
  const aiOrders = findAiOrders(draft, { medications: record.medications, policy: defaultPolicy });
  return evaluatePatient({ hook: 'order-sign', now, record, aiOrders }, defaultPolicy);
}

describe('demo patients', () => {
  const now = new Date();
  const patients = demoPatients(now);

  test('five collection bundles, Patient first with the slug as id, one draft AI order last', () => {
    expect(patients.map((p) => p.slug)).toEqual([
      'demo-no-dxa',
      'demo-smoker',
      'demo-osteoporosis-ckd',
      'demo-male-low-estradiol',
      'demo-bmd-decline',
    ]);
    for (const p of patients) {
      expect(p.bundle.type).toBe('collection');
      const entries = p.bundle.entry ?? [];
      expect(entries[0]?.resource).toMatchObject({ resourceType: 'Patient', id: p.slug });
      expect(entries.at(-1)?.resource).toMatchObject({ resourceType: 'MedicationRequest', status: 'draft' });
      for (const e of entries)
        expect(e.fullUrl).toBe(`http://demo.aibl-cds.example/fhir/${e.resource!.resourceType}/${e.resource!.id}`);
      expect(new Set(entries.map((e) => e.fullUrl)).size).toBe(entries.length);
    }
  });

  test('every clinical code comes from the value sets', () => {
    const codes = patients.flatMap((p) => codingsIn(p.bundle)).filter(clinical);
    expect(codes.length).toBeGreaterThan(30);
    for (const c of codes) expect(KNOWN).toContain(`${c.system}|${c.code}`);
  });

  // Dates count back from `now`: the same cards whatever the day, month ends and leap days included.
  test.each([new Date(), new Date('2028-02-29T23:59:00Z'), new Date('2031-01-01T00:30:00Z')])(
    'each patient gets its expected topics (now = %s)',
    (at) => {
      for (const p of demoPatients(at)) {
        expect([p.slug, evaluate(p.bundle, at).recommendations.map((r) => r.topic)]).toEqual([
          p.slug,
          p.expectedTopics,
        ]);
      }
    },
  );

  test('the facts the descriptions promise', () => {
    const by = Object.fromEntries(patients.map((p) => [p.slug, evaluate(p.bundle, now)]));
    expect(by['demo-no-dxa']!.facts).toMatchObject({ age: 58, sex: 'female', newStart: true });
    expect(by['demo-smoker']!.facts).toMatchObject({ age: 70 });
    expect(by['demo-osteoporosis-ckd']!.recommendations[0]).toMatchObject({
      topic: 'bone-agent',
      indicator: 'critical',
    });
    expect(by['demo-male-low-estradiol']!.recommendations[0]).toMatchObject({
      topic: 'estradiol-low',
      indicator: 'critical',
    });
    const decline = by['demo-bmd-decline']!;
    expect(decline.facts.newStart).toBe(false);
    expect(decline.facts.bmdLoss?.percentPerYear).toBeGreaterThan(5.5);
    expect(decline.facts.bmdLoss?.percentPerYear).toBeLessThan(6.5);
  });
});
