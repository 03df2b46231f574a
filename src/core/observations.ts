/**
 * One pass over the Observations: each counted result (status final/amended/corrected, rules.md
 * §2) is filed under every value set its code (or a component's code) belongs to, latest first.
 */
import type { Coding, Observation, ObservationComponent, Quantity as FhirQuantity } from 'fhir/r4.js';
import { dayOf, isoDay, type DayNumber } from './dates.js';
import { asArray, codingsOf, isString } from './fhir-read.js';
import type { Measurement, Provenance } from './types.js';
import { conceptsFor, type Concept, type ValueSetName } from './valuesets/index.js';
import type { Quantity } from './units.js';

/** DXA results: BMD, T-score and Z-score at every site (rules.md §2 lastDxa, minT, BMD loss). */
export const DXA_OBSERVATION_VALUE_SETS = ['dxa-bmd', 'dxa-t-score', 'dxa-z-score'] as const satisfies readonly ValueSetName[];

/** Every other observation a rule reads (rules.md §2 risk factors and safety facts). */
export const LAB_OBSERVATION_VALUE_SETS = [
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

/** The FHIR layer fetches exactly these (src/fhir/queries.ts), so facts and queries cannot drift. */
export const OBSERVATION_VALUE_SETS = [
  ...DXA_OBSERVATION_VALUE_SETS,
  'dxa-procedures',
  ...LAB_OBSERVATION_VALUE_SETS,
] as const satisfies readonly ValueSetName[];
export type ObservationValueSet = (typeof OBSERVATION_VALUE_SETS)[number];

const OBSERVATION_SET: ReadonlySet<string> = new Set(OBSERVATION_VALUE_SETS);
function isObservationValueSet(vs: string): vs is ObservationValueSet {
  return OBSERVATION_SET.has(vs);
}

const COUNTED_STATUSES = new Set(['final', 'amended', 'corrected']);

export interface ObsPoint {
  concept: Concept;
  day: DayNumber;
  reference: string;
  /**
   * Tie-break for results on the same day: the later time of day first (a date without a time
   * counts as the start of its day), then the resource reference; stable, independent of array order.
   */
  order: string;
  quantity?: FhirQuantity;
  answer?: Coding[];
}

const TIME_RE = /^\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?/;
const DAY_MS = 86_400_000;

/** Milliseconds into the day of a dateTime/instant as written (zone ignored, like `dayOf`); none for a date. */
function timeOfDay(value: string): number | undefined {
  const m = TIME_RE.exec(value.trim());
  if (!m) return undefined;
  const ms = ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
  return ms < DAY_MS ? ms : undefined;
}

type When = { day: DayNumber; time: number | undefined };

function when(value: string | undefined): When | undefined {
  const day = dayOf(value);
  return day === undefined ? undefined : { day, time: timeOfDay(value!) };
}

/** The day and time of a result: the first of effectiveDateTime, effectivePeriod, effectiveInstant, issued that parses. */
function observationWhen(o: Observation): When | undefined {
  return (
    when(o.effectiveDateTime) ??
    when(o.effectivePeriod?.start) ??
    when(o.effectivePeriod?.end) ??
    when(o.effectiveInstant) ??
    when(o.issued)
  );
}

/** Sorts ascending so that a later time of day comes first; a date alone sorts after every time. */
function timeKey(time: number | undefined): string {
  return String(time === undefined ? DAY_MS : DAY_MS - 1 - time).padStart(8, '0');
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
      const when = observationWhen(o);
      if (when === undefined) return;
      const day = when.day;
      const order = `${timeKey(when.time)}|${reference}#${isString(o.id) ? '' : String(i).padStart(6, '0')}`;
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
    let ans: Coding[] | undefined;
    for (const c of codingsOf({ coding })) {
      // One read for all value sets (a per-set lookup here was the hottest path of a request).
      for (const hit of conceptsFor(c.system, c.code)) {
        const vs = hit.valueSet;
        if (!isObservationValueSet(vs) || filed.has(vs)) continue;
        filed.add(vs);
        const p: ObsPoint = { concept: hit, day, reference, order };
        if (quantity) p.quantity = quantity;
        ans ??= asArray(answer).filter((a) => typeof a === 'object' && a !== null);
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
