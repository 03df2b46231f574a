import { MemoryFeedbackStore } from '../../src/store/memory-store.js';
import { accepted, card, overridden, SERVICE } from './support/records.js';
import {
  MARCH,
  MARCH_DAILY,
  MARCH_SUMMARY,
  OTHER_SERVICE as OTHER,
  SCENARIO_CARDS,
  SCENARIO_FEEDBACK,
} from './support/summary-scenario.js';

describe('MemoryFeedbackStore', () => {
  it('stores a repeated item once (card + outcome + outcomeTimestamp), across calls and within a batch', async () => {
    const store = new MemoryFeedbackStore();
    const item = overridden('c1');
    expect(await store.saveFeedback([item])).toEqual({ stored: 1, duplicates: 0, storedItems: [item] });
    expect(await store.saveFeedback([{ ...item, receivedAt: new Date() }])).toEqual({
      stored: 0,
      duplicates: 1,
      storedItems: [],
    });
    const batch = await store.saveFeedback([
      accepted('c2'),
      accepted('c2'),
      overridden('c1', { outcomeTimestamp: '2025-03-10T09:07:00Z' }),
    ]);
    expect(batch).toMatchObject({ stored: 2, duplicates: 1 });
  });

  it('summarises like the database stores: distinct cards, reasons ranked, ranges, services, unknown cards', async () => {
    const store = new MemoryFeedbackStore();
    store.recordCards([...SCENARIO_CARDS, card('c1', { issuedAt: new Date('2025-03-18T10:00:00Z') })]); // c1 twice: kept once
    await store.saveFeedback(SCENARIO_FEEDBACK);
    expect(await store.summary(MARCH)).toEqual(MARCH_SUMMARY);
    expect(await store.dailyTrend(MARCH)).toEqual(MARCH_DAILY);
    expect((await store.summary({})).find((t) => t.serviceId === SERVICE && t.topic === 'baseline-dxa')).toMatchObject({
      issued: 4,
      accepted: 2,
      overridden: 3,
      acceptanceRate: 0.4,
    });
    expect(await store.summary({ serviceId: OTHER })).toEqual([
      {
        serviceId: OTHER,
        topic: 'baseline-dxa',
        issued: 1,
        accepted: 1,
        overridden: 0,
        acceptanceRate: 1,
        overrideReasons: [],
      },
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
