/**
 * docs/clinical-logic.md#trigger: which draft orders are aromatase-inhibitor orders, which orders are already active,
 * and which medicationReferences the FHIR layer still has to read.
 */
import type { Bundle, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { asArray, isString, parseReference } from './fhir-read.js';
import { classify, MedicationIndex } from './medication.js';
import { defaultPolicy, type Policy } from './policy.js';

export const AI_DRUGS = ['anastrozole', 'letrozole', 'exemestane'] as const;
export type AiDrug = (typeof AI_DRUGS)[number];

export interface AiOrder {
  request: MedicationRequest;
  /** `MedicationRequest/<id>` (or the entry's fullUrl when the draft has no id). */
  reference: string;
  drug: AiDrug;
  matchedBy: 'code' | 'text';
}

function isResource<T extends { resourceType: string }>(x: unknown, type: T['resourceType']): x is T {
  return typeof x === 'object' && x !== null && (x as { resourceType?: unknown }).resourceType === type;
}

function asAiDrug(ingredient: string | undefined): AiDrug | undefined {
  return AI_DRUGS.find((d) => d === ingredient);
}

/** The AI drug of one MedicationRequest, if it is an AI order. */
export function aiDrugOf(
  request: MedicationRequest,
  index: MedicationIndex,
  policy: Policy = defaultPolicy,
): { drug: AiDrug; matchedBy: 'code' | 'text' } | undefined {
  // docs/clinical-logic.md#trigger "an RxNorm code of an AI at any level": the trigger has its own status list.
  const m = classify(request, 'aromatase-inhibitors', index, policy.terminology.triggerCodeStatuses);
  const drug = asAiDrug(m?.ingredient);
  return m && drug ? { drug, matchedBy: m.matchedBy } : undefined;
}

function selectionMatches(selections: Set<string>, id: string | undefined, fullUrl: string | undefined): boolean {
  if (isString(fullUrl) && selections.has(fullUrl.trim())) return true;
  if (!isString(id)) return false;
  if (selections.has(`MedicationRequest/${id}`)) return true;
  for (const s of selections) {
    const p = parseReference(s);
    if (p && p.type === 'MedicationRequest' && p.id === id) return true;
  }
  return false;
}

/**
 * AI MedicationRequests among the draft orders, any status (re-signed orders are not `draft`).
 * With `selections` (order-select), only the selected ones. Bundles without `type`, and entries
 * with `fullUrl`/`search`/`response`, are fine. Medications for medicationReference come from the
 * order's contained resources, Medication entries of the same Bundle, and `medications`.
 */
export function findAiOrders(
  draftOrders: Bundle | undefined,
  opts: { selections?: string[]; medications?: Medication[]; policy?: Policy } = {},
): AiOrder[] {
  if (!draftOrders || typeof draftOrders !== 'object') return [];
  const entries = asArray(draftOrders.entry).filter((e) => typeof e === 'object' && e !== null);
  const bundleMeds = entries
    .map((e) => e.resource)
    .filter((r): r is Medication => isResource<Medication>(r, 'Medication'));
  const index = new MedicationIndex([...bundleMeds, ...asArray(opts.medications)]);
  const selections = opts.selections ? new Set(opts.selections.filter(isString).map((s) => s.trim())) : undefined;
  const out: AiOrder[] = [];
  entries.forEach((entry, i) => {
    const r = entry.resource;
    if (!isResource<MedicationRequest>(r, 'MedicationRequest')) return;
    if (selections && !selectionMatches(selections, r.id, entry.fullUrl)) return;
    const ai = aiDrugOf(r, index, opts.policy);
    if (!ai) return;
    const reference = isString(r.id)
      ? `MedicationRequest/${r.id}`
      : isString(entry.fullUrl)
        ? entry.fullUrl
        : `MedicationRequest/#${i}`;
    out.push({ request: r, reference, drug: ai.drug, matchedBy: ai.matchedBy });
  });
  return out;
}

/**
 * `Medication/<id>` references that neither a contained Medication nor a known one resolves,
 * in first-seen order without repeats. The FHIR layer reads these and passes them back as
 * `PatientRecord.medications` (or `findAiOrders`' `medications`).
 */
export function unresolvedMedicationReferences(
  resources: (MedicationRequest | MedicationStatement)[],
  known: Medication[],
): string[] {
  const index = new MedicationIndex(known);
  const out: string[] = [];
  const seen = new Set<string>();
  for (const r of asArray(resources)) {
    if (!r || typeof r !== 'object') continue;
    const ref = r.medicationReference;
    if (!isString(ref?.reference)) continue;
    if (ref.reference.trim().startsWith('#') || index.resolve(ref, r)) continue;
    const parsed = parseReference(ref.reference);
    if (!parsed || parsed.type !== 'Medication') continue;
    const key = `Medication/${parsed.id}`;
    if (!seen.has(key)) {
      seen.add(key);
      out.push(key);
    }
  }
  return out;
}
