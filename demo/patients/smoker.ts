import { birthDateForAge, daysAgo, DemoRecord, demoPatient, monthsAgo, type DemoPatient } from './resources.js';

/** (b) 70 and a current smoker, no DXA: two risk factors, so a bone agent as well. */
export function smoker(now: Date): DemoPatient {
  const slug = 'demo-smoker';
  const r = new DemoRecord(demoPatient(slug, 'female', birthDateForAge(now, 70), 'Margaret', 'Demo-Smoker'));
  r.conditionText('Hormone receptor-positive breast cancer, right breast', monthsAgo(now, 2))
    .smoking('77176002', daysAgo(now, 45))
    .quantity('bmi', '39156-5', 23.1, 'kg/m2', daysAgo(now, 45), 'vital-signs')
    .medicationRequest('aromatase-inhibitors', '199224', {
      id: `${slug}-draft-anastrozole`,
      status: 'draft',
      authoredOn: daysAgo(now, 0),
      sig: '1 tablet by mouth once daily',
    });
  return {
    slug,
    title: 'Woman, 70, smoker, no DXA, starting anastrozole',
    description:
      'Age over 65 and current smoking (LOINC 72166-2 answered SNOMED 77176002) are two fracture risk factors; no DXA on record and no calcium or vitamin D.',
    bundle: r.bundle(),
    expectedTopics: ['baseline-dxa', 'bone-agent', 'calcium-vitamin-d'],
  };
}
