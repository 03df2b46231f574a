import { defaultPolicy, evaluatePatient, TOPICS, type Recommendation } from '../../src/core/index.js';
import { renderCard, SMART_LINK_LABEL } from '../../src/cards/render.js';
import { medRequest, NOW, patient, record, rx } from '../core/support/builders.js';

const LAUNCH = 'https://cds.example.org/smart/launch';
const LINKED = ['baseline-dxa', 'dxa-follow-up', 'bone-agent', 'bmd-decline'];

// One real recommendation (no DXA on anastrozole), re-labelled with each topic: the link depends
// on the topic alone, whatever the card's wording.
const [base] = evaluatePatient(
  {
    hook: 'patient-view',
    now: NOW,
    record: record(patient(), [medRequest(rx('199224'), { authoredOn: '2024-01-01' })]),
    aiOrders: [],
  },
  defaultPolicy,
).recommendations as [Recommendation];
let n = 0;
const newId = () => `id-${++n}`;

describe('the link to the bone-health view', () => {
  it.each(TOPICS.map((t) => [t]))(
    '%s: present exactly for the DXA-trend topics, naming the topic as appContext',
    (topic) => {
      const card = renderCard({ ...base, topic }, { patientReference: 'Patient/pat-1', newId, smartLaunchUrl: LAUNCH });
      const smart = (card.links ?? []).filter((l) => l.type === 'smart');
      if (LINKED.includes(topic)) {
        expect(smart).toEqual([{ label: SMART_LINK_LABEL, url: LAUNCH, type: 'smart', appContext: topic }]);
      } else {
        expect(smart).toEqual([]);
      }
      // The guideline links stay as they were.
      expect((card.links ?? []).filter((l) => l.type === 'absolute').length).toBe(base.guidelines.length);
    },
  );

  it('is absent when the app is not configured', () => {
    for (const topic of LINKED) {
      const card = renderCard(
        { ...base, topic: topic as Recommendation['topic'] },
        { patientReference: 'Patient/pat-1', newId },
      );
      expect((card.links ?? []).some((l) => l.type === 'smart')).toBe(false);
    }
  });
});
