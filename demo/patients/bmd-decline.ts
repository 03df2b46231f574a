import { birthDateForAge, daysAgo, DemoRecord, demoPatient, monthsAgo, type DemoPatient } from './resources.js';

/**
 * (e) Established on letrozole for two years; lumbar-spine BMD fell from 1.000 to 0.910 g/cm²
 * over 18 months (6 %/yr). The draft is the renewal being signed.
 */
export function bmdDecline(now: Date): DemoPatient {
  const slug = 'demo-bmd-decline';
  const r = new DemoRecord(demoPatient(slug, 'female', birthDateForAge(now, 63), 'Susan', 'Demo-Decline'));
  r.conditionText('Hormone receptor-positive breast cancer, right breast', monthsAgo(now, 26))
    .medicationRequest('aromatase-inhibitors', '200064', {
      id: `${slug}-letrozole`,
      status: 'active',
      authoredOn: monthsAgo(now, 24),
      sig: '1 tablet by mouth once daily',
    })
    .dxa('dxa-bmd', '24966-4', 1.0, monthsAgo(now, 20))
    .dxa('dxa-t-score', '38267-1', -1.1, monthsAgo(now, 20))
    .dxa('dxa-bmd', '24966-4', 0.91, monthsAgo(now, 2))
    .dxa('dxa-t-score', '38267-1', -1.9, monthsAgo(now, 2))
    .calciumVitaminD(monthsAgo(now, 24))
    .quantity('bmi', '39156-5', 24.8, 'kg/m2', daysAgo(now, 30), 'vital-signs')
    .medicationRequest('aromatase-inhibitors', '200064', {
      id: `${slug}-draft-letrozole`,
      status: 'draft',
      authoredOn: daysAgo(now, 0),
      sig: '1 tablet by mouth once daily',
    });
  return {
    slug,
    title: 'Woman, 63, on letrozole for 2 years, spine BMD falling 6 %/yr',
    description:
      'Letrozole since 24 months ago (active order); lumbar-spine BMD 1.000 g/cm² (T −1.1) 20 months ago and 0.910 g/cm² (T −1.9) 2 months ago: a loss of 6 % a year. Takes calcium with vitamin D. The renewal of letrozole is being signed.',
    bundle: r.bundle(),
    expectedTopics: ['bmd-decline'],
  };
}
