import { birthDateForAge, daysAgo, DemoRecord, demoPatient, monthsAgo, type DemoPatient } from './resources.js';

/** (d) A man on testosterone whose estradiol is already 8 pg/mL, starting anastrozole. */
export function maleLowEstradiol(now: Date): DemoPatient {
  const slug = 'demo-male-low-estradiol';
  const r = new DemoRecord(demoPatient(slug, 'male', birthDateForAge(now, 52), 'David', 'Demo-Estradiol'));
  r.medicationRequest('testosterone', '1647574', {
    status: 'active',
    authoredOn: monthsAgo(now, 14),
    sig: '0.5 mL (100 mg) intramuscularly every week',
  })
    .quantity('estradiol', '2243-4', 8, 'pg/mL', daysAgo(now, 21))
    .dxa('dxa-t-score', '38267-1', -0.6, monthsAgo(now, 10))
    .smoking('8517006', daysAgo(now, 60))
    .medicationRequest('aromatase-inhibitors', '199224', {
      id: `${slug}-draft-anastrozole`,
      status: 'draft',
      authoredOn: daysAgo(now, 0),
      sig: '0.5 tablet by mouth twice weekly',
    });
  return {
    slug,
    title: 'Man, 52, on testosterone, estradiol 8 pg/mL, starting anastrozole',
    description:
      'Testosterone cypionate for 14 months; serum estradiol 3 weeks ago was 8 pg/mL, already below range before any aromatase inhibitor. Normal spine DXA 10 months ago; ex-smoker; no calcium or vitamin D.',
    bundle: r.bundle(),
    expectedTopics: ['estradiol-low', 'calcium-vitamin-d'],
  };
}
