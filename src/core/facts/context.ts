/**
 * The per-request context every fact finder reads (built once, dropped with the request), and the
 * facts about the request itself: the patient, the AI drug(s) and whether this is a new start.
 */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { dayOf, dayOfInstant, isoDay, wholeYears, type DayNumber } from '../dates.js';
import { asArray, isString, parseReference, referenceOf } from '../fhir-read.js';
import { MedicationIndex } from '../medication.js';
import { ObservationIndex } from '../observations.js';
import { DATA_KEYS, type DataKey, type PatientRecord } from '../patient-record.js';
import type { Policy } from '../policy.js';
import { aiDrugOf, type AiDrug, type AiOrder } from '../trigger.js';
import type { Facts, HookName } from '../types.js';
import { readConditions, type ReadCondition } from './conditions.js';
import { medicationUse } from './medications.js';

export interface FactsInput {
  hook: HookName;
  now: Date;
  record: PatientRecord;
  aiOrders: AiOrder[];
  /**
   * Other draft MedicationRequests of the same session: a bone agent or supplement being ordered now counts as taken.
   */
  draftMedicationRequests?: MedicationRequest[];
}

/** Per-request context shared by the fact finders. */
export interface Ctx {
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

function activeUses(record: PatientRecord): (MedicationRequest | MedicationStatement)[] {
  const mr = asArray(record.medicationRequests).filter(
    (r) => r?.resourceType === 'MedicationRequest' && r.status === 'active',
  );
  const ms = asArray(record.medicationStatements).filter(
    (r) => r?.resourceType === 'MedicationStatement' && r.status === 'active',
  );
  return [...mr, ...ms];
}

export function createContext(input: FactsInput, policy: Policy): Ctx {
  const record = input.record;
  const ctx: Ctx = {
    today: dayOfInstant(input.now),
    policy,
    record,
    obs: new ObservationIndex(asArray(record.observations)),
    meds: new MedicationIndex(asArray(record.medications)),
    activeUses: activeUses(record),
    conditions: readConditions(record),
    notChecked: new Set(asArray(record.notChecked)),
  };
  const birth = dayOf(record.patient?.birthDate);
  if (birth !== undefined) ctx.birth = birth;
  return ctx;
}

/** The request's own facts: today, the patient's reference, and the inputs that could not be obtained. */
export function requestFacts(ctx: Ctx): Pick<Facts, 'today' | 'patient' | 'notChecked'> {
  const patient = ctx.record.patient;
  return {
    today: isoDay(ctx.today),
    patient: patient ? referenceOf({ resourceType: 'Patient', id: patient.id }) : 'Patient',
    notChecked: DATA_KEYS.filter((k) => ctx.notChecked.has(k)),
  };
}

/** Who the patient is: birth date, age, sex. */
export function patientFacts(ctx: Ctx): Pick<Facts, 'birthDate' | 'age' | 'sex'> {
  const birth = ctx.birth;
  const gender = ctx.record.patient?.gender;
  return {
    ...(birth !== undefined && { birthDate: isoDay(birth) }),
    ...(birth !== undefined && birth <= ctx.today && { age: wholeYears(birth, ctx.today) }),
    ...(isString(gender) && { sex: gender }),
  };
}

type AiUse = { r: MedicationRequest | MedicationStatement; drug: AiDrug; matchedBy: 'code' | 'text'; day: number };

function aiUseOf(ctx: Ctx, r: MedicationRequest | MedicationStatement, day: DayNumber | undefined): AiUse | undefined {
  const ai = aiDrugOf(r as MedicationRequest, ctx.meds, ctx.policy);
  return ai ? { r, ...ai, day: day ?? -Infinity } : undefined;
}

/**
 * docs/clinical-logic.md#trigger (v2): a draft that renews earlier therapy — its priorPrescription or basedOn names
 * a MedicationRequest that is an AI order in the record, or one the record does not hold (an AI
 * draft's prior prescription is the order it renews). docs/clinical-logic.md#established-therapy
 */
function renewedOrder(ctx: Ctx, input: FactsInput): AiUse | 'unresolved' | undefined {
  const byRef = new Map<string, MedicationRequest>();
  for (const r of asArray(ctx.record.medicationRequests))
    if (r?.resourceType === 'MedicationRequest' && isString(r.id)) byRef.set(referenceOf(r), r);
  let unresolved = false;
  for (const o of input.aiOrders) {
    for (const ref of [o.request.priorPrescription, ...asArray(o.request.basedOn)]) {
      const target = parseReference(ref);
      if (!target || target.type !== 'MedicationRequest') continue;
      const r = byRef.get(`MedicationRequest/${target.id}`);
      if (!r) {
        unresolved = true;
        continue;
      }
      const use = aiUseOf(ctx, r, dayOf(r.authoredOn));
      if (use) return use;
    }
  }
  return unresolved ? 'unresolved' : undefined;
}

/**
 * docs/clinical-logic.md#established-therapy: established = an active AI order that is not one
 * of the drafts being signed; the
 * drugs are the drafts' (order hooks) or the active orders' (patient-view). v2: also when the
 * draft renews earlier therapy — an active AI order or statement in the record started before
 * today (even under the draft's own id: EHRs re-sign active orders), or a draft pointing at the
 * order it renews. A renewal never gets baseline-dxa (docs/clinical-logic.md#established-therapy).
 */
export function aiStatus(ctx: Ctx, input: FactsInput): Pick<Facts, 'drugs' | 'newStart' | 'establishedOn'> {
  const draftRefs = new Set(input.aiOrders.map((o) => o.reference));
  const draftObjects = new Set<unknown>(input.aiOrders.map((o) => o.request));
  const activeAi: AiUse[] = [];
  const renewed: AiUse[] = [];
  for (const r of asArray(ctx.record.medicationRequests)) {
    if (!r || r.resourceType !== 'MedicationRequest' || r.status !== 'active') continue;
    const day = dayOf(r.authoredOn);
    const isDraft = draftObjects.has(r) || (isString(r.id) && draftRefs.has(referenceOf(r)));
    if (isDraft && (day === undefined || day >= ctx.today)) continue;
    const use = aiUseOf(ctx, r, day);
    if (use) (isDraft ? renewed : activeAi).push(use);
  }
  activeAi.sort((a, b) => b.day - a.day);

  const drugs: AiDrug[] = [];
  const source = input.hook === 'patient-view' ? activeAi.map((a) => a.drug) : input.aiOrders.map((o) => o.drug);
  for (const d of source) if (!drugs.includes(d)) drugs.push(d);
  if (input.hook === 'patient-view') return { drugs, newStart: false, ...established(ctx, activeAi[0]) };

  for (const r of asArray(ctx.record.medicationStatements)) {
    if (!r || r.resourceType !== 'MedicationStatement' || r.status !== 'active') continue;
    const day = dayOf(r.effectiveDateTime) ?? dayOf(r.effectivePeriod?.start) ?? dayOf(r.dateAsserted);
    if (day === undefined || day >= ctx.today) continue;
    const use = aiUseOf(ctx, r, day);
    if (use) renewed.push(use);
  }
  renewed.sort((a, b) => b.day - a.day);
  const pointer = activeAi.length || renewed.length ? undefined : renewedOrder(ctx, input);
  const est = activeAi[0] ?? renewed[0] ?? (pointer === 'unresolved' ? undefined : pointer);
  return { drugs, newStart: est === undefined && pointer === undefined, ...established(ctx, est) };
}

function established(ctx: Ctx, est: AiUse | undefined): Pick<Facts, 'establishedOn'> {
  return est
    ? {
        establishedOn: medicationUse(ctx, est.r, {
          valueSet: 'aromatase-inhibitors',
          ingredient: est.drug,
          matchedBy: est.matchedBy,
        }),
      }
    : {};
}
