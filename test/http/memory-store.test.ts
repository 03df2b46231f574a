import { MemoryFeedbackStore } from '../../src/store/memory-store.js';
import { accepted, card, overridden, SERVICE } from '../store/support/records.js';

const SYSTEM = 'http://example.org/override';
const OTHER = 'aibl-order-select';

describe('MemoryFeedbackStore', () => {
  it('stores a repeated item once (card + outcome + outcomeTimestamp), across calls and within a batch', async () => {
    const store = new MemoryFeedbackStore();
    const item = overridden('c1');
    expect(await store.saveFeedback([item])).toEqual({ stored: 1, duplicates: 0, storedItems: [item] });
    expect(await store.saveFeedback([{ ...item, receivedAt: new Date() }])).toEqual({ stored: 0, duplicates: 1, storedItems: [] });
    const batch = await store.saveFeedback([accepted('c2'), accepted('c2'), overridden('c1', { outcomeTimestamp: '2025-03-10T09:07:00Z' })]);
    expect(batch).toMatchObject({ stored: 2, duplicates: 1 });
  });

  it('summarises like the database stores: distinct cards, reasons ranked, ranges, services, unknown cards', async () => {
    const store = new MemoryFeedbackStore();
    const at = (d: string) => new Date(`${d}T10:00:00Z`);
    store.recordCards([
      card('c1', { issuedAt: at('2025-03-10') }),
      card('c2', { issuedAt: at('2025-03-11') }),
      card('c3', { issuedAt: at('2025-03-12') }),
      card('c4', { topic: 'calcium-vitamin-d', indicator: 'info', issuedAt: at('2025-03-12') }),
      card('c5', { topic: 'bone-agent', indicator: 'critical', issuedAt: at('2025-02-20') }),
      card('c6', { serviceId: OTHER, issuedAt: at('2025-03-15') }),
      card('c8', { issuedAt: at('2025-03-16') }),
      card('c9', { topic: 'calcium-vitamin-d', indicator: 'info', issuedAt: at('2025-03-17') }),
      card('c1', { issuedAt: at('2025-03-18') }), // recorded twice: kept once
    ]);
    const declined = { system: SYSTEM, code: 'declined', display: 'Patient declined' };
    await store.saveFeedback([
      accepted('c1', { outcomeTimestamp: '2025-03-10T10:05:00Z' }),
      overridden('c2', { outcomeTimestamp: '2025-03-11T10:05:00Z' }),
      overridden('c3', { outcomeTimestamp: '2025-03-12T10:05:00Z' }),
      overridden('c3', { outcomeTimestamp: '2025-03-13T10:05:00Z' }),
      overridden('c4', { outcomeTimestamp: '2025-03-12T10:05:00Z', overrideReason: declined }),
      accepted('c5', { outcomeTimestamp: '2025-03-01T00:00:00Z' }),
      accepted('c6', { serviceId: OTHER, outcomeTimestamp: '2025-03-15T10:05:00Z' }),
      overridden('c7', { outcomeTimestamp: '2025-03-14T10:05:00Z', overrideReason: undefined, userComment: 'not relevant today' }),
      overridden('c8', { outcomeTimestamp: '2025-03-16T10:05:00Z', overrideReason: declined }),
      overridden('c9', { outcomeTimestamp: '2025-03-17T10:05:00Z', overrideReason: { system: SYSTEM, code: 'declined' } }),
      accepted('c2', { outcomeTimestamp: '2025-04-02T10:05:00Z' }),
    ]);
    const doneElsewhere = { system: SYSTEM, code: 'done-elsewhere', display: 'DXA done outside this system' };
    expect(await store.summary({ from: new Date('2025-03-01T00:00:00Z'), to: new Date('2025-04-01T00:00:00Z') })).toEqual([
      { serviceId: OTHER, topic: 'baseline-dxa', issued: 1, accepted: 1, overridden: 0, acceptanceRate: 1, overrideReasons: [] },
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
      { serviceId: SERVICE, topic: 'bone-agent', issued: 0, accepted: 1, overridden: 0, acceptanceRate: 1, overrideReasons: [] },
      {
        serviceId: SERVICE,
        topic: 'calcium-vitamin-d',
        issued: 2,
        accepted: 0,
        overridden: 2,
        acceptanceRate: 0,
        overrideReasons: [{ ...declined, count: 2 }],
      },
      { serviceId: SERVICE, topic: 'unknown', issued: 0, accepted: 0, overridden: 1, acceptanceRate: 0, overrideReasons: [{ count: 1 }] },
    ]);
    expect((await store.summary({})).find((t) => t.serviceId === SERVICE && t.topic === 'baseline-dxa')).toMatchObject({
      issued: 4,
      accepted: 2,
      overridden: 3,
      acceptanceRate: 0.4,
    });
    expect(await store.summary({ serviceId: OTHER })).toEqual([
      { serviceId: OTHER, topic: 'baseline-dxa', issued: 1, accepted: 1, overridden: 0, acceptanceRate: 1, overrideReasons: [] },
    ]);
    expect(await store.summary({ from: new Date('2030-01-01T00:00:00Z') })).toEqual([]);
  });

  it('stays bounded, forgetting the oldest entries', async () => {
    const store = new MemoryFeedbackStore({ maxCards: 2, maxFeedback: 2 });
    store.recordCards([card('a'), card('b'), card('c')]);
    expect((await store.summary({}))[0]?.issued).toBe(2);
    await store.saveFeedback([overridden('a'), overridden('b'), overridden('c')]);
    // 'a' was forgotten, so it is stored again.
    expect((await store.saveFeedback([overridden('a')])).stored).toBe(1);
  });

  it('refuses work once closed and fails its readiness ping', async () => {
    const store = new MemoryFeedbackStore();
    await store.ping();
    await store.close();
    await expect(store.ping()).rejects.toThrow('closed');
    await expect(store.saveFeedback([overridden('x')])).rejects.toThrow('closed');
    await expect(store.summary({})).rejects.toThrow('closed');
    expect(() => store.recordCards([card('x')])).not.toThrow();
  });
});
