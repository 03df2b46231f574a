import { MemoryReplayStore, ReplayStoreFullError } from '../../src/auth/memory-replay-store.js';

class Clock {
  t = 1_700_000_000_000;
  now = (): number => this.t;
}
const sec = (ms: number): number => Math.floor(ms / 1000);

describe('MemoryReplayStore', () => {
  it('says first seen once per (iss, jti), independently per issuer', async () => {
    const clock = new Clock();
    const store = new MemoryReplayStore({ now: clock.now });
    const exp = sec(clock.t) + 300;
    expect(await store.firstSeen('https://a.example', 'j1', exp)).toBe(true);
    expect(await store.firstSeen('https://a.example', 'j1', exp)).toBe(false);
    expect(await store.firstSeen('https://b.example', 'j1', exp)).toBe(true);
    expect(await store.firstSeen('https://a.example', 'j2', exp)).toBe(true);
  });

  it('does not confuse ids whose concatenations coincide', async () => {
    const store = new MemoryReplayStore();
    const exp = sec(Date.now()) + 300;
    expect(await store.firstSeen('https://a.example/x', 'y', exp)).toBe(true);
    expect(await store.firstSeen('https://a.example/', 'xy', exp)).toBe(true);
  });

  it('remembers an id until its exp, then sweeps it', async () => {
    const clock = new Clock();
    const store = new MemoryReplayStore({ now: clock.now, sweepIntervalMs: 30_000 });
    const exp = sec(clock.t) + 60;
    await store.firstSeen('i', 'old', exp);
    await store.firstSeen('i', 'long', exp + 600);
    clock.t += 59_000;
    expect(await store.firstSeen('i', 'old', exp)).toBe(false);
    // That call swept (nothing expired yet); the next sweep is due 30 s later.
    clock.t += 31_000;
    expect(store.size).toBe(2);
    await store.firstSeen('i', 'new', sec(clock.t) + 300);
    // The lazy sweep (due after 30 s) dropped the expired id, kept the live ones.
    expect(store.size).toBe(2);
    expect(await store.firstSeen('i', 'long', exp + 600)).toBe(false);
  });

  it('is bounded: fails closed when full of live ids, recovers as they expire', async () => {
    const clock = new Clock();
    const store = new MemoryReplayStore({ now: clock.now, maxEntries: 3 });
    const exp = sec(clock.t) + 10;
    for (const j of ['a', 'b', 'c']) expect(await store.firstSeen('i', j, exp)).toBe(true);
    await expect(store.firstSeen('i', 'd', exp)).rejects.toBeInstanceOf(ReplayStoreFullError);
    // A replay is still recognised when full.
    expect(await store.firstSeen('i', 'a', exp)).toBe(false);
    expect(store.size).toBe(3);
    clock.t += 11_000;
    expect(await store.firstSeen('i', 'd', sec(clock.t) + 10)).toBe(true);
    expect(store.size).toBe(1);
  });

  it('pings and closes without timers', async () => {
    const store = new MemoryReplayStore();
    await expect(store.ping()).resolves.toBeUndefined();
    await store.firstSeen('i', 'j', sec(Date.now()) + 10);
    await store.close();
    expect(store.size).toBe(0);
  });
});
