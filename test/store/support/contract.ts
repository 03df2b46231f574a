import { afterAll, describe, expect, it } from '@jest/globals';
import type { CardQueueOptions } from '../../../src/store/card-queue.js';
import type { FeedbackStore } from '../../../src/store/feedback-store.js';
import { MIGRATIONS } from '../../../src/store/migrations.js';
import type { StoreLogger } from '../../../src/store/store-logger.js';
import { eventually } from './env.js';
import { collectingLogger } from './logger.js';
import { accepted, card, overridden, SERVICE } from './records.js';
import {
  MARCH,
  MARCH_DAILY,
  MARCH_DAILY_OTHER,
  MARCH_SUMMARY,
  OTHER_SERVICE as OTHER,
  SCENARIO_CARDS,
  SCENARIO_FEEDBACK,
} from './summary-scenario.js';

export interface StoreUnderTest extends FeedbackStore {
  migrate(): number | Promise<number>;
}

export interface OpenOptions {
  logger?: StoreLogger;
  cardQueue?: CardQueueOptions;
}

/** How the shared contract reaches one kind of database. A location is a directory or a schema. */
export interface StoreHarness {
  fresh(): Promise<string>;
  open(location: string, opts?: OpenOptions): Promise<StoreUnderTest>;
  count(location: string, table: 'issued_cards' | 'feedback' | 'schema_migrations'): Promise<number>;
  cleanup(): Promise<void>;
}

/**
 * The behaviour both databases must share, run against each real server. Each test works in a
 * location of its own, so the tests are independent and parallel runs do not collide.
 */
export function feedbackStoreContract(name: string, harness: StoreHarness): void {
  describe(`${name}: FeedbackStore contract`, () => {
    afterAll(() => harness.cleanup());

    async function withStore<T>(
      fn: (store: StoreUnderTest, location: string) => Promise<T>,
      opts?: OpenOptions,
    ): Promise<T> {
      const location = await harness.fresh();
      const store = await harness.open(location, opts);
      try {
        return await fn(store, location);
      } finally {
        await store.close();
      }
    }

    it('stores a repeated feedback item once, whether repeated across calls or within one batch', async () => {
      await withStore(async (store, location) => {
        const item = overridden('c1');
        const first = await store.saveFeedback([item]);
        expect(first).toMatchObject({ stored: 1, duplicates: 0 });
        expect(first.storedItems).toEqual([item]);
        const again = await store.saveFeedback([{ ...item, receivedAt: new Date() }]);
        expect(again).toMatchObject({ stored: 0, duplicates: 1, storedItems: [] });
        const batch = await store.saveFeedback([accepted('c2'), accepted('c2'), overridden('c3')]);
        expect(batch).toMatchObject({ stored: 2, duplicates: 1 });
        expect(batch.storedItems?.map((f) => f.card)).toEqual(['c2', 'c3']);
        expect(await harness.count(location, 'feedback')).toBe(3);
      });
    });

    it('keys idempotency on card + outcome + outcome timestamp exactly as sent', async () => {
      await withStore(async (store, location) => {
        await store.saveFeedback([overridden('c1')]);
        // Same card and outcome at another time, and another outcome at the same time: new facts.
        const r = await store.saveFeedback([
          overridden('c1', { outcomeTimestamp: '2025-03-10T09:07:00Z' }),
          accepted('c1', { outcomeTimestamp: '2025-03-10T09:05:00Z' }),
        ]);
        expect(r).toMatchObject({ stored: 2, duplicates: 0 });
        expect(await harness.count(location, 'feedback')).toBe(3);
      });
    });

    it('stores one row when 40 concurrent calls send the same item', async () => {
      await withStore(async (store, location) => {
        const item = overridden('race');
        const results = await Promise.all(Array.from({ length: 40 }, () => store.saveFeedback([item])));
        expect(results.reduce((n, r) => n + r.stored, 0)).toBe(1);
        expect(results.reduce((n, r) => n + r.duplicates, 0)).toBe(39);
        expect(await harness.count(location, 'feedback')).toBe(1);
      });
    });

    it('stores one row when two store instances (two replicas) race on the same items', async () => {
      const location = await harness.fresh();
      const [a, b] = [await harness.open(location), await harness.open(location)];
      try {
        const items = Array.from({ length: 25 }, (_, i) => overridden(`card-${i}`));
        const results = await Promise.all(
          items.flatMap((item) => [a.saveFeedback([item]), b.saveFeedback([item]), a.saveFeedback([item])]),
        );
        expect(results.reduce((n, r) => n + r.stored, 0)).toBe(25);
        expect(await harness.count(location, 'feedback')).toBe(25);
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });

    it('summarises per service and topic: issued, accepted, overridden, reasons ranked, acceptance rate', async () => {
      await withStore(async (store) => {
        store.recordCards(SCENARIO_CARDS);
        await store.saveFeedback(SCENARIO_FEEDBACK);
        await eventually(
          () => store.summary({}),
          (s) => s.reduce((n, t) => n + t.issued, 0) === 8,
        );

        expect(await store.summary(MARCH)).toEqual(MARCH_SUMMARY);

        const all = await store.summary({});
        const dxa = all.find((t) => t.serviceId === SERVICE && t.topic === 'baseline-dxa');
        expect(dxa).toMatchObject({ issued: 4, accepted: 2, overridden: 3, acceptanceRate: 0.4 });
        expect(all.find((t) => t.topic === 'bone-agent')).toMatchObject({ issued: 1, accepted: 1 });

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

        // One day: [12 March, 13 March).
        const day = await store.summary({
          from: new Date('2025-03-12T00:00:00Z'),
          to: new Date('2025-03-13T00:00:00Z'),
        });
        expect(day.map((t) => [t.topic, t.issued, t.accepted, t.overridden])).toEqual([
          ['baseline-dxa', 1, 0, 1],
          ['calcium-vitamin-d', 1, 0, 1],
        ]);

        expect(await store.summary({ from: new Date('2030-01-01T00:00:00Z') })).toEqual([]);
      });
    });

    it('gives the daily trend: cards issued and distinct cards per outcome on each UTC day, by range and service', async () => {
      await withStore(async (store) => {
        store.recordCards(SCENARIO_CARDS);
        await store.saveFeedback(SCENARIO_FEEDBACK);
        await eventually(
          () => store.dailyTrend({}),
          (d) => d.reduce((n, t) => n + t.issued, 0) === 8,
        );
        expect(await store.dailyTrend(MARCH)).toEqual(MARCH_DAILY);
        expect(await store.dailyTrend({ ...MARCH, serviceId: OTHER })).toEqual(MARCH_DAILY_OTHER);
        // A card issued a millisecond before midnight UTC belongs to that day.
        store.recordCards([card('late', { issuedAt: new Date('2025-05-01T23:59:59.999Z') })]);
        const may = { from: new Date('2025-05-01T00:00:00Z'), to: new Date('2025-06-01T00:00:00Z') };
        expect(
          await eventually(
            () => store.dailyTrend(may),
            (d) => d.length > 0,
          ),
        ).toEqual([{ day: '2025-05-01', issued: 1, accepted: 0, overridden: 0 }]);
        expect(await store.dailyTrend({ from: new Date('2030-01-01T00:00:00Z') })).toEqual([]);
      });
    });

    it('reports no acceptance rate for a topic without feedback', async () => {
      await withStore(async (store) => {
        store.recordCards([card('lonely')]);
        const s = await eventually(
          () => store.summary({}),
          (v) => v.length > 0,
        );
        expect(s).toEqual([
          {
            serviceId: SERVICE,
            topic: 'baseline-dxa',
            issued: 1,
            accepted: 0,
            overridden: 0,
            acceptanceRate: null,
            overrideReasons: [],
          },
        ]);
      });
    });

    it('migrates once: running the migrations again, or opening the database again, applies nothing', async () => {
      const location = await harness.fresh();
      const first = await harness.open(location);
      try {
        expect(await harness.count(location, 'schema_migrations')).toBe(MIGRATIONS.length);
        expect(await first.migrate()).toBe(0);
        const second = await harness.open(location);
        expect(await second.migrate()).toBe(0);
        await second.close();
        expect(await harness.count(location, 'schema_migrations')).toBe(MIGRATIONS.length);
      } finally {
        await first.close();
      }
    });

    it('queues issued cards: recordCards returns before anything is written, a full batch is written without waiting for the interval', async () => {
      const logger = collectingLogger();
      await withStore(
        async (store, location) => {
          store.recordCards([card('q0')]);
          store.recordCards([card('q1')]);
          // Nothing written synchronously: the hook's answer does not wait on the database.
          expect(await harness.count(location, 'issued_cards')).toBe(0);
          // Below the batch size, cards wait for the (one-minute) interval.
          await new Promise((r) => setTimeout(r, 150));
          expect(await harness.count(location, 'issued_cards')).toBe(0);
          store.recordCards([card('q2')]);
          expect(await harness.count(location, 'issued_cards')).toBe(0);
          expect(
            await eventually(
              () => harness.count(location, 'issued_cards'),
              (n) => n === 3,
            ),
          ).toBe(3);
          // A burst larger than a batch is written whole, in several batches.
          store.recordCards(Array.from({ length: 7 }, (_, i) => card(`burst${i}`)));
          expect(
            await eventually(
              () => harness.count(location, 'issued_cards'),
              (n) => n === 10,
            ),
          ).toBe(10);
        },
        { logger, cardQueue: { maxBatch: 3, flushIntervalMs: 60_000 } },
      );
      expect(logger.lines.filter((l) => l.level === 'error')).toEqual([]);
    });

    it('flushes queued cards on close()', async () => {
      const location = await harness.fresh();
      const store = await harness.open(location, { cardQueue: { maxBatch: 1000, flushIntervalMs: 60_000 } });
      store.recordCards([card('a'), card('b')]);
      store.recordCards([card('c')]);
      expect(await harness.count(location, 'issued_cards')).toBe(0);
      await store.close();
      expect(await harness.count(location, 'issued_cards')).toBe(3);
    });

    it('writes queued cards after the short interval, and a card recorded twice once', async () => {
      await withStore(
        async (store, location) => {
          store.recordCards([card('i1'), card('i2')]);
          store.recordCards([card('i1')]);
          expect(
            await eventually(
              () => harness.count(location, 'issued_cards'),
              (n) => n === 2,
            ),
          ).toBe(2);
          await new Promise((r) => setTimeout(r, 100));
          expect(await harness.count(location, 'issued_cards')).toBe(2);
        },
        { cardQueue: { maxBatch: 1000, flushIntervalMs: 30 } },
      );
    });

    it('refuses feedback after close, and close() twice is harmless', async () => {
      const location = await harness.fresh();
      const store = await harness.open(location);
      await store.close();
      await expect(store.close()).resolves.toBeUndefined();
      await expect(store.saveFeedback([overridden('late')])).rejects.toThrow(/closed/);
      await expect(store.ping()).rejects.toThrow(/closed/);
    });

    it('answers ping while the database is reachable', async () => {
      await withStore(async (store) => {
        await expect(store.ping()).resolves.toBeUndefined();
      });
    });
  });
}
