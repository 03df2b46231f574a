import { birthDateForAge, daysAgo, DemoRecord, demoPatient, monthsAgo, type DemoPatient } from './resources.js';

/** (c) T-score −2.7 eight months ago and eGFR 30: a critical bone-agent card, denosumab only. */
export function osteoporosisCkd(now: Date): DemoPatient {
  const slug = 'demo-osteoporosis-ckd';
  const r = new DemoRecord(demoPatient(slug, 'female', birthDateForAge(now, 66), 'Ruth', 'Demo-Kidney'));
  r.conditionText('Hormone receptor-positive breast cancer, left breast', monthsAgo(now, 1))
    .dxa('dxa-t-score', '38264-8', -2.7, monthsAgo(now, 8))
    .dxa('dxa-t-score', '38267-1', -2.2, monthsAgo(now, 8))
    .dxa('dxa-bmd', '38261-4', 0.68, monthsAgo(now, 8))
    .quantity('egfr', '98979-8', 30, 'mL/min/{1.73_m2}', daysAgo(now, 14))
    .quantity('calcium-serum', '17861-6', 9.3, 'mg/dL', daysAgo(now, 14))
    .quantity('albumin', '1751-7', 4.0, 'g/dL', daysAgo(now, 14))
    .quantity('vitamin-d-25oh', '62292-8', 34, 'ng/mL', daysAgo(now, 14))
    .calciumVitaminD(monthsAgo(now, 8))
    .medicationRequest('aromatase-inhibitors', '199224', {
      id: `${slug}-draft-anastrozole`,
      status: 'draft',
      authoredOn: daysAgo(now, 0),
      sig: '1 tablet by mouth once daily',
    });
  return {
    slug,
    title: 'Woman, 66, T-score −2.7, eGFR 30, starting anastrozole',
    description:
      'Osteoporotic total-hip T-score −2.7 from a DXA 8 months ago and an eGFR of 30 mL/min/1.73 m²; takes calcium with vitamin D. A bone agent is due, and kidney function rules out zoledronic acid and alendronate.',
    bundle: r.bundle(),
    expectedTopics: ['bone-agent'],
  };
}
