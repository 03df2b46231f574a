import { cardsText } from '../../demo/cards-text.js';
import { startDemo, type RunningDemo } from '../../demo/demo.js';

let demo: RunningDemo;
beforeAll(async () => {
  demo = await startDemo({ port: 0, fhirPort: 0 });
});
afterAll(async () => {
  await demo?.close();
});

test('order-sign for each demo patient, read from the FHIR server, gives its expected cards', () => {
  expect(demo.results).toHaveLength(5);
  for (const r of demo.results) {
    expect([r.patient.slug, r.status, r.cards.map((c) => c.source.topic?.code)]).toEqual([
      r.patient.slug,
      200,
      r.patient.expectedTopics,
    ]);
    expect(r.request).not.toHaveProperty('prefetch');
  }
});

test('the service read each chart from the FHIR server, as it does for an EHR without prefetch', () => {
  for (const r of demo.results) {
    const asked = demo.fhir.requests.filter(
      (q) => q.resourceType === 'Observation' && q.query.get('patient') === r.patient.slug,
    );
    expect(asked.length).toBeGreaterThan(0);
  }
  // The Synthea patients are there too, for trying by hand.
  expect(Object.keys(demo.fhir.patients)).toHaveLength(6);
});

test('the printed cards are plain text with the key facts and suggestions', () => {
  const text = demo.results.map((r) => cardsText(r.patient.slug, r.cards)).join('\n');
  expect(text).toContain('[CRITICAL] bone-agent: T-score −2.7 at total hip');
  expect(text).toContain('· eGFR: 30 mL/min/1.73 m², ');
  expect(text).toContain('· Present: smoking, current or former — Smoker (finding)');
  expect(text).toContain('→ Denosumab 60 mg SC every 6 months (recommended)');
  expect(text).toMatch(/\[WARNING\] bmd-decline: BMD down 6.0 %\/yr at lumbar spine/);
  expect(text).not.toMatch(/\\\[|\*\*|Observation\//);
  // Provenance is cut whole: no line is left with an unmatched parenthesis.
  const unbalanced = text.split('\n').filter((l) => (l.match(/\(/g) ?? []).length !== (l.match(/\)/g) ?? []).length);
  expect(unbalanced).toEqual([]);
});
