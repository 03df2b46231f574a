/**
 * The clinical core's later hot-path rewrites must mean exactly what the plain
 * forms they replaced meant. Each test holds a rewritten reader equal to the form it replaced,
 * written here as it was: the date and time scans to the regular expressions, month and age
 * arithmetic to the Date forms, value-set lookups by system and code to the `system|code` keys,
 * the word matchers to their regex tests, and the Observation index's order to its sort strings.
 * (Beside fast-paths.test.ts, which holds the first pass's rewrites.)
 */
import fc from 'fast-check';
import type { Coding, Observation } from 'fhir/r4.js';
import { dayOf, monthsBefore, timeOfDay, wholeYears } from '../../src/core/dates.js';
import { dayOfByDate, monthsBeforeByDate, timeOfDayByRegex, wholeYearsByDate } from './support/dates-by-date.js';
import { asArray, codingsOf, containsWholeWord, containsWord } from '../../src/core/fhir-read.js';
import { ObservationIndex, OBSERVATION_VALUE_SETS } from '../../src/core/observations.js';
import {
  canonicalSystem,
  codeKey,
  concepts,
  conceptsFor,
  isConcept,
  lookup,
  lookupKey,
  prefixes,
  SYSTEMS,
  VALUE_SET_NAMES,
  type Concept,
  type PrefixRule,
  type ValueSetName,
} from '../../src/core/valuesets/index.js';

const pad = (n: number, w: number) => String(n).padStart(w, '0');

// ---------------------------------------------------------------- dates

/** Mostly the usual piece, sometimes one of the others. */
const usually = <T>(usual: T, ...others: T[]) =>
  fc.oneof({ arbitrary: fc.constant(usual), weight: 4 }, fc.constantFrom(...others));

/** Text shaped like a FHIR dateTime, with every part sometimes missing, short, out of range or junk. */
const dateTimeText = fc
  .tuple(
    usually('', ' ', '\t', '\u00a0', '\ufeff', 'x'),
    fc.integer({ min: 0, max: 9999 }),
    usually('-', '/', ''),
    fc.integer({ min: 0, max: 13 }),
    usually('-', ''),
    fc.integer({ min: 0, max: 32 }),
    usually('T', 't', ' ', ''),
    fc.integer({ min: 0, max: 30 }),
    usually(':', ''),
    fc.integer({ min: 0, max: 99 }),
    usually(':', ':x', ''),
    fc.integer({ min: 0, max: 99 }),
    usually('.', '', '.x'),
    fc.stringMatching(/^[0-9]{0,5}$/),
    fc.constantFrom('', 'Z', '+14:00', ' ', 'junk'),
    fc.integer({ min: 1, max: 8 }),
  )
  .map(([lead, y, s1, m, s2, d, t, h, c1, mi, c2, s, dot, frac, zone, parts]) => {
    const pieces = [
      lead,
      pad(y, 4),
      s1,
      pad(m, parts === 3 ? 1 : 2),
      s2,
      pad(d, 2),
      t,
      pad(h, 2),
      c1,
      pad(mi, 2),
      c2,
      pad(s, 2),
      dot,
      frac,
      zone,
    ];
    return pieces.slice(0, 2 + parts * 2).join('');
  });

describe('date and time scans equal the regular expressions they replaced', () => {
  test('timeOfDay and dayOf on dateTimes of every shape', () => {
    fc.assert(
      fc.property(dateTimeText, (text) => {
        expect(timeOfDay(text)).toBe(timeOfDayByRegex(text));
        expect(dayOf(text)).toBe(dayOfByDate(text));
      }),
      { numRuns: 20_000 },
    );
  });

  test('timeOfDay on edge cases', () => {
    for (const v of [
      '2024-03-04T23:59:59.999Z',
      '2024-03-04T24:00:00Z',
      '2024-03-04T23:59:60',
      '2024-03-04T10:20',
      '2024-03-04T10:20:3',
      '2024-03-04T10:20:30.',
      '2024-03-04T10:20:30.5',
      '2024-03-04T10:20:30.05',
      '2024-03-04T10:20:30.1234',
      '2024-03-04T99:99:99.999',
      ' 2024-03-04T10:20:30Z ',
      '\u20282024-03-04T10:20:30Z',
      '2024-03-04',
      '2024-03',
      '2024-3-04T10:20',
      '2024-03-04t10:20',
      '',
      'T10:20',
    ]) {
      expect([v, timeOfDay(v)]).toEqual([v, timeOfDayByRegex(v)]);
      expect([v, dayOf(v)]).toEqual([v, dayOfByDate(v)]);
    }
  });

  test('monthsBefore equals the Date form, years 0000–9999 and outside, including the 0–99 quirk', () => {
    const day = fc.oneof(
      fc.integer({ min: -719_528, max: 2_932_896 }),
      fc.integer({ min: -719_528, max: -680_000 }),
      fc.integer({ min: -1_000_000, max: 3_000_000 }),
    );
    const months = fc.oneof(
      fc.integer({ min: 0, max: 600 }),
      fc.integer({ min: 0, max: 13_000 }),
      fc.constantFrom(0, 1, 6, 9, 12, 24),
    );
    fc.assert(
      fc.property(day, months, (d, m) => {
        expect(monthsBefore(d, m)).toBe(monthsBeforeByDate(d, m));
      }),
      { numRuns: 20_000 },
    );
    for (const d of [
      0,
      -1,
      1.5,
      NaN,
      -719_528,
      -719_529,
      2_932_896,
      2_932_897,
      dayOfByDate('2024-02-29')!,
      dayOfByDate('2024-03-31')!,
    ]) {
      for (const m of [0, 1, 12, 24, 1.5, -1, 12_001])
        expect([d, m, monthsBefore(d, m)]).toEqual([d, m, monthsBeforeByDate(d, m)]);
    }
  });

  test('wholeYears equals the Date form', () => {
    const day = fc.integer({ min: -800_000, max: 3_000_000 });
    fc.assert(
      fc.property(day, day, (b, a) => {
        expect(wholeYears(b, a)).toBe(wholeYearsByDate(b, a));
      }),
      { numRuns: 20_000 },
    );
    const feb29 = dayOfByDate('2000-02-29')!;
    for (const at of [feb29 + 365, feb29 + 366, feb29 + 365 * 4 + 1, 0.5])
      expect(wholeYears(feb29, at)).toBe(wholeYearsByDate(feb29, at));
  });
});

// ---------------------------------------------------------------- value sets

/** `lookup` as it was written before: a `system|code` key, then the prefix rules. */
function lookupByStringKey(name: ValueSetName, system: unknown, code: unknown): Concept | PrefixRule | undefined {
  if (typeof system !== 'string' || typeof code !== 'string' || !system || !code) return undefined;
  const sys = canonicalSystem(system);
  const norm = (s: string, c: string) => {
    const u = c.trim().toUpperCase();
    return s === SYSTEMS.icd10cm ? u.replace(/\./g, '') : u;
  };
  const key = `${sys}|${norm(sys, code)}`;
  const hit = concepts(name)
    .filter((c) => `${c.system}|${norm(c.system, c.code)}` === key)
    .at(-1);
  if (hit) return hit;
  return prefixes(name).find((p) => p.system === sys && norm(sys, code).startsWith(norm(sys, p.prefix)));
}

describe('value-set lookups by system and code', () => {
  const known: [string, string][] = [];
  for (const vs of VALUE_SET_NAMES) {
    for (const c of concepts(vs)) known.push([c.system, c.code]);
    for (const p of prefixes(vs)) known.push([p.system, `${p.prefix}.1XA`]);
  }
  const variants = ([system, code]: [string, string]): [unknown, unknown][] => [
    [system, code],
    [` ${system} `, ` ${code.toLowerCase()} `],
    [system, code.replace(/\./g, '')],
    [system, `${code}x`],
    [`${system}|${code}`, code],
    [system, `${code}|`],
    [`${system}|`, code],
    [system.slice(0, -3), code],
    ['', code],
    [system, ''],
    [42, code],
    [system, ['x']],
  ];

  test('lookup, lookupKey and conceptsFor find what the `system|code` keys found', () => {
    for (const probe of known) {
      for (const [s, c] of variants(probe)) {
        const key = codeKey(s, c);
        for (const vs of VALUE_SET_NAMES) {
          const expected = lookupByStringKey(vs, s, c);
          expect(lookup(vs, s as string, c as string)).toBe(expected);
          expect(key ? lookupKey(vs, key) : undefined).toBe(expected);
        }
        expect(conceptsFor(s as string, c as string)).toEqual(
          VALUE_SET_NAMES.map((vs) => lookupByStringKey(vs, s, c)).filter(isConcept),
        );
      }
    }
  });

  test('lookups on random text', () => {
    const systems = fc.constantFrom(
      ...new Set(known.map(([s]) => s)),
      'urn:x',
      ' http://loinc.org',
      'http://loinc.org|',
    );
    fc.assert(
      fc.property(
        systems,
        fc.oneof(fc.string({ maxLength: 8 }), fc.constantFrom(...known.map(([, c]) => c))),
        (s, c) => {
          for (const vs of VALUE_SET_NAMES) expect(lookup(vs, s, c)).toBe(lookupByStringKey(vs, s, c));
        },
      ),
      { numRuns: 1_000 },
    );
  });
});

// ---------------------------------------------------------------- readers

describe('FHIR readers', () => {
  const junk = fc.oneof(
    fc.constant(undefined),
    fc.constant(null),
    fc.string({ maxLength: 3 }),
    fc.integer(),
    fc.record({ system: fc.string({ maxLength: 3 }), code: fc.string({ maxLength: 3 }) }),
    fc.array(fc.oneof(fc.constant(null), fc.integer(), fc.record({ code: fc.string({ maxLength: 3 }) })), {
      maxLength: 4,
    }),
  );

  test('codingsOf and asArray read what the copying forms read', () => {
    const asArrayByCopy = (x: unknown) => (Array.isArray(x) ? x : x === undefined || x === null ? [] : [x]);
    fc.assert(
      fc.property(junk, fc.boolean(), (coding, wrap) => {
        const cc = wrap ? { coding } : coding;
        const expected =
          !cc || typeof cc !== 'object'
            ? []
            : asArrayByCopy((cc as { coding?: unknown }).coding).filter((c) => typeof c === 'object' && c !== null);
        expect([...codingsOf(cc as never)]).toEqual(expected);
        expect([...asArray<unknown>(coding)]).toEqual(asArrayByCopy(coding));
      }),
      { numRuns: 3_000 },
    );
  });

  test('containsWord and containsWholeWord match as their regex tests did', () => {
    const byRegex = (text: string, word: string, whole: boolean) => {
      let from = 0;
      for (;;) {
        const i = text.indexOf(word, from);
        if (i < 0) return false;
        const startOk = i === 0 || !/[a-z0-9]/.test(text[i - 1]!);
        const endOk = !whole || i + word.length >= text.length || !/[a-z0-9]/.test(text[i + word.length]!);
        if (startOk && endOk) return true;
        from = i + 1;
      }
    };
    const chars = fc.constantFrom(
      'p',
      'o',
      ' ',
      '-',
      '.',
      'a',
      'z',
      '0',
      '9',
      'A',
      'Z',
      'é',
      '_',
      '/',
      '`',
      '{',
      '\u00a0',
    );
    const text = fc.array(chars, { maxLength: 12 }).map((a) => a.join(''));
    const word = fc.constantFrom('po', 'p.o.', 'oral', 'a', 'z0');
    fc.assert(
      fc.property(text, word, (t, w) => {
        expect(containsWord(t, w)).toBe(byRegex(t, w, false));
        expect(containsWholeWord(t, w)).toBe(byRegex(t, w, true));
      }),
      { numRuns: 10_000 },
    );
  });
});

// ---------------------------------------------------------------- the Observation index

/**
 * The Observation index's order as it was computed before: one sort string per filed result,
 * `timeKey|reference#index` (+ `/component`), compared after the day.
 */
function indexByOrderStrings(
  observations: readonly Observation[],
): Map<string, { reference: string; code: string; day: number; value?: number }[]> {
  const DAY_MS = 86_400_000;
  const filed = new Map<string, { reference: string; code: string; day: number; value?: number; order: string }[]>();
  const seen = new Set<string>();
  const isString = (x: unknown): x is string => typeof x === 'string' && x.length > 0;
  const file = (
    coding: Coding[] | undefined,
    day: number,
    reference: string,
    order: string,
    value: number | undefined,
  ) => {
    const done = new Set<string>();
    for (const c of asArray(coding).filter((x) => typeof x === 'object' && x !== null)) {
      for (const vs of OBSERVATION_VALUE_SETS) {
        const hit = lookup(vs, c.system, c.code);
        if (!isConcept(hit) || done.has(vs)) continue;
        done.add(vs);
        const list = filed.get(vs) ?? [];
        filed.set(vs, list);
        const p: { reference: string; code: string; day: number; value?: number; order: string } = {
          reference,
          code: hit.code,
          day,
          order,
        };
        if (value !== undefined) p.value = value;
        list.push(p);
      }
    }
  };
  const numeric = (q: { value?: unknown } | undefined) =>
    q && typeof q.value === 'number' && Number.isFinite(q.value) ? q.value : undefined;
  observations.forEach((o, i) => {
    if (!['final', 'amended', 'corrected'].includes(String(o.status))) return;
    const reference = isString(o.id) ? `Observation/${o.id}` : 'Observation';
    if (isString(o.id)) {
      if (seen.has(o.id)) return;
      seen.add(o.id);
    }
    const dates = [o.effectiveDateTime, o.effectivePeriod?.start, o.effectivePeriod?.end, o.effectiveInstant, o.issued];
    const date = dates.find((v) => dayOfByDate(v) !== undefined);
    if (date === undefined) return;
    const day = dayOfByDate(date)!;
    const time = timeOfDayByRegex(date);
    const timeKey = String(time === undefined ? DAY_MS : DAY_MS - 1 - time).padStart(8, '0');
    const order = `${timeKey}|${reference}#${isString(o.id) ? '' : pad(i, 6)}`;
    file(o.code?.coding, day, reference, order, numeric(o.valueQuantity));
    asArray(o.component).forEach((c, j) =>
      file(c.code?.coding, day, reference, `${order}/${pad(j, 3)}`, numeric(c.valueQuantity)),
    );
  });
  const out = new Map<string, { reference: string; code: string; day: number; value?: number }[]>();
  for (const [vs, list] of filed) {
    list.sort((a, b) => b.day - a.day || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    out.set(
      vs,
      list.map(({ order: _order, ...p }) => p),
    );
  }
  return out;
}

describe('the Observation index', () => {
  const obsCodes = OBSERVATION_VALUE_SETS.flatMap((vs) =>
    concepts(vs).map((c) => ({ system: c.system, code: c.code })),
  );
  // Few days, times and ids, so that many results share a day, an instant or an id.
  const when = fc.oneof(
    fc.constantFrom('2024-03-04', '2024-03', '2024-03-05', 'garbage', ''),
    fc
      .tuple(
        fc.constantFrom('2024-03-04', '2024-03-05'),
        fc.constantFrom('T10:20', 'T10:20:30', 'T10:20:30.5', 'T23:59:59.999', 'T00:00', 'T25:00'),
        fc.constantFrom('Z', '+02:00', ''),
      )
      .map((p) => p.join('')),
  );
  const coding = fc.oneof(
    fc.constantFrom(...obsCodes),
    fc.record({ system: fc.constant('urn:x'), code: fc.constant('1') }),
  );
  const observation = fc.record(
    {
      resourceType: fc.constant('Observation' as const),
      id: fc.option(fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'a b', 'a#'), { nil: undefined }),
      status: fc.constantFrom('final', 'amended', 'preliminary') as fc.Arbitrary<Observation['status']>,
      code: fc.record({ coding: fc.array(coding, { maxLength: 3 }) }),
      effectiveDateTime: fc.option(when, { nil: undefined }),
      effectivePeriod: fc.option(
        fc.record(
          { start: fc.option(when, { nil: undefined }), end: fc.option(when, { nil: undefined }) },
          { requiredKeys: [] },
        ),
        { nil: undefined },
      ),
      issued: fc.option(when, { nil: undefined }),
      valueQuantity: fc.option(fc.record({ value: fc.integer({ min: 0, max: 9 }) }), { nil: undefined }),
      component: fc.option(
        fc.array(
          fc.record({
            code: fc.record({ coding: fc.array(coding, { maxLength: 2 }) }),
            valueQuantity: fc.record({ value: fc.integer({ min: 10, max: 19 }) }),
          }),
          { maxLength: 3 },
        ),
        { nil: undefined },
      ),
    },
    { requiredKeys: ['resourceType', 'status', 'code'] },
  );

  test('files and orders results as the sort strings did', () => {
    fc.assert(
      fc.property(fc.array(observation, { maxLength: 40 }), (observations) => {
        const index = new ObservationIndex(observations as Observation[]);
        const expected = indexByOrderStrings(observations as Observation[]);
        for (const vs of OBSERVATION_VALUE_SETS) {
          const got = index.get(vs).map((p) => {
            const x: { reference: string; code: string; day: number; value?: number } = {
              reference: p.reference,
              code: p.concept.code,
              day: p.day,
            };
            if (p.quantity) x.value = p.quantity.value!;
            return x;
          });
          expect(got).toEqual(expected.get(vs) ?? []);
        }
      }),
      { numRuns: 2_000 },
    );
  });

  test('long lists (the built-in sort) order as the sort strings did', () => {
    const many = Array.from({ length: 90 }, (_, i) => ({
      resourceType: 'Observation' as const,
      ...(i % 3 ? { id: `o${(i * 37) % 90}` } : {}),
      status: 'final' as const,
      code: { coding: [{ system: 'http://loinc.org', code: '2243-4' }] },
      effectiveDateTime: `2024-03-${pad(1 + ((i * 7) % 5), 2)}${i % 4 ? `T${pad((i * 5) % 24, 2)}:00` : ''}`,
      valueQuantity: { value: i },
    }));
    const got = new ObservationIndex(many).get('estradiol').map((p) => p.quantity?.value);
    expect(got).toEqual(
      indexByOrderStrings(many)
        .get('estradiol')!
        .map((p) => p.value),
    );
  });
});
