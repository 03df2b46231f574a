/**
 * Properties of reading values as EHRs send them (docs/clinical-logic.md#reading-values): a number
 * sent as text gives the same answer as the same number sent as a quantity, and every unit
 * conversion goes back to where it started.
 */
import fc from 'fast-check';
import type { Observation } from 'fhir/r4.js';
import { defaultPolicy } from '../../src/core/index.js';
import { numericString } from '../../src/core/observations.js';
import * as units from '../../src/core/units.js';
import { evaluateScenario, LOINC, nextId, patient, quiet, type Scenario } from './support/builders.js';

function obs(
  code: string,
  value: Pick<Observation, 'valueQuantity' | 'valueString'>,
  date = '2025-05-01',
): Observation {
  return {
    resourceType: 'Observation',
    id: nextId('p'),
    status: 'final',
    code: { coding: [{ system: LOINC, code }] },
    effectiveDateTime: date,
    ...value,
  };
}

/** The way a lab writes a number: plain, with a Unicode minus, padded. */
const asText = (v: number, style: number) => {
  const s = String(v);
  if (style === 1) return s.replace('-', '\u2212');
  if (style === 2) return `  ${s} `;
  return s;
};

const tenths = (lo: number, hi: number) => fc.integer({ min: lo * 10, max: hi * 10 }).map((n) => n / 10);

describe('a numeric string reads as the quantity it names', () => {
  test('T-score, eGFR and estradiol: the same recommendations either way', () => {
    fc.assert(
      fc.property(
        tenths(-5, 2),
        tenths(5, 120),
        tenths(1, 60),
        fc.integer({ min: 0, max: 2 }),
        fc.boolean(),
        (t, gfr, e2, style, man) => {
          const sent = (asString: boolean): Scenario => {
            const number = (code: string, v: number, unit?: string) =>
              obs(
                code,
                asString
                  ? { valueString: `${asText(v, style)}${unit ? ` ${unit}` : ''}` }
                  : { valueQuantity: { value: v, ...(unit && { unit }) } },
              );
            return {
              name: 'p',
              patient: patient({ sex: man ? 'male' : 'female', birthDate: '1950-01-01' }),
              resources: [
                ...quiet(['dxa']),
                number('38264-8', t),
                number('98979-8', gfr, 'mL/min/{1.73_m2}'),
                number('2243-4', e2, 'pg/mL'),
              ],
              expect: [],
            };
          };
          const q = evaluateScenario(sent(false));
          const s = evaluateScenario(sent(true));
          expect(s.recommendations.map((r) => `${r.topic}:${r.indicator}`)).toEqual(
            q.recommendations.map((r) => `${r.topic}:${r.indicator}`),
          );
          expect(s.facts.minT?.value).toBe(t);
          expect(s.facts.safety.egfr?.value).toBe(gfr);
          expect(s.facts.estradiol?.value).toBe(e2);
          expect(s.facts.ignored).toBeUndefined();
        },
      ),
      { numRuns: 150 },
    );
  });

  test('a comparator survives the text form', () => {
    fc.assert(
      fc.property(fc.constantFrom('<', '<=', '>', '>='), tenths(0, 200), (cmp, v) => {
        expect(numericString(`${cmp} ${v} pg/mL`)).toEqual({ value: v, comparator: cmp, unit: 'pg/mL' });
        expect(numericString(`${cmp}${v}`)).toEqual({ value: v, comparator: cmp });
      }),
    );
  });

  test('text that is not a number is not read as one', () => {
    for (const t of ['positive', 'see report', '5-10', '1e5', '', '--2', 'n/a 5'])
      expect(numericString(t)).toBeUndefined();
  });
});

describe('unit conversions round-trip', () => {
  const close = (a: number | undefined, b: number) =>
    expect(Math.abs((a ?? NaN) - b)).toBeLessThan(1e-9 * Math.max(1, Math.abs(b)));
  const positive = fc.double({ min: 0.01, max: 5000, noNaN: true });

  test.each([
    [
      'estradiol pmol/L',
      (v: number) =>
        units.estradiolPgMl(
          v * defaultPolicy.estradiol.pmolPerLPerPgMl,
          'pmol/L',
          defaultPolicy.estradiol.pmolPerLPerPgMl,
        ),
    ],
    [
      'estradiol pmol/mL',
      (v: number) =>
        units.estradiolPgMl(
          (v * defaultPolicy.estradiol.pmolPerLPerPgMl) / 1000,
          'pmol/mL',
          defaultPolicy.estradiol.pmolPerLPerPgMl,
        ),
    ],
    ['vitamin D nmol/L', (v: number) => units.vitaminDNgMl(v * 2.496, 'nmol/L')],
    ['calcium mmol/L', (v: number) => units.calciumMgDl(v * 0.2495, 'mmol/L')],
    ['albumin g/L', (v: number) => units.albuminGdl(v * 10, 'g/L')],
    ['BMD mg/cm2', (v: number) => units.bmdGcm2(v * 1000, 'mg/cm2')],
    ['weight lb', (v: number) => units.weightKg(v / 0.45359237, '[lb_av]')],
    ['height in', (v: number) => units.heightCm(v / 2.54, '[in_i]')],
  ] as const)('%s back to the rule unit', (_name, convert) => {
    fc.assert(fc.property(positive, (v) => close(convert(v)?.value, v)));
  });
});
