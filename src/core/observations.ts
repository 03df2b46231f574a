/**
 * One pass over the Observations: each counted result (status final/amended/corrected, docs/clinical-logic.md#facts
 * §2) is filed under every value set its code (or a component's code) belongs to, latest first.
 */
import type { CodeableConcept, Coding, Observation, ObservationComponent, Quantity as FhirQuantity } from 'fhir/r4.js';
import { dayOf, isoDay, timeOfDay, type DayNumber } from './dates.js';
import { asArray, codingsOf, isString, referenceOf } from './fhir-read.js';
import type { Measurement, Provenance } from './types.js';
import { conceptsFor, type Concept, type ValueSetName } from './valuesets/index.js';
import type { Quantity } from './units.js';

/** DXA results: BMD, T-score and Z-score at every site (docs/clinical-logic.md#dxa lastDxa, minT, BMD loss). */
export const DXA_OBSERVATION_VALUE_SETS = [
  'dxa-bmd',
  'dxa-t-score',
  'dxa-z-score',
] as const satisfies readonly ValueSetName[];

/** Every other observation a rule reads (docs/clinical-logic.md#risk-factors and #safety). */
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
  quantity?: FhirQuantity;
  answer?: readonly Coding[];
  /** Neither a number nor a coded answer could be read: the text sent, or '' when no value was sent. */
  unreadable?: string;
}

/** A result of a value set left out because of its status (docs/clinical-logic.md#reading-values). */
export interface StatusIgnored {
  concept: Concept;
  reference: string;
  status: string;
  day?: DayNumber;
}

const DAY_MS = 86_400_000;

/**
 * Where a filed point comes from: one Observation, or one of its components; shared by every point
 * filed from it. It holds what orders results of the same day: the later time of day first (a date
 * without a time counts as the start of its day), then the resource reference; stable, independent
 * of array order. The time and the tie-break text are read only when two results share a day (see
 * `latestFirst`): most never do.
 */
interface Origin {
  day: DayNumber;
  /** The date the day was read from (see `originOf`). */
  date: string;
  reference: string;
  /** Position in the input of an Observation without an id (-1 when it has one). */
  index: number;
  /** Position of the component (-1 for the Observation's own code). */
  component: number;
  /** See `timeRankOf` (undefined until read). */
  timeRank: number | undefined;
  /** See `tieOf` (undefined until made). */
  tie: string | undefined;
}

interface FiledPoint extends ObsPoint {
  origin: Origin;
}

/**
 * When a result was taken: the first of effectiveDateTime, effectivePeriod (start, then end),
 * effectiveInstant and issued whose day parses. No date → the result is not used.
 */
function originOf(o: Observation, reference: string, index: number): Origin | undefined {
  const period = o.effectivePeriod;
  let date = o.effectiveDateTime;
  let day = dayOf(date);
  if (day === undefined) day = dayOf((date = period?.start));
  if (day === undefined) day = dayOf((date = period?.end));
  if (day === undefined) day = dayOf((date = o.effectiveInstant));
  if (day === undefined) day = dayOf((date = o.issued));
  if (day === undefined) return undefined;
  return { day, date: date!, reference, index, component: -1, timeRank: undefined, tie: undefined };
}

/** The origin of one component: its Observation's, with the component's position. */
function componentOrigin(of: Origin, component: number): Origin {
  return {
    day: of.day,
    date: of.date,
    reference: of.reference,
    index: of.index,
    component,
    timeRank: undefined,
    tie: undefined,
  };
}

/** Sorts ascending so that a later time of day comes first; a date alone (DAY_MS) sorts after every time. */
function timeRankOf(o: Origin): number {
  if (o.timeRank === undefined) {
    const time = timeOfDay(o.date);
    o.timeRank = time === undefined ? DAY_MS : DAY_MS - 1 - time;
  }
  return o.timeRank;
}

/**
 * Results at the same instant compare by `reference#index/component` as text (index and component
 * zero-padded to 6 and 3 digits, each only when present), as the whole sort key once was.
 */
function tieOf(o: Origin): string {
  o.tie ??=
    `${o.reference}#${o.index < 0 ? '' : String(o.index).padStart(6, '0')}` +
    (o.component < 0 ? '' : `/${String(o.component).padStart(3, '0')}`);
  return o.tie;
}

function latestFirst(a: FiledPoint, b: FiledPoint): number {
  if (a.day !== b.day) return b.day - a.day;
  const ta = timeRankOf(a.origin);
  const tb = timeRankOf(b.origin);
  if (ta !== tb) return ta - tb;
  const x = tieOf(a.origin);
  const y = tieOf(b.origin);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * Sorts a value set's results latest first. The lists are short and usually arrive in date order:
 * an insertion sort then takes about one comparison per result and allocates nothing, where
 * Array.prototype.sort sets up its merge state for every list. Long lists use the built-in sort.
 * Both are stable, so they give the same order.
 */
function sortLatestFirst(list: FiledPoint[]): void {
  if (list.length > 32) {
    list.sort(latestFirst);
    return;
  }
  for (let i = 1; i < list.length; i++) {
    const p = list[i]!;
    let j = i;
    for (; j > 0 && latestFirst(list[j - 1]!, p) > 0; j--) list[j] = list[j - 1]!;
    list[j] = p;
  }
}

function numericQuantity(q: FhirQuantity | undefined): FhirQuantity | undefined {
  return q && typeof q === 'object' && typeof q.value === 'number' && Number.isFinite(q.value) ? q : undefined;
}

/**
 * A number sent as text, as EHRs do ("-2.6", "−2.6" with a Unicode minus, "< 5", "<5 pg/mL"):
 * an optional comparator, a decimal number, an optional unit. Anything else is not a number
 * (docs/clinical-logic.md#reading-values).
 */
const NUMERIC_STRING = /^\s*(<=|>=|<|>|≤|≥)?\s*([-+−–]?)\s*(\d+(?:\.\d+)?|\.\d+)\s*([A-Za-z%µμ[{][^<>=]*?)?\s*$/;
const COMPARATORS: Record<string, FhirQuantity['comparator']> = {
  '<': '<',
  '<=': '<=',
  '>': '>',
  '>=': '>=',
  '≤': '<=',
  '≥': '>=',
};

export function numericString(text: string | undefined): FhirQuantity | undefined {
  if (typeof text !== 'string' || text.length > 64) return undefined;
  const m = NUMERIC_STRING.exec(text);
  if (!m) return undefined;
  const sign = m[2] === '' || m[2] === '+' ? 1 : -1;
  const value = sign * Number(m[3]);
  if (!Number.isFinite(value)) return undefined;
  const q: FhirQuantity = { value };
  const cmp = m[1] ? COMPARATORS[m[1]] : undefined;
  if (cmp) q.comparator = cmp;
  const unit = m[4]?.trim();
  // "1e5" is an exponent, not a number with the unit "e5": too odd to guess at.
  if (unit && /^e[-+]?\d/i.test(unit)) return undefined;
  if (unit) q.unit = unit;
  return q;
}

type ValueHolder = { valueQuantity?: FhirQuantity; valueString?: string; valueCodeableConcept?: CodeableConcept };

/** The number of a result (valueQuantity, else a numeric valueString), or what could not be read. */
function readValue(x: ValueHolder): { quantity?: FhirQuantity; unreadable?: string } {
  const q = numericQuantity(x.valueQuantity);
  if (q) return { quantity: q };
  const fromText = numericString(x.valueString);
  if (fromText) return { quantity: fromText };
  if (typeof x.valueString === 'string') return { unreadable: x.valueString };
  if (x.valueQuantity && typeof x.valueQuantity === 'object') return { unreadable: '' };
  return {};
}

export class ObservationIndex {
  private readonly points = new Map<ObservationValueSet, FiledPoint[]>();
  private readonly byStatus = new Map<ObservationValueSet, StatusIgnored[]>();

  constructor(observations: readonly Observation[]) {
    const seen = new Set<string>();
    for (let i = 0; i < observations.length; i++) {
      const o = observations[i];
      if (!o || typeof o !== 'object' || o.resourceType !== 'Observation') continue;
      if (!COUNTED_STATUSES.has(String(o.status))) {
        // An entered-in-error result never existed; any other state is named where it would have counted.
        if (o.status !== 'entered-in-error') this.fileIgnored(o, String(o.status ?? 'missing'));
        continue;
      }
      // The same result may arrive twice (DXA and lab queries overlap): count it once.
      if (isString(o.id)) {
        if (seen.has(o.id)) continue;
        seen.add(o.id);
      }
      const reference = referenceOf(o);
      const origin = originOf(o, reference, isString(o.id) ? -1 : i);
      if (origin === undefined) continue;
      this.file(o.code, origin, readValue(o), o.valueCodeableConcept);
      const components = asArray(o.component);
      for (let j = 0; j < components.length; j++) {
        const c: ObservationComponent | undefined = components[j];
        if (!c || typeof c !== 'object') continue;
        this.file(c.code, componentOrigin(origin, j), readValue(c), c.valueCodeableConcept);
      }
    }
    for (const list of this.points.values()) sortLatestFirst(list);
  }

  private fileIgnored(o: Observation, status: string): void {
    const reference = referenceOf(o);
    const day =
      dayOf(o.effectiveDateTime) ?? dayOf(o.effectivePeriod?.start) ?? dayOf(o.effectiveInstant) ?? dayOf(o.issued);
    const codes = [
      ...codingsOf(o.code),
      ...asArray(o.component).flatMap((c) => (c && typeof c === 'object' ? codingsOf(c.code) : [])),
    ];
    const filed = new Set<string>();
    for (const c of codes) {
      for (const hit of conceptsFor(c.system, c.code)) {
        const vs = hit.valueSet;
        if (!isObservationValueSet(vs) || filed.has(vs)) continue;
        filed.add(vs);
        let list = this.byStatus.get(vs);
        if (!list) this.byStatus.set(vs, (list = []));
        list.push({ concept: hit, reference, status, ...(day !== undefined && { day }) });
      }
    }
  }

  private file(
    code: CodeableConcept | undefined,
    origin: Origin,
    value: { quantity?: FhirQuantity; unreadable?: string },
    answer: CodeableConcept | undefined,
  ): void {
    const quantity = value.quantity;
    const answers = codingsOf(answer);
    for (const c of codingsOf(code)) {
      // One read for all value sets (a per-set lookup here was the hottest path of a request).
      for (const hit of conceptsFor(c.system, c.code)) {
        const vs = hit.valueSet;
        if (!isObservationValueSet(vs)) continue;
        let list = this.points.get(vs);
        if (!list) this.points.set(vs, (list = []));
        // Filed once per value set even when several of its codings belong to it: this result's
        // points are the last ones pushed.
        if (list.length > 0 && list[list.length - 1]!.origin === origin) continue;
        const p: FiledPoint = { concept: hit, day: origin.day, reference: origin.reference, origin };
        if (quantity) p.quantity = quantity;
        if (answers.length) p.answer = answers;
        else if (!quantity && value.unreadable !== undefined) p.unreadable = value.unreadable;
        list.push(p);
      }
    }
  }

  /** Results of a value set left out for their status (not final, amended or corrected), in record order. */
  ignoredByStatus(vs: ObservationValueSet): readonly StatusIgnored[] {
    return this.byStatus.get(vs) ?? [];
  }

  /** Counted results of a value set, latest first. */
  get(vs: ObservationValueSet): readonly ObsPoint[] {
    return this.points.get(vs) ?? [];
  }
}

export function provenanceOf(p: ObsPoint, date = isoDay(p.day)): Provenance {
  return {
    reference: p.reference,
    code: { system: p.concept.system, code: p.concept.code, display: p.concept.display },
    date,
  };
}

/**
 * A numeric result normalised to the rule's unit, or undefined when its unit is not understood.
 * A missing unit is read as the unit the code is normally reported in.
 */
/**
 * Why a counted result gives no number for a rule: its value could not be read, or its unit is
 * not one the rule converts (docs/clinical-logic.md#reading-values). Undefined when it is usable.
 */
export function unusable(
  p: ObsPoint,
  normalise: (value: number, unit: string | undefined) => Quantity | undefined,
): { reason: 'unreadable' | 'unit'; detail: string } | undefined {
  const q = p.quantity;
  if (!q || typeof q.value !== 'number') {
    if (p.answer?.length) return { reason: 'unreadable', detail: 'a coded answer, not a number' };
    return { reason: 'unreadable', detail: p.unreadable ? `"${p.unreadable}"` : 'no value' };
  }
  const reportedUnit = isString(q.code) ? q.code : isString(q.unit) ? q.unit : p.concept.unit;
  return normalise(q.value, reportedUnit) ? undefined : { reason: 'unit', detail: reportedUnit ?? 'no unit' };
}

export function measure(
  p: ObsPoint,
  normalise: (value: number, unit: string | undefined) => Quantity | undefined,
): Measurement | undefined {
  const q = p.quantity;
  if (!q || typeof q.value !== 'number') return undefined;
  const reportedUnit = isString(q.code) ? q.code : isString(q.unit) ? q.unit : p.concept.unit;
  const n = normalise(q.value, reportedUnit);
  if (!n) return undefined;
  const date = isoDay(p.day);
  const m: Measurement = { value: n.value, date, source: provenanceOf(p, date) };
  if (n.unit) m.unit = n.unit;
  if (q.comparator) m.comparator = q.comparator;
  if (n.value !== q.value && isString(reportedUnit)) {
    m.reported = { value: q.value, unit: isString(q.unit) ? q.unit : reportedUnit };
  }
  return m;
}
