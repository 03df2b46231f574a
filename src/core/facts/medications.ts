/** rules.md §2 medication facts: bone agent, calcium or vitamin D, testosterone — each with the order or statement that shows it. */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { dayOf, isoDay, type DayNumber } from '../dates.js';
import { asArray, referenceOf } from '../fhir-read.js';
import { classify, productLabel, type MedicationClass } from '../medication.js';
import type { Facts, MedicationUse } from '../types.js';
import type { Ctx, FactsInput } from './context.js';

export function medicationDay(r: MedicationRequest | MedicationStatement): DayNumber | undefined {
  if (r.resourceType === 'MedicationRequest') return dayOf(r.authoredOn);
  return dayOf(r.effectiveDateTime) ?? dayOf(r.effectivePeriod?.start) ?? dayOf(r.dateAsserted);
}

export function medicationUse(
  ctx: Ctx,
  r: MedicationRequest | MedicationStatement,
  match: NonNullable<ReturnType<typeof classify>>,
): MedicationUse {
  const label = productLabel(r, ctx.meds);
  const day = medicationDay(r);
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

export function medicationFacts(ctx: Ctx, input: FactsInput): Pick<Facts, 'onBoneAgent' | 'onCalciumOrVitaminD' | 'onTestosterone'> {
  const drafts = asArray(input.draftMedicationRequests).filter((r) => r?.resourceType === 'MedicationRequest');
  const bone = onClass(ctx, 'bone-agents', drafts);
  const cad = onClass(ctx, 'calcium-vitamin-d', drafts);
  const testo = onClass(ctx, 'testosterone', []);
  return {
    ...(bone && { onBoneAgent: bone }),
    ...(cad && { onCalciumOrVitaminD: cad }),
    ...(testo && { onTestosterone: testo }),
  };
}
