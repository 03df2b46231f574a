/**
 * One pass over the Observations: each counted result (status final/amended/corrected, rules.md
 * §2) is filed under every value set its code (or a component's code) belongs to, latest first.
 */
import type { Coding, Observation, ObservationComponent, Quantity as FhirQuantity } from 'fhir/r4.js';
import { dayOf, isoDay, type DayNumber } from './dates.js';
import { asArray, codingsOf, isString } from './fhir-read.js';
import type { Measurement, Provenance } from './types.js';
import { isConcept, lookup, type Concept, type ValueSetName } from './valuesets/index.js';
import type { Quantity } from './units.js';

export const OBSERVATION_VALUE_SETS = [
  'dxa-bmd',
  'dxa-t-score',
  'dxa-z-score',
  'dxa-procedures',
  'estradiol',
  'bmi',
  'body-weight',
  'body-height',
  'smoking-status',
  'vitamin-d-25oh',
  'calcium-serum',
  'albumin',
  'egfr',
] as const satisfies readonly ValueSetName[];
export type ObservationValueSet = (typeof OBSERVATION_VALUE_SETS)[number];

const COUNTED_STATUSES = new Set(['final', 'amended', 'corrected']);

export interface ObsPoint {
  concept: Concept;
  day: DayNumber;
  reference: string;
  /** Tie-break for results on the same day: stable, input-independent of array order. */
  order: string;
  quantity?: FhirQuantity;
  answer?: Coding[];
}

function observationDay(o: Observation): DayNumber | undefined {
  return (
    dayOf(o.effectiveDateTime) ??
    dayOf(o.effectivePeriod?.start) ??
    dayOf(o.effectivePeriod?.end) ??
    dayOf(o.effectiveInstant) ??
    dayOf(o.issued)
  );
}

function numericQuantity(q: FhirQuantity | undefined): FhirQuantity | undefined {
  return q && typeof q === 'object' && typeof q.value === 'number' && Number.isFinite(q.value) ? q : undefined;
}

export class ObservationIndex {
  private readonly points = new Map<ObservationValueSet, ObsPoint[]>();

  constructor(observations: readonly Observation[]) {
    const seen = new Set<string>();
    observations.forEach((o, i) => {
      if (!o || typeof o !== 'object' || o.resourceType !== 'Observation') return;
      if (!COUNTED_STATUSES.has(String(o.status))) return;
      const reference = isString(o.id) ? `Observation/${o.id}` : 'Observation';
      // The same result may arrive twice (DXA and lab queries overlap): count it once.
      if (isString(o.id)) {
        if (seen.has(o.id)) return;
        seen.add(o.id);
      }
      const day = observationDay(o);
      if (day === undefined) return;
      const order = `${reference}#${isString(o.id) ? '' : String(i).padStart(6, '0')}`;
      this.file(o.code?.coding, day, reference, order, numericQuantity(o.valueQuantity), o.valueCodeableConcept?.coding);
      asArray(o.component).forEach((c: ObservationComponent, j) => {
        if (!c || typeof c !== 'object') return;
        this.file(
          c.code?.coding,
          day,
          reference,
          `${order}/${String(j).padStart(3, '0')}`,
          numericQuantity(c.valueQuantity),
          c.valueCodeableConcept?.coding,
        );
      });
    });
    for (const list of this.points.values()) {
      list.sort((a, b) => b.day - a.day || (a.order < b.order ? -1 : a.order > b.order ? 1 : 0));
    }
  }

  private file(
    coding: Coding[] | undefined,
    day: DayNumber,
    reference: string,
    order: string,
    quantity: FhirQuantity | undefined,
    answer: Coding[] | undefined,
  ): void {
    const filed = new Set<ObservationValueSet>();
    for (const c of codingsOf({ coding })) {
      for (const vs of OBSERVATION_VALUE_SETS) {
        if (filed.has(vs)) continue;
        const hit = lookup(vs, c.system, c.code);
        if (!isConcept(hit)) continue;
        filed.add(vs);
        const p: ObsPoint = { concept: hit, day, reference, order };
        if (quantity) p.quantity = quantity;
        const ans = asArray(answer).filter((a) => typeof a === 'object' && a !== null);
        if (ans.length) p.answer = ans;
        let list = this.points.get(vs);
        if (!list) this.points.set(vs, (list = []));
        list.push(p);
      }
    }
  }

  /** Counted results of a value set, latest first. */
  get(vs: ObservationValueSet): readonly ObsPoint[] {
    return this.points.get(vs) ?? [];
  }
}

export function provenanceOf(p: ObsPoint): Provenance {
  return {
    reference: p.reference,
    code: { system: p.concept.system, code: p.concept.code, display: p.concept.display },
    date: isoDay(p.day),
  };
}

/**
 * A numeric result normalised to the rule's unit, or undefined when its unit is not understood.
 * A missing unit is read as the unit the code is normally reported in.
 */
export function measure(
  p: ObsPoint,
  normalise: (value: number, unit: string | undefined) => Quantity | undefined,
): Measurement | undefined {
  const q = p.quantity;
  if (!q || typeof q.value !== 'number') return undefined;
  const reportedUnit = isString(q.code) ? q.code : isString(q.unit) ? q.unit : p.concept.unit;
  const n = normalise(q.value, reportedUnit);
  if (!n) return undefined;
  const m: Measurement = { value: n.value, date: isoDay(p.day), source: provenanceOf(p) };
  if (n.unit) m.unit = n.unit;
  if (q.comparator) m.comparator = q.comparator;
  if (n.value !== q.value && isString(reportedUnit)) {
    m.reported = { value: q.value, unit: isString(q.unit) ? q.unit : reportedUnit };
  }
  return m;
}
