import { birthDateForAge, daysAgo, DemoRecord, demoPatient, monthsAgo, type DemoPatient } from './resources.js';

/** (a) 58, never had a DXA, starting anastrozole: baseline DXA and calcium/vitamin D. */
export function noDxa(now: Date): DemoPatient {
  const slug = 'demo-no-dxa';
  const r = new DemoRecord(demoPatient(slug, 'female', birthDateForAge(now, 58), 'Helen', 'Demo-Baseline'));
  r.conditionText('Hormone receptor-positive breast cancer, left breast', monthsAgo(now, 3))
    .quantity('bmi', '39156-5', 27.4, 'kg/m2', daysAgo(now, 20), 'vital-signs')
    .quantity('vitamin-d-25oh', '62292-8', 31, 'ng/mL', daysAgo(now, 20))
    .medicationRequest('aromatase-inhibitors', '199224', {
      id: `${slug}-draft-anastrozole`,
      status: 'draft',
      authoredOn: daysAgo(now, 0),
      sig: '1 tablet by mouth once daily',
    });
  return {
    slug,
    title: 'Woman, 58, no DXA, starting anastrozole',
    description:
      'Post-menopausal woman with hormone receptor-positive breast cancer, never scanned, not taking calcium or vitamin D; BMI 27.4, no smoking status on record.',
    bundle: r.bundle(),
    expectedTopics: ['baseline-dxa', 'calcium-vitamin-d'],
  };
}
