/**
 * The text formatting of cards was made cheaper: numbers skip a string round trip when
 * they have at most two decimals, Markdown escaping skips the replace when there is nothing to
 * escape, and value-set codes are formatted once at load. Each must print what the plain forms
 * they replaced printed.
 */
import fc from 'fast-check';
import { codeText, md, medicationText, num, sourceText } from '../../src/cards/format.js';
import { concepts, VALUE_SET_NAMES } from '../../src/core/valuesets/index.js';

const MINUS = '\u2212';

/** num as it was written before. */
function numBefore(v: number): string {
  const s = Number.isInteger(v) ? String(v) : String(Number(v.toFixed(2)));
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** md as it was written before. */
const mdBefore = (text: string) => text.replace(/[\\`*_[\]<>#|]/g, (c) => `\\${c}`);

/** sourceText as it was written before. */
function sourceBefore(p: { reference: string; code?: { system: string; code: string; display: string } }): string {
  const code = codeText(p.code);
  return `(${mdBefore(p.reference)}${code ? `; ${mdBefore(code)}` : ''})`;
}

describe('num', () => {
  test('equals the toFixed round trip for any double', () => {
    fc.assert(
      fc.property(fc.double(), (v) => {
        expect(num(v)).toBe(numBefore(v));
      }),
      { numRuns: 20_000 },
    );
  });

  test('equals it for measurement-like values and the edges of the fast path', () => {
    const values = [
      0,
      -0,
      0.1,
      0.29,
      -2.1,
      -2.05,
      1.005,
      1.255,
      7.534999,
      9.32,
      0.86,
      74,
      1e-7,
      1.5e-7,
      1e21,
      123456789.12,
      2 ** 46 + 0.015625,
      2 ** 52 - 0.5,
      NaN,
      Infinity,
      -Infinity,
    ];
    for (const v of values) expect(num(v)).toBe(numBefore(v));
    fc.assert(
      fc.property(fc.integer({ min: -100_000, max: 100_000 }), fc.integer({ min: 0, max: 4 }), (n, digits) => {
        const v = n / 10 ** digits;
        expect(num(v)).toBe(numBefore(v));
      }),
      { numRuns: 20_000 },
    );
  });
});

describe('Markdown escaping', () => {
  test('md equals the escaping replace', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({
            unit: fc.constantFrom('a', ' ', '\\', '`', '*', '_', '[', ']', '<', '>', '#', '|', '\u2212', '$', '&'),
          }),
        ),
        (s) => {
          expect(md(s)).toBe(mdBefore(s));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  test('source texts of every value-set code, and of codes outside them, equal the plain formatting', () => {
    const codes = VALUE_SET_NAMES.flatMap((n) =>
      concepts(n).map((c) => ({ system: c.system, code: c.code, display: c.display })),
    );
    expect(codes.length).toBeGreaterThan(100);
    const others = [
      { system: 'http://loinc.org', code: '38267-1', display: 'Another display [with brackets]' },
      { system: 'urn:other', code: 'x*y', display: 'a_b' },
      ...codes.slice(0, 20).map((c) => ({ ...c, display: `${c.display} <changed>` })),
    ];
    for (const code of [...codes, ...others]) {
      for (const reference of ['Observation/o-1', 'Observation/a_b*c', 'Condition']) {
        expect(sourceText({ reference, code })).toBe(sourceBefore({ reference, code }));
      }
    }
    expect(sourceText({ reference: 'Observation/x' })).toBe(sourceBefore({ reference: 'Observation/x' }));
  });

  test('medication texts with and without a coding', () => {
    const base = {
      reference: 'MedicationRequest/m_1',
      resourceType: 'MedicationRequest' as const,
      status: 'active',
      matchedBy: 'code' as const,
      label: 'Anastrozole [1 mg]',
    };
    expect(medicationText(base)).toBe(
      `${mdBefore(base.label)} (active) ${sourceBefore({ reference: base.reference })}`,
    );
    const coding = {
      system: 'http://www.nlm.nih.gov/research/umls/rxnorm',
      code: '199224',
      display: 'anastrozole 1 MG Oral Tablet',
    };
    expect(medicationText({ ...base, coding })).toBe(
      `${mdBefore(base.label)} (active) ${sourceBefore({ reference: base.reference, code: coding })}`,
    );
  });
});
