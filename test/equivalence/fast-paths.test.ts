/**
 * The hot-path rewrites made for speed must mean exactly what the plain forms they replaced
 * meant: calendar arithmetic equals the Date-object forms, and one read of the cross-set concept
 * index equals a lookup in each value set.
 */
import fc from 'fast-check';
import { pruneEmpty } from '../../src/cards/prune.js';
import { dayOf, isoDay } from '../../src/core/dates.js';
import { dayOfByDate, isoDayByDate } from './support/dates-by-date.js';
import { jsonWithBlanks } from '../cards/support/json-with-blanks.js';
import { concepts, conceptsFor, isConcept, lookup, VALUE_SET_NAMES } from '../../src/core/valuesets/index.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

describe('calendar arithmetic equals the Date forms', () => {
  test('dayOf on dates of every shape, including invalid days and two-digit years', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 9999 }),
        fc.integer({ min: 0, max: 13 }),
        fc.integer({ min: 0, max: 32 }),
        fc.constantFrom('', 'T10:20:30Z', 'T23:59:59+14:00', 'T00:00:00-12:00', ' ', 'x'),
        fc.constantFrom(1, 2, 3),
        (y, m, d, tail, parts) => {
          const text =
            parts === 1
              ? pad(y, 4)
              : parts === 2
                ? `${pad(y, 4)}-${pad(m, 2)}`
                : `${pad(y, 4)}-${pad(m, 2)}-${pad(d, 2)}${tail}`;
          expect(dayOf(text)).toBe(dayOfByDate(text));
        },
      ),
      { numRuns: 5_000 },
    );
  });

  test('dayOf and isoDay on every day of four centuries around today, and on leap-day edge cases', () => {
    const wrong: string[] = [];
    for (let day = dayOfByDate('1800-01-01')!; day <= dayOfByDate('2200-12-31')!; day++) {
      const text = isoDayByDate(day);
      if (dayOf(text) !== day || isoDay(day) !== text) wrong.push(text);
    }
    expect(wrong).toEqual([]);
    for (const text of [
      '1900-02-29',
      '2000-02-29',
      '2100-02-29',
      '2024-02-29',
      '2023-02-29',
      '2023-04-31',
      '0004-02-29',
      '0099-12-31',
      '0100-02-29',
      '0000-01-01',
    ]) {
      expect(dayOf(text)).toBe(dayOfByDate(text));
    }
  });

  test('dayOf on junk', () => {
    for (const v of [undefined, '', '20', 'abcd', '2024-1-01', '-2024-01-01', ' 2024-03-04 ', '2024-03-04T']) {
      expect(dayOf(v)).toBe(dayOfByDate(v));
    }
  });

  test('isoDay over years 0000–9999 and outside', () => {
    fc.assert(
      fc.property(fc.integer({ min: -719_528, max: 2_932_896 }), (day) => {
        expect(isoDay(day)).toBe(isoDayByDate(day));
      }),
      { numRuns: 5_000 },
    );
    for (const day of [-719_529, -719_528, 0, -1, 2_932_896, 2_932_897, 10_000_000, -10_000_000, 1.5]) {
      expect(isoDay(day)).toBe(isoDayByDate(day));
    }
  });
});

describe('the cross-set concept index', () => {
  test('conceptsFor returns, for every code of every value set, exactly the per-set lookups that are concepts', () => {
    const probes = new Set<string>();
    for (const vs of VALUE_SET_NAMES) for (const c of concepts(vs)) probes.add(`${c.system}\u0000${c.code}`);
    expect(probes.size).toBeGreaterThan(100);
    const variants = (system: string, code: string): [string, string][] => [
      [system, code],
      [` ${system} `, ` ${code.toLowerCase()} `],
      [system, code.replace(/\./g, '')],
    ];
    for (const probe of probes) {
      const [system, code] = probe.split('\u0000') as [string, string];
      for (const [s, c] of variants(system, code)) {
        const expected = VALUE_SET_NAMES.map((vs) => lookup(vs, s, c)).filter(isConcept);
        expect(conceptsFor(s, c)).toEqual(expected);
      }
    }
  });

  test('codings that are not strings or name nothing find nothing', () => {
    expect(conceptsFor(undefined, '123')).toEqual([]);
    expect(conceptsFor('http://loinc.org', undefined)).toEqual([]);
    expect(conceptsFor(42 as unknown as string, '38267-1')).toEqual([]);
    expect(conceptsFor('http://loinc.org', '')).toEqual([]);
    expect(conceptsFor('http://loinc.org', 'no-such-code')).toEqual([]);
  });
});

/** pruneEmpty as it was written before. */
function pruneByCopy(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return value.trim().length ? value : undefined;
  if (Array.isArray(value)) {
    const items = value.map(pruneByCopy).filter((v) => v !== undefined);
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const p = pruneByCopy(v);
      if (p !== undefined) out[k] = p;
    }
    return Object.keys(out).length ? out : undefined;
  }
  return value;
}

describe('pruning empty members of cards', () => {
  test('gives what the copying form gave, for any JSON-like value with blanks of every kind', () => {
    fc.assert(
      fc.property(jsonWithBlanks, (v) => {
        expect(pruneEmpty(v)).toEqual(pruneByCopy(v));
      }),
      { numRuns: 3_000 },
    );
  });
});
