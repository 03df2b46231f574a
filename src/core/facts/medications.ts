/**
 * docs/clinical-logic.md#facts medication facts: bone agent, calcium or vitamin D, testosterone — each with the order
 * or statement that shows it.
 */
import type { MedicationAdministration, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { dayOf, isoDay, monthsBefore, type DayNumber } from '../dates.js';
import { asArray, referenceOf } from '../fhir-read.js';
import { classify, productLabel, type MedicationClass } from '../medication.js';
import type { Facts, IgnoredRecord, MedicationUse } from '../types.js';
import type { Ctx, FactsInput } from './context.js';

export function medicationDay(r: MedicationRequest | MedicationStatement): DayNumber | undefined {
  if (r.resourceType === 'MedicationRequest') return dayOf(r.authoredOn);
  return dayOf(r.effectiveDateTime) ?? dayOf(r.effectivePeriod?.start) ?? dayOf(r.dateAsserted);
}

type AnyUse = MedicationRequest | MedicationStatement | MedicationAdministration;

export function medicationUse(ctx: Ctx, r: AnyUse, match: NonNullable<ReturnType<typeof classify>>): MedicationUse {
  const label = productLabel(r, ctx.meds);
  const day = r.resourceType === 'MedicationAdministration' ? doseDay(r) : medicationDay(r);
  return {
    reference: referenceOf(r),
    resourceType: r.resourceType,
    status: String(r.status),
    matchedBy: match.matchedBy,
    ...(match.ingredient && { ingredient: match.ingredient }),
    ...(label && { label }),
    ...(match.coding && { coding: match.coding }),
    ...(day !== undefined && { date: isoDay(day) }),
  };
}

/**
 * docs/clinical-logic.md#bone-agent-status onBoneAgent / onCalciumOrVitaminD: an active order
 * or statement of the class.
 */
function onClass(ctx: Ctx, cls: MedicationClass, drafts: readonly MedicationRequest[]): MedicationUse | undefined {
  for (const list of [ctx.activeUses, drafts]) {
    for (const r of list) {
      const m = classify(r, cls, ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
      if (m) return medicationUse(ctx, r, m);
    }
  }
  return undefined;
}

/** The latest of the dates a record gives, not after today (a period's end may lie ahead). */
function latestDay(ctx: Ctx, ...dates: (string | undefined)[]): DayNumber | undefined {
  let best: DayNumber | undefined;
  for (const d of dates) {
    const x = dayOf(d);
    if (x !== undefined && x <= ctx.today && (best === undefined || x > best)) best = x;
  }
  return best;
}

function doseDay(r: MedicationAdministration): DayNumber | undefined {
  return dayOf(r.effectiveDateTime) ?? dayOf(r.effectivePeriod?.start);
}

/** When a record says a dose was given or ordered (docs/clinical-logic.md#bone-agent-status). */
function recentDoseDay(ctx: Ctx, r: AnyUse): DayNumber | undefined {
  switch (r.resourceType) {
    case 'MedicationAdministration':
      return doseDay(r);
    case 'MedicationRequest':
      return latestDay(ctx, r.authoredOn, r.dispenseRequest?.validityPeriod?.start);
    case 'MedicationStatement':
      return latestDay(ctx, r.effectiveDateTime, r.effectivePeriod?.start, r.effectivePeriod?.end);
  }
}

/**
 * Statuses that say no dose was given or ordered: docs/clinical-logic.md#facts (v2) names entered-in-error and
 * cancelled; not-done (an administration) and not-taken (a statement) say the same in their
 * resource's words.
 */
const NO_DOSE = new Set(['entered-in-error', 'cancelled', 'not-done', 'not-taken']);

/**
 * docs/clinical-logic.md#bone-agent-status onBoneAgent (v2): a long-acting agent given or
 * ordered recently counts as taken —
 * denosumab within 7 months, zoledronic acid within 13 (policy), from an administration, an order
 * of any status, or a statement (docs/clinical-logic.md#bone-agent-status). The most recent wins.
 */
function recentBoneAgentDose(ctx: Ctx): MedicationUse | undefined {
  const months = ctx.policy.boneAgent.recentDoseMonths;
  const windows: Record<string, number> = { denosumab: months.denosumab, 'zoledronic-acid': months.zoledronicAcid };
  const all: AnyUse[] = [
    ...asArray(ctx.record.medicationAdministrations).filter((r) => r?.resourceType === 'MedicationAdministration'),
    ...asArray(ctx.record.medicationRequests).filter((r) => r?.resourceType === 'MedicationRequest'),
    ...asArray(ctx.record.medicationStatements).filter((r) => r?.resourceType === 'MedicationStatement'),
  ];
  let best: { use: MedicationUse; day: DayNumber } | undefined;
  for (const r of all) {
    if (NO_DOSE.has(String(r.status))) continue;
    const m = classify(r, 'bone-agents', ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
    const window = m?.ingredient !== undefined ? windows[m.ingredient] : undefined;
    if (!m || window === undefined) continue;
    const day = recentDoseDay(ctx, r);
    if (day === undefined || day < monthsBefore(ctx.today, window) || (best && best.day >= day)) continue;
    best = { use: { ...medicationUse(ctx, r, m), date: isoDay(day), recentDoseMonths: window }, day };
  }
  return best?.use;
}

/**
 * Orders and statements of a class that exist in a state that does not count (stopped, on hold,
 * completed, …): named on the card so it never reads "none on record" (docs/clinical-logic.md#missing-data).
 */
function inactiveOfClass(ctx: Ctx, cls: MedicationClass, kind: IgnoredRecord['kind']): IgnoredRecord[] {
  const out: IgnoredRecord[] = [];
  const lists = [asArray(ctx.record.medicationRequests), asArray(ctx.record.medicationStatements)];
  for (const list of lists) {
    for (const r of list) {
      if (!r || r.status === 'active' || r.status === 'entered-in-error') continue;
      if (r.resourceType !== 'MedicationRequest' && r.resourceType !== 'MedicationStatement') continue;
      const m = classify(r, cls, ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
      if (!m) continue;
      const day = medicationDay(r);
      out.push({
        kind,
        reason: 'status',
        detail: String(r.status),
        reference: referenceOf(r),
        ...(day !== undefined && { date: isoDay(day) }),
        ...(m.coding && { code: m.coding }),
      });
    }
  }
  return out.sort((a, b) => (b.date ?? '').localeCompare(a.date ?? '')).slice(0, 3);
}

/** Medication records left out for their status, for the cards that would have used them. */
export function ignoredMedications(ctx: Ctx, f: Pick<Facts, 'onBoneAgent' | 'onCalciumOrVitaminD'>): IgnoredRecord[] {
  return [
    ...(f.onBoneAgent ? [] : inactiveOfClass(ctx, 'bone-agents', 'bone-agent')),
    ...(f.onCalciumOrVitaminD ? [] : inactiveOfClass(ctx, 'calcium-vitamin-d', 'calcium-vitamin-d')),
  ];
}

export function medicationFacts(
  ctx: Ctx,
  input: FactsInput,
): Pick<Facts, 'onBoneAgent' | 'onCalciumOrVitaminD' | 'onTestosterone'> {
  const drafts = asArray(input.draftMedicationRequests).filter((r) => r?.resourceType === 'MedicationRequest');
  const bone = onClass(ctx, 'bone-agents', drafts) ?? recentBoneAgentDose(ctx);
  const cad = onClass(ctx, 'calcium-vitamin-d', drafts);
  const testo = onClass(ctx, 'testosterone', []);
  return {
    ...(bone && { onBoneAgent: bone }),
    ...(cad && { onCalciumOrVitaminD: cad }),
    ...(testo && { onTestosterone: testo }),
  };
}
