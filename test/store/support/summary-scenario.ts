/**
 * One month of cards and feedback with the summary every store must give for it: the database
 * stores (contract.ts) and the in-memory store are held to the same numbers.
 */
import type { DayCount, FeedbackRecord, IssuedCard, TopicSummary } from '../../../src/store/feedback-store.js';
import { accepted, card, overridden, SERVICE } from './records.js';

export const REASON_SYSTEM = 'http://example.org/override';
export const OTHER_SERVICE = 'aibl-order-select';

const at = (d: string) => new Date(`${d}T10:00:00Z`);
const declined = { system: REASON_SYSTEM, code: 'declined', display: 'Patient declined' };
const doneElsewhere = { system: REASON_SYSTEM, code: 'done-elsewhere', display: 'DXA done outside this system' };

export const SCENARIO_CARDS: IssuedCard[] = [
  card('c1', { issuedAt: at('2025-03-10') }),
  card('c2', { issuedAt: at('2025-03-11') }),
  card('c3', { issuedAt: at('2025-03-12') }),
  card('c4', { topic: 'calcium-vitamin-d', indicator: 'info', issuedAt: at('2025-03-12') }),
  card('c5', { topic: 'bone-agent', indicator: 'critical', issuedAt: at('2025-02-20') }),
  card('c6', { serviceId: OTHER_SERVICE, issuedAt: at('2025-03-15') }),
  card('c8', { issuedAt: at('2025-03-16') }),
  card('c9', { topic: 'calcium-vitamin-d', indicator: 'info', issuedAt: at('2025-03-17') }),
];

export const SCENARIO_FEEDBACK: FeedbackRecord[] = [
  accepted('c1', { outcomeTimestamp: '2025-03-10T10:05:00Z' }),
  overridden('c2', { outcomeTimestamp: '2025-03-11T10:05:00Z' }),
  overridden('c3', { outcomeTimestamp: '2025-03-12T10:05:00Z' }),
  // The same card overridden again later: still one overridden card.
  overridden('c3', { outcomeTimestamp: '2025-03-13T10:05:00Z' }),
  overridden('c4', { outcomeTimestamp: '2025-03-12T10:05:00Z', overrideReason: declined }),
  accepted('c5', { outcomeTimestamp: '2025-03-01T00:00:00Z' }),
  accepted('c6', { serviceId: OTHER_SERVICE, outcomeTimestamp: '2025-03-15T10:05:00Z' }),
  // A card this service has no record of, overridden with a comment only.
  overridden('c7', {
    outcomeTimestamp: '2025-03-14T10:05:00Z',
    overrideReason: undefined,
    userComment: 'not relevant today',
  }),
  overridden('c8', { outcomeTimestamp: '2025-03-16T10:05:00Z', overrideReason: declined }),
  // The sandbox sends a reason without display: grouped with the same system + code.
  overridden('c9', {
    outcomeTimestamp: '2025-03-17T10:05:00Z',
    overrideReason: { system: REASON_SYSTEM, code: 'declined' },
  }),
  accepted('c2', { outcomeTimestamp: '2025-04-02T10:05:00Z' }),
];

export const MARCH = { from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') };

/** summary(MARCH) for the scenario above. */
export const MARCH_SUMMARY: TopicSummary[] = [
  {
    serviceId: OTHER_SERVICE,
    topic: 'baseline-dxa',
    issued: 1,
    accepted: 1,
    overridden: 0,
    acceptanceRate: 1,
    overrideReasons: [],
  },
  {
    serviceId: SERVICE,
    topic: 'baseline-dxa',
    issued: 4,
    accepted: 1,
    overridden: 3,
    acceptanceRate: 0.25,
    overrideReasons: [
      { ...doneElsewhere, count: 2 },
      { ...declined, count: 1 },
    ],
  },
  {
    serviceId: SERVICE,
    topic: 'bone-agent',
    issued: 0,
    accepted: 1,
    overridden: 0,
    acceptanceRate: 1,
    overrideReasons: [],
  },
  {
    serviceId: SERVICE,
    topic: 'calcium-vitamin-d',
    issued: 2,
    accepted: 0,
    overridden: 2,
    acceptanceRate: 0,
    overrideReasons: [{ ...declined, count: 2 }],
  },
  {
    serviceId: SERVICE,
    topic: 'unknown',
    issued: 0,
    accepted: 0,
    overridden: 1,
    acceptanceRate: 0,
    overrideReasons: [{ count: 1 }],
  },
];

/**
 * dailyTrend(MARCH) for the scenario: c3, overridden on the 12th and again on the 13th, counts on
 * both days; c5's feedback on 1 March counts though the card was issued in February.
 */
export const MARCH_DAILY: DayCount[] = [
  { day: '2025-03-01', issued: 0, accepted: 1, overridden: 0 },
  { day: '2025-03-10', issued: 1, accepted: 1, overridden: 0 },
  { day: '2025-03-11', issued: 1, accepted: 0, overridden: 1 },
  { day: '2025-03-12', issued: 2, accepted: 0, overridden: 2 },
  { day: '2025-03-13', issued: 0, accepted: 0, overridden: 1 },
  { day: '2025-03-14', issued: 0, accepted: 0, overridden: 1 },
  { day: '2025-03-15', issued: 1, accepted: 1, overridden: 0 },
  { day: '2025-03-16', issued: 1, accepted: 0, overridden: 1 },
  { day: '2025-03-17', issued: 1, accepted: 0, overridden: 1 },
];

/** dailyTrend(MARCH) for OTHER_SERVICE alone. */
export const MARCH_DAILY_OTHER: DayCount[] = [{ day: '2025-03-15', issued: 1, accepted: 1, overridden: 0 }];
