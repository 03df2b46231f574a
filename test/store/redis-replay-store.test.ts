/** @requires-env REDIS_URL */
import { afterAll, describe, expect, it } from '@jest/globals';
import { Redis } from 'ioredis';
import { MemoryReplayStore } from '../../src/auth/memory-replay-store.js';
import { createReplayStore } from '../../src/store/create-replay-store.js';
import { RedisReplayStore } from '../../src/store/redis-replay-store.js';
import { closedPort, REDIS_URL, uniqueName } from './support/env.js';
import { collectingLogger } from './support/logger.js';

/** One key prefix per run, deleted at the end: parallel runs and other data are untouched. */
const keyPrefix = `${uniqueName('aibl-test')}:jti:`;
const admin = new Redis(REDIS_URL);
const stores: RedisReplayStore[] = [];
const open = () => {
  const s = new RedisReplayStore({ redisUrl: REDIS_URL, keyPrefix });
  stores.push(s);
  return s;
};
const inSeconds = (s: number) => Math.floor(Date.now() / 1000) + s;
const keys = () => admin.keys(`${keyPrefix}*`);

afterAll(async () => {
  await Promise.all(stores.map((s) => s.close()));
  const left = await keys();
  if (left.length > 0) await admin.del(...left);
  await admin.quit();
});

describe('RedisReplayStore', () => {
  it('says first seen once, then refuses the same (iss, jti); other issuers and ids are independent', async () => {
    const store = open();
    expect(await store.firstSeen('https://ehr-a', 'jti-1', inSeconds(300))).toBe(true);
    expect(await store.firstSeen('https://ehr-a', 'jti-1', inSeconds(300))).toBe(false);
    expect(await store.firstSeen('https://ehr-b', 'jti-1', inSeconds(300))).toBe(true);
    expect(await store.firstSeen('https://ehr-a', 'jti-2', inSeconds(300))).toBe(true);
  });

  it('shares ids between two instances, as two replicas behind one URL', async () => {
    const [replica1, replica2] = [open(), open()];
    expect(await replica1.firstSeen('https://ehr-a', 'shared', inSeconds(300))).toBe(true);
    expect(await replica2.firstSeen('https://ehr-a', 'shared', inSeconds(300))).toBe(false);
  });

  it('lets exactly one of many concurrent calls on two replicas win', async () => {
    const [replica1, replica2] = [open(), open()];
    const results = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? replica1 : replica2).firstSeen('https://ehr-a', 'race', inSeconds(300)),
      ),
    );
    expect(results.filter(Boolean)).toHaveLength(1);
  });

  it('keeps an id exactly until the expiry given, then forgets it', async () => {
    const store = open();
    const exp = inSeconds(2);
    expect(await store.firstSeen('https://ehr-a', 'short', exp)).toBe(true);
    const [key] = await keys()
      .then((ks) => Promise.all(ks.map(async (k) => [k, await admin.call('EXPIRETIME', k)] as const)))
      .then((pairs) => pairs.filter(([, t]) => t === exp).map(([k]) => k));
    expect(key).toBeDefined();
    // Neither the issuer nor the jti appears in the key.
    expect(key).not.toMatch(/ehr-a|short/);
    await new Promise((r) => setTimeout(r, (exp + 1) * 1000 - Date.now()));
    expect(await store.firstSeen('https://ehr-a', 'short', inSeconds(300))).toBe(true);
  });

  it('remembers for a moment a token whose exp has just passed (accepted within clock skew)', async () => {
    const store = open();
    expect(await store.firstSeen('https://ehr-a', 'skewed', inSeconds(-5))).toBe(true);
    expect(await store.firstSeen('https://ehr-a', 'skewed', inSeconds(-5))).toBe(false);
  });

  it('answers ping', async () => {
    await expect(open().ping()).resolves.toBeUndefined();
  });

  it('fails closed when Redis is unreachable: firstSeen and ping reject within the command timeout', async () => {
    const logger = collectingLogger();
    const store = new RedisReplayStore({ redisUrl: `redis://127.0.0.1:${await closedPort()}`, keyPrefix, logger });
    try {
      const started = Date.now();
      await expect(store.firstSeen('https://ehr-a', 'down', inSeconds(300))).rejects.toThrow();
      await expect(store.ping()).rejects.toThrow();
      expect(Date.now() - started).toBeLessThan(5000);
      const errors = logger.lines.filter((l) => l.level === 'error');
      expect(errors.map((l) => l.msg)).toEqual(['Redis replay store unreachable']);
    } finally {
      await store.close();
    }
  });
});

describe('createReplayStore', () => {
  it('uses Redis when REDIS_URL is set, else memory', async () => {
    const redis = await createReplayStore({ redisUrl: REDIS_URL, keyPrefix });
    const memory = await createReplayStore({});
    try {
      expect(redis).toBeInstanceOf(RedisReplayStore);
      expect(memory).toBeInstanceOf(MemoryReplayStore);
      expect(await redis.firstSeen('https://ehr-a', 'factory', inSeconds(60))).toBe(true);
      expect(await redis.firstSeen('https://ehr-a', 'factory', inSeconds(60))).toBe(false);
    } finally {
      await Promise.all([redis.close(), memory.close()]);
    }
  });
});
