import { timeOrderedId } from '../src/time-ordered-id.js';

const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('time-ordered card ids (UUIDv7, RFC 9562)', () => {
  it('has the v7 layout: the milliseconds in the first 48 bits, version 7, the RFC variant', () => {
    const at = Date.UTC(2026, 10, 27, 12, 0, 0, 123);
    const id = timeOrderedId(at);
    expect(id).toMatch(UUID_V7);
    expect(parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(at);
    expect(timeOrderedId(0)).toMatch(/^00000000-0000-7/);
  });

  it('sorts by time across milliseconds, and never repeats', () => {
    const ids = Array.from({ length: 2000 }, (_, i) => timeOrderedId(1_800_000_000_000 + Math.floor(i / 10)));
    expect(new Set(ids).size).toBe(ids.length);
    for (let i = 10; i < ids.length; i += 10) expect(ids[i]! > ids[i - 1]!).toBe(true);
  });

  it('keeps 74 random bits: ids of the same millisecond differ beyond the timestamp', () => {
    const same = Array.from({ length: 200 }, () => timeOrderedId(1_800_000_000_000).slice(14));
    expect(new Set(same).size).toBe(200);
  });
});
