import type { FeedbackRecord, IssuedCard } from '../../../src/store/feedback-store.js';

export const SERVICE = 'aibl-order-sign';

export function card(uuid: string, overrides: Partial<IssuedCard> = {}): IssuedCard {
  return {
    uuid,
    serviceId: SERVICE,
    topic: 'baseline-dxa',
    indicator: 'warning',
    suggestionIds: [`${uuid}-s1`],
    hookInstance: `hook-${uuid}`,
    issuedAt: new Date('2025-03-10T09:00:00Z'),
    issuer: 'https://ehr.example.org',
    tenant: 'north',
    ...overrides,
  };
}

export function overridden(cardUuid: string, overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    serviceId: SERVICE,
    card: cardUuid,
    outcome: 'overridden',
    acceptedSuggestions: [],
    overrideReason: {
      system: 'http://example.org/override',
      code: 'done-elsewhere',
      display: 'DXA done outside this system',
    },
    outcomeTimestamp: '2025-03-10T09:05:00Z',
    receivedAt: new Date('2025-03-10T09:05:01Z'),
    issuer: 'https://ehr.example.org',
    tenant: 'north',
    ...overrides,
  };
}

export function accepted(cardUuid: string, overrides: Partial<FeedbackRecord> = {}): FeedbackRecord {
  return {
    serviceId: SERVICE,
    card: cardUuid,
    outcome: 'accepted',
    acceptedSuggestions: [`${cardUuid}-s1`],
    outcomeTimestamp: '2025-03-10T09:06:00Z',
    receivedAt: new Date('2025-03-10T09:06:01Z'),
    ...overrides,
  };
}
