/**
 * rules.md §2: the facts of one request, normalised once, each with the resource, code, date and
 * value it came from. Pure: `now` is injected, nothing is read from the outside.
 */
import type {
  Condition,
  FamilyMemberHistory,
  MedicationRequest,
  MedicationStatement,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import { DAYS_PER_YEAR, dayOf, dayOfInstant, isoDay, monthsBefore, wholeYears, type DayNumber } from './dates.js';
import {
  anyContainsWord,
  asArray,
  codingsOf,
  conditionActive,
  conditionCounts,
  conditionOnsetAgeYears,
  conditionOnsetDay,
  isString,
  readConcept,
  textsOf,
  type ReadConcept,
} from './fhir-read.js';
import { lt } from './compare.js';
import { classify, MedicationIndex, productLabel, type MedicationClass } from './medication.js';
import { measure, ObservationIndex, provenanceOf, type ObsPoint } from './observations.js';
import { DATA_KEYS, type DataKey, type PatientRecord } from './patient-record.js';
import type { Policy } from './policy.js';
import { aiDrugOf, type AiDrug, type AiOrder } from './trigger.js';
import type {
  BmdLoss,
  ConditionFinding,
  Facts,
  HookName,
  Measurement,
  MedicationUse,
  Provenance,
  RiskFactor,
  SafetyFacts,
} from './types.js';
import * as units from './units.js';
import { isConcept, lookup, lookupKey, matchNames, type Concept, type PrefixRule, type ValueSetName } from './valuesets/index.js';

export interface FactsInput {
  hook: HookName;
  now: Date;
  record: PatientRecord;
  aiOrders: AiOrder[];
  /** Other draft MedicationRequests of the same session: a bone agent or supplement being ordered now counts as taken. */
  draftMedicationRequests?: MedicationRequest[];
}

export const SITE_LABELS: Record<string, string> = {
  'lumbar-spine': 'lumbar spine',
  'total-hip': 'total hip',
  'femoral-neck': 'femoral neck',
  radius: 'radius (1/3)',
  calcaneus: 'calcaneus',
  any: 'unspecified site',
};

function withSite(m: Measurement, c: Concept): Measurement {
  if (c.dxaSite) m.site = SITE_LABELS[c.dxaSite] ?? c.dxaSite;
  if (c.laterality) m.laterality = c.laterality;
  return m;
}

/** Per-request context shared by the fact finders. */
interface Ctx {
  today: DayNumber;
  policy: Policy;
  record: PatientRecord;
  obs: ObservationIndex;
  meds: MedicationIndex;
  /** Active MedicationRequests, then active MedicationStatements, in record order. */
  activeUses: readonly (MedicationRequest | MedicationStatement)[];
  /** The Conditions that count (not refuted or entered in error), each read once, in record order. */
  conditions: readonly ReadCondition[];
  birth?: DayNumber;
  notChecked: Set<DataKey>;
}

// ---------------------------------------------------------------- medications

function medicationDay(r: MedicationRequest | MedicationStatement): DayNumber | undefined {
  if (r.resourceType === 'MedicationRequest') return dayOf(r.authoredOn);
  return dayOf(r.effectiveDateTime) ?? dayOf(r.effectivePeriod?.start) ?? dayOf(r.dateAsserted);
}

function medicationUse(
  ctx: Ctx,
  r: MedicationRequest | MedicationStatement,
  match: NonNullable<ReturnType<typeof classify>>,
): MedicationUse {
  const u: MedicationUse = {
    reference: isString(r.id) ? `${r.resourceType}/${r.id}` : r.resourceType,
    resourceType: r.resourceType,
    status: String(r.status),
    matchedBy: match.matchedBy,
  };
  if (match.ingredient) u.ingredient = match.ingredient;
  const label = productLabel(r, ctx.meds);
  if (label) u.label = label;
  if (match.coding) u.coding = match.coding;
  const day = medicationDay(r);
  if (day !== undefined) u.date = isoDay(day);
  return u;
}

function activeUses(record: PatientRecord): (MedicationRequest | MedicationStatement)[] {
  const mr = asArray(record.medicationRequests).filter((r) => r?.resourceType === 'MedicationRequest' && r.status === 'active');
  const ms = asArray(record.medicationStatements).filter(
    (r) => r?.resourceType === 'MedicationStatement' && r.status === 'active',
  );
  return [...mr, ...ms];
}

/** rules.md §2 onBoneAgent / onCalciumOrVitaminD: an active order or statement of the class. */
function onClass(ctx: Ctx, cls: MedicationClass, drafts: readonly MedicationRequest[]): MedicationUse | undefined {
  for (const list of [ctx.activeUses, drafts]) {
    for (const r of list) {
      const m = classify(r, cls, ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
      if (m) return medicationUse(ctx, r, m);
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- conditions

/**
 * A Condition read once: whether it is active, and its code's keys and texts. Each request matches
 * every Condition against about ten value sets; reading the codes and texts once per Condition
 * instead of once per set was most of the cost of the condition facts.
 */
interface ReadCondition {
  resource: Condition;
  active: boolean;
  code: ReadConcept;
}

function readConditions(record: PatientRecord): ReadCondition[] {
  const out: ReadCondition[] = [];
  for (const c of asArray(record.conditions)) {
    if (!c || c.resourceType !== 'Condition' || !conditionCounts(c)) continue;
    out.push({ resource: c, active: conditionActive(c), code: readConcept(c.code) });
  }
  return out;
}

/** A concept in a value set: by a code whose verification status the policy trusts, else by a name in its text. */
function conditionMatch(
  ctx: Ctx,
  code: ReadConcept,
  vs: ValueSetName,
): { hit?: Concept | PrefixRule; name?: string } | undefined {
  const statuses = ctx.policy.terminology.conditionCodeStatuses;
  for (const k of code.keys) {
    const hit = lookupKey(vs, k);
    if (hit && statuses.includes(hit.verification)) return { hit };
  }
  for (const n of matchNames(vs)) if (anyContainsWord(code.texts, n.name)) return { name: n.name };
  return undefined;
}

function finding(
  ctx: Ctx,
  resource: Condition | FamilyMemberHistory,
  match: { hit?: Concept | PrefixRule; name?: string },
  label: string,
): ConditionFinding {
  const f: ConditionFinding = {
    reference: isString(resource.id) ? `${resource.resourceType}/${resource.id}` : resource.resourceType,
    resourceType: resource.resourceType,
    label,
    matchedBy: match.hit ? 'code' : 'text',
  };
  if (match.hit) {
    const code =
      'code' in match.hit
        ? { system: match.hit.system, code: match.hit.code, display: match.hit.display }
        : { system: match.hit.system, code: match.hit.prefix, display: match.hit.label };
    f.code = code;
  }
  if (resource.resourceType === 'Condition') {
    const onset = conditionOnsetDay(resource);
    if (onset !== undefined) {
      f.onset = isoDay(onset);
      if (ctx.birth !== undefined) f.onsetAge = wholeYears(ctx.birth, onset);
    } else {
      const years = conditionOnsetAgeYears(resource);
      if (years !== undefined) f.onsetAge = Math.floor(years);
    }
  }
  return f;
}

function conditionLabel(c: Condition | undefined, fallback: string): string {
  const cc = c?.code;
  if (isString(cc?.text)) return cc.text;
  for (const x of codingsOf(cc)) if (isString(x.display)) return x.display;
  return fallback;
}

/** What the matched value-set entry is called: the code's display, a hierarchy's label, or the matched name. */
function matchedLabel(match: { hit?: Concept | PrefixRule; name?: string }): string | undefined {
  if (match.hit) return 'code' in match.hit ? match.hit.display : match.hit.label;
  return match.name;
}

/** The first counted Condition in a value set (optionally only active ones). */
function findCondition(
  ctx: Ctx,
  vs: ValueSetName,
  opts: { activeOnly: boolean; accept?: (f: ConditionFinding) => boolean },
): ConditionFinding | undefined {
  for (const c of ctx.conditions) {
    if (opts.activeOnly && !c.active) continue;
    const m = conditionMatch(ctx, c.code, vs);
    if (!m) continue;
    const f = finding(ctx, c.resource, m, conditionLabel(c.resource, matchedLabel(m) ?? vs));
    if (!opts.accept || opts.accept(f)) return f;
  }
  return undefined;
}

function familyHipFracture(ctx: Ctx): ConditionFinding | undefined {
  const byCondition = findCondition(ctx, 'parental-hip-fracture', { activeOnly: false });
  if (byCondition) return byCondition;
  for (const h of asArray(ctx.record.familyHistory)) {
    if (!h || h.resourceType !== 'FamilyMemberHistory' || h.status === 'entered-in-error') continue;
    for (const cond of asArray(h.condition)) {
      const m = conditionMatch(ctx, readConcept(cond?.code), 'hip-fracture');
      if (m) {
        const relation = textsOf(h.relationship)[0];
        const what = conditionLabel({ code: cond.code } as Condition, matchedLabel(m) ?? 'hip fracture');
        return finding(ctx, h, m, relation ? `${what} (${relation})` : what);
      }
    }
  }
  return undefined;
}

// ---------------------------------------------------------------- DXA

function dxaDay(r: Procedure | ServiceRequest): DayNumber | undefined {
  if (r.resourceType === 'Procedure') {
    return dayOf(r.performedDateTime) ?? dayOf(r.performedPeriod?.start) ?? dayOf(r.performedPeriod?.end);
  }
  return dayOf(r.occurrenceDateTime) ?? dayOf(r.occurrencePeriod?.start) ?? dayOf(r.authoredOn);
}

type DatedProvenance = Provenance & { date: string; day: DayNumber };

/** rules.md §2 minT sites: spine, total hip, femur/femoral neck, radius, either side (not the calcaneus, nor an unspecified site). */
const MIN_T_SITES: ReadonlySet<string> = new Set(['lumbar-spine', 'total-hip', 'femoral-neck', 'radius']);

function atMinTSite(c: Concept): boolean {
  return c.dxaSite !== undefined && MIN_T_SITES.has(c.dxaSite);
}

/**
 * The DXA that baseline-dxa asks for is axial (rules.md §3; evidence §5b R1: "no T-score and no
 * 77080/77085"): a result at a minT site, or a study whose code the value set marks axial.
 */
function countsAsDxa(c: Concept): boolean {
  return c.valueSet === 'dxa-procedures' ? c.dxaScope === 'axial' : atMinTSite(c);
}

/** The latest DXA that counts, and the latest heel, peripheral or VFA-only one (listed, never counted). */
function dxaHistory(ctx: Ctx): { axial?: DatedProvenance; other?: DatedProvenance } {
  const found: { axial?: DatedProvenance; other?: DatedProvenance } = {};
  const consider = (axial: boolean, day: DayNumber, p: Provenance) => {
    const key = axial ? 'axial' : 'other';
    const best = found[key];
    if (!best || day > best.day) found[key] = { ...p, date: isoDay(day), day };
  };
  for (const vs of ['dxa-bmd', 'dxa-t-score', 'dxa-z-score', 'dxa-procedures'] as const) {
    let axialSeen = false;
    let otherSeen = false;
    // Latest first: the first point of each kind is the one to consider.
    for (const p of ctx.obs.get(vs)) {
      const axial = countsAsDxa(p.concept);
      if (axial ? axialSeen : otherSeen) continue;
      consider(axial, p.day, provenanceOf(p));
      if (axial) axialSeen = true;
      else otherSeen = true;
      if (axialSeen && otherSeen) break;
    }
  }
  const done = [
    ...asArray(ctx.record.procedures).filter((p) => p?.resourceType === 'Procedure'),
    ...asArray(ctx.record.serviceRequests).filter((s) => s?.resourceType === 'ServiceRequest'),
  ];
  for (const r of done) {
    if (r.status !== 'completed') continue;
    const hits = codingsOf(r.code)
      .map((c) => lookup('dxa-procedures', c.system, c.code))
      .filter(isConcept);
    if (hits.length === 0) continue;
    const day = dxaDay(r);
    if (day === undefined) continue;
    const hit = hits.find(countsAsDxa) ?? hits[0]!;
    consider(countsAsDxa(hit), day, {
      reference: isString(r.id) ? `${r.resourceType}/${r.id}` : r.resourceType,
      code: { system: hit.system, code: hit.code, display: hit.display },
      date: isoDay(day),
    });
  }
  return found;
}

function tScores(ctx: Ctx, from: DayNumber): Measurement[] {
  const out: Measurement[] = [];
  for (const p of ctx.obs.get('dxa-t-score')) {
    if (p.day < from) break;
    if (!atMinTSite(p.concept)) continue;
    const m = measure(p, (v) => units.score(v));
    if (m) out.push(withSite(m, p.concept));
  }
  // Lowest first; the later scan wins a tie, so "identical input → identical facts".
  return out.sort((a, b) => a.value - b.value || (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

/**
 * rules.md §2 bmdLossPerYear, per BMD code at a minT site: latest vs the latest result at least
 * `minGapMonths` before it. Unrounded (rounding would move the ≥ 5 %/yr boundary).
 */
function bmdLosses(ctx: Ctx): BmdLoss[] {
  const byCode = new Map<string, ObsPoint[]>();
  for (const p of ctx.obs.get('dxa-bmd')) {
    if (!atMinTSite(p.concept)) continue;
    const k = p.concept.code;
    const list = byCode.get(k);
    if (list) list.push(p);
    else byCode.set(k, [p]);
  }
  const out: BmdLoss[] = [];
  const usable = (p: ObsPoint) => {
    const m = measure(p, units.bmdGcm2);
    return m !== undefined && m.value > 0 ? { p, m } : undefined;
  };
  for (const points of byCode.values()) {
    // Latest first: the first usable result is the latest; the earlier one is the first usable
    // result on or before the limit (only those are measured).
    let latest: { p: ObsPoint; m: Measurement } | undefined;
    for (const p of points) if ((latest = usable(p))) break;
    if (!latest) continue;
    const limit = monthsBefore(latest.p.day, ctx.policy.bmdDecline.minGapMonths);
    let earlier: { p: ObsPoint; m: Measurement } | undefined;
    for (const p of points) {
      if (p.day > limit) continue;
      if ((earlier = p === latest.p ? latest : usable(p))) break;
    }
    if (!earlier) continue;
    const years = (latest.p.day - earlier.p.day) / DAYS_PER_YEAR;
    const pct = ((earlier.m.value - latest.m.value) / earlier.m.value) * 100;
    const loss: BmdLoss = {
      site: SITE_LABELS[latest.p.concept.dxaSite ?? 'any'] ?? 'unspecified site',
      earlier: withSite(earlier.m, earlier.p.concept),
      latest: withSite(latest.m, latest.p.concept),
      years,
      percentPerYear: pct / years,
    };
    if (latest.p.concept.laterality) loss.laterality = latest.p.concept.laterality;
    out.push(loss);
  }
  return out.sort(
    (a, b) => b.percentPerYear - a.percentPerYear || (a.latest.source.code?.code ?? '').localeCompare(b.latest.source.code?.code ?? ''),
  );
}

// ---------------------------------------------------------------- labs and vitals

function latestMeasured(
  ctx: Ctx,
  vs: Parameters<ObservationIndex['get']>[0],
  normalise: Parameters<typeof measure>[1],
  from?: DayNumber,
): Measurement | undefined {
  for (const p of ctx.obs.get(vs)) {
    if (from !== undefined && p.day < from) return undefined;
    const m = measure(p, normalise);
    if (m) return m;
  }
  return undefined;
}

function bmi(ctx: Ctx): Facts['bmi'] {
  const from = monthsBefore(ctx.today, ctx.policy.riskFactors.bmiLookbackMonths);
  const direct = latestMeasured(ctx, 'bmi', units.bmiValue, from);
  if (direct) return direct;
  const weight = latestMeasured(ctx, 'body-weight', units.weightKg, from);
  const height = latestMeasured(ctx, 'body-height', units.heightCm, from);
  if (!weight || !height || height.value <= 0) return undefined;
  const value = weight.value / (height.value / 100) ** 2;
  const later = weight.date >= height.date ? weight : height;
  return { value, unit: 'kg/m²', date: later.date, source: later.source, computedFrom: { weight, height } };
}

function smoking(ctx: Ctx): Facts['smoking'] {
  const p = ctx.obs.get('smoking-status').find((x) => x.answer?.length);
  if (!p) return undefined;
  let status: 'current' | 'former' | 'other' = 'other';
  let answer = '';
  for (const a of p.answer ?? []) {
    const hit = lookup('smoker-answers', a.system, a.code);
    if (hit && 'code' in hit) {
      status = hit.smoking === 'former' ? 'former' : 'current';
      answer = hit.display;
      break;
    }
    if (!answer && isString(a.display)) answer = a.display;
  }
  if (!answer) answer = p.answer?.find((a) => isString(a.code))?.code ?? 'recorded';
  return { date: isoDay(p.day), source: provenanceOf(p), answer, status };
}

/**
 * A safety lab (rules.md §2 safety facts) from the latest day that has a usable result. Several
 * results that day (two eGFR equations, a repeat) → the lowest: the bone-agent checks all fire
 * below a threshold, so the worst value errs on the safe side whatever the resource ids.
 */
function worstOfLatestDay<T extends Measurement>(
  points: readonly ObsPoint[],
  read: (p: ObsPoint) => T | undefined,
  from?: DayNumber,
): T | undefined {
  let day: DayNumber | undefined;
  let worst: T | undefined;
  for (const p of points) {
    if (from !== undefined && p.day < from) break;
    if (day !== undefined && p.day < day) break;
    const m = read(p);
    if (!m) continue;
    day = p.day;
    if (!worst || m.value < worst.value) worst = m;
  }
  return worst;
}

/** One calcium result in mg/dL, albumin-corrected with the closest albumin within the pairing window. */
function correctedCalcium(ctx: Ctx, p: ObsPoint): SafetyFacts['calcium'] {
  const ca = measure(p, units.calciumMgDl);
  if (!ca) return undefined;
  if (p.concept.calciumKind === 'corrected') return { ...ca, corrected: true };
  const s = ctx.policy.safety;
  let albumin: Measurement | undefined;
  let bestGap = Infinity;
  for (const a of ctx.obs.get('albumin')) {
    const gap = Math.abs(a.day - p.day);
    if (gap > s.albuminPairingDays || gap >= bestGap) continue;
    const m = measure(a, units.albuminGdl);
    if (m) {
      albumin = m;
      bestGap = gap;
    }
  }
  if (!albumin) return { ...ca, corrected: false };
  const value = ca.value + s.albuminFactor * (s.albuminReferenceGdl - albumin.value);
  const out: NonNullable<SafetyFacts['calcium']> = { ...ca, value, corrected: true, albumin };
  out.reported = ca.reported ?? { value: ca.value, unit: ca.unit ?? 'mg/dL' };
  return out;
}

// ---------------------------------------------------------------- risk factors

function missingOf(ctx: Ctx, keys: DataKey[]): DataKey[] {
  return keys.filter((k) => ctx.notChecked.has(k));
}

function factor(
  id: RiskFactor['id'],
  present: boolean,
  assessed: boolean,
  extra: Partial<RiskFactor> = {},
): RiskFactor {
  const f: RiskFactor = { id, present, assessed: present || assessed, ...extra };
  if (f.missing && f.missing.length === 0) delete f.missing;
  return f;
}

function glucocorticoids(ctx: Ctx): Pick<RiskFactor, 'medication' | 'finding'> | undefined {
  const cutoff = monthsBefore(ctx.today, ctx.policy.riskFactors.glucocorticoidMonths);
  for (const r of ctx.activeUses) {
    const day = medicationDay(r);
    // "more than 6 months ago": strictly before the cutoff day.
    if (day === undefined || day >= cutoff) continue;
    const m = classify(r, 'oral-glucocorticoids', ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
    if (m) return { medication: medicationUse(ctx, r, m) };
  }
  const z = findCondition(ctx, 'long-term-glucocorticoids', { activeOnly: true });
  return z ? { finding: z } : undefined;
}

function riskFactors(
  ctx: Ctx,
  f: Pick<Facts, 'minT' | 'age' | 'bmi' | 'smoking' | 'fragilityFracture'>,
  family: ConditionFinding | undefined,
): RiskFactor[] {
  const rf = ctx.policy.riskFactors;
  const gc = glucocorticoids(ctx);
  const list: RiskFactor[] = [];
  list.push(
    f.minT
      ? factor('low-t-score', lt(f.minT.value, rf.tScoreBelow), true, { threshold: rf.tScoreBelow, measurement: f.minT })
      : factor('low-t-score', false, false, { threshold: rf.tScoreBelow, missing: missingOf(ctx, ['dxa']) }),
  );
  list.push(
    f.age !== undefined
      ? factor('age', f.age > rf.ageAbove, true, { threshold: rf.ageAbove, value: f.age })
      : factor('age', false, false, { threshold: rf.ageAbove }),
  );
  list.push(
    f.bmi
      ? factor('low-bmi', lt(f.bmi.value, rf.bmiBelow), true, { threshold: rf.bmiBelow, measurement: f.bmi })
      : factor('low-bmi', false, false, { threshold: rf.bmiBelow, missing: missingOf(ctx, ['labs']) }),
  );
  const familyMissing = missingOf(ctx, ['conditions', 'familyHistory']);
  list.push(
    family
      ? factor('family-hip-fracture', true, true, { finding: family })
      : factor('family-hip-fracture', false, familyMissing.length === 0, { missing: familyMissing }),
  );
  const fractureMissing = missingOf(ctx, ['conditions']);
  list.push(
    f.fragilityFracture
      ? factor('fragility-fracture', true, true, { finding: f.fragilityFracture, threshold: rf.fractureMinAge })
      : factor('fragility-fracture', false, fractureMissing.length === 0, {
          threshold: rf.fractureMinAge,
          missing: fractureMissing,
        }),
  );
  const gcMissing = missingOf(ctx, ['medicationRequests', 'medicationStatements', 'conditions']);
  list.push(
    gc
      ? factor('glucocorticoids', true, true, { ...gc, threshold: rf.glucocorticoidMonths })
      : factor('glucocorticoids', false, gcMissing.length === 0, { threshold: rf.glucocorticoidMonths, missing: gcMissing }),
  );
  list.push(
    f.smoking
      ? factor('smoking', f.smoking.status !== 'other', true, { smoking: f.smoking })
      : factor('smoking', false, false, { missing: missingOf(ctx, ['labs']) }),
  );
  return list;
}

// ---------------------------------------------------------------- assembly

function aiUse(ctx: Ctx, r: MedicationRequest, drug: AiDrug, matchedBy: 'code' | 'text'): MedicationUse {
  return medicationUse(ctx, r, { valueSet: 'aromatase-inhibitors', ingredient: drug, matchedBy });
}

export function computeFacts(input: FactsInput, policy: Policy): Facts {
  const record = input.record;
  const today = dayOfInstant(input.now);
  const patient = record.patient;
  const birth = dayOf(patient?.birthDate);
  const ctx: Ctx = {
    today,
    policy,
    record,
    obs: new ObservationIndex(asArray(record.observations)),
    meds: new MedicationIndex(asArray(record.medications)),
    activeUses: activeUses(record),
    conditions: readConditions(record),
    notChecked: new Set(asArray(record.notChecked)),
  };
  if (birth !== undefined) ctx.birth = birth;

  // rules.md §1: established = an active AI order that is not one of the drafts being signed.
  const draftRefs = new Set(input.aiOrders.map((o) => o.reference));
  const draftObjects = new Set<unknown>(input.aiOrders.map((o) => o.request));
  const activeAi: { r: MedicationRequest; drug: AiDrug; matchedBy: 'code' | 'text'; day: number }[] = [];
  for (const r of asArray(record.medicationRequests)) {
    if (!r || r.resourceType !== 'MedicationRequest' || r.status !== 'active') continue;
    if (draftObjects.has(r) || (isString(r.id) && draftRefs.has(`MedicationRequest/${r.id}`))) continue;
    const ai = aiDrugOf(r, ctx.meds, policy);
    if (ai) activeAi.push({ r, ...ai, day: dayOf(r.authoredOn) ?? -Infinity });
  }
  activeAi.sort((a, b) => b.day - a.day);

  const drugs: AiDrug[] = [];
  const source = input.hook === 'patient-view' ? activeAi.map((a) => a.drug) : input.aiOrders.map((o) => o.drug);
  for (const d of source) if (!drugs.includes(d)) drugs.push(d);

  const dxaFrom = monthsBefore(today, policy.dxaIntervalMonths);
  const dxa = dxaHistory(ctx);
  const last = dxa.axial;
  const scores = tScores(ctx, dxaFrom);
  const losses = bmdLosses(ctx);
  const labsFrom = monthsBefore(today, policy.safety.labLookbackMonths);

  const facts: Facts = {
    today: isoDay(today),
    patient: isString(patient?.id) ? `Patient/${patient.id}` : 'Patient',
    drugs,
    newStart: input.hook === 'patient-view' ? false : activeAi.length === 0,
    dxaWithinInterval: last !== undefined && last.day >= dxaFrom,
    tScores: scores,
    bmdLosses: losses,
    riskFactors: [],
    riskFactorCount: 0,
    safety: {},
    notChecked: DATA_KEYS.filter((k) => ctx.notChecked.has(k)),
  };
  if (birth !== undefined) {
    facts.birthDate = isoDay(birth);
    if (birth <= today) facts.age = wholeYears(birth, today);
  }
  if (isString(patient?.gender)) facts.sex = patient.gender;
  const est = activeAi[0];
  if (est) facts.establishedOn = aiUse(ctx, est.r, est.drug, est.matchedBy);
  if (last) {
    const { day: _day, ...p } = last;
    facts.lastDxa = p;
  }
  if (dxa.other) {
    const { day: _day, ...p } = dxa.other;
    facts.lastPeripheralDxa = p;
  }
  if (scores[0]) facts.minT = scores[0];
  if (losses[0]) facts.bmdLoss = losses[0];

  const e2 = latestMeasured(ctx, 'estradiol', (v, u) => units.estradiolPgMl(v, u, policy.estradiol.pmolPerLPerPgMl));
  if (e2) facts.estradiol = e2;
  const b = bmi(ctx);
  if (b) facts.bmi = b;
  const s = smoking(ctx);
  if (s) facts.smoking = s;

  const drafts = asArray(input.draftMedicationRequests).filter((r) => r?.resourceType === 'MedicationRequest');
  const bone = onClass(ctx, 'bone-agents', drafts);
  if (bone) facts.onBoneAgent = bone;
  const cad = onClass(ctx, 'calcium-vitamin-d', drafts);
  if (cad) facts.onCalciumOrVitaminD = cad;
  const testo = onClass(ctx, 'testosterone', []);
  if (testo) facts.onTestosterone = testo;

  // rules.md §2 factor 5: any clinicalStatus; onset before fractureMinAge excludes it, unknown onset counts.
  const fracture = findCondition(ctx, 'fragility-fracture', {
    activeOnly: false,
    accept: (f) => f.onsetAge === undefined || f.onsetAge >= policy.riskFactors.fractureMinAge,
  });
  if (fracture) facts.fragilityFracture = fracture;

  facts.riskFactors = riskFactors(ctx, facts, familyHipFracture(ctx));
  facts.riskFactorCount = facts.riskFactors.filter((f) => f.present).length;

  const safety: SafetyFacts = {};
  const ca = worstOfLatestDay(ctx.obs.get('calcium-serum'), (p) => correctedCalcium(ctx, p), labsFrom);
  if (ca) safety.calcium = ca;
  const vd = worstOfLatestDay(ctx.obs.get('vitamin-d-25oh'), (p) => measure(p, units.vitaminDNgMl), labsFrom);
  if (vd) safety.vitaminD = vd;
  // rules.md sets no window for "omit when eGFR < 35": the latest eGFR counts whatever its age,
  // and is marked when older than the lab lookback so the card can say so.
  const gfr = worstOfLatestDay(ctx.obs.get('egfr'), (p) => measure(p, units.egfrValue));
  if (gfr) {
    if (gfr.date < isoDay(labsFrom)) gfr.olderThanMonths = policy.safety.labLookbackMonths;
    safety.egfr = gfr;
  }
  const ckd = findCondition(ctx, 'ckd-4-5', { activeOnly: true });
  if (ckd) safety.ckd45 = ckd;
  const onj = findCondition(ctx, 'onj', { activeOnly: false });
  if (onj) safety.onj = onj;
  const hypoCa = findCondition(ctx, 'hypocalcaemia', { activeOnly: true });
  if (hypoCa) safety.hypocalcaemia = hypoCa;
  const vdd = findCondition(ctx, 'vitamin-d-deficiency', { activeOnly: true });
  if (vdd) safety.vitaminDDeficiency = vdd;
  facts.safety = safety;

  const op = findCondition(ctx, 'osteoporosis', { activeOnly: true });
  if (op) facts.osteoporosis = op;
  const opn = findCondition(ctx, 'osteopenia', { activeOnly: true });
  if (opn) facts.osteopenia = opn;
  return facts;
}
