/**
 * The per-request context every fact finder reads (built once, dropped with the request), and the
 * facts about the request itself: the patient, the AI drug(s) and whether this is a new start.
 */
import type { MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { dayOf, dayOfInstant, isoDay, wholeYears, type DayNumber } from '../dates.js';
import { asArray, isString, referenceOf } from '../fhir-read.js';
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
  /** Other draft MedicationRequests of the same session: a bone agent or supplement being ordered now counts as taken. */
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
  const mr = asArray(record.medicationRequests).filter((r) => r?.resourceType === 'MedicationRequest' && r.status === 'active');
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

/**
 * rules.md §1: established = an active AI order that is not one of this session's drafts; the
 * drugs are the drafts' (order hooks) or the active orders' (patient-view).
 */
export function aiStatus(ctx: Ctx, input: FactsInput): Pick<Facts, 'drugs' | 'newStart' | 'establishedOn'> {
  const draftRefs = new Set(input.aiOrders.map((o) => o.reference));
  const draftObjects = new Set<unknown>(input.aiOrders.map((o) => o.request));
  const activeAi: { r: MedicationRequest; drug: AiDrug; matchedBy: 'code' | 'text'; day: number }[] = [];
  for (const r of asArray(ctx.record.medicationRequests)) {
    if (!r || r.resourceType !== 'MedicationRequest' || r.status !== 'active') continue;
    if (draftObjects.has(r) || (isString(r.id) && draftRefs.has(referenceOf(r)))) continue;
    const ai = aiDrugOf(r, ctx.meds, ctx.policy);
    if (ai) activeAi.push({ r, ...ai, day: dayOf(r.authoredOn) ?? -Infinity });
  }
  activeAi.sort((a, b) => b.day - a.day);

  const drugs: AiDrug[] = [];
  const source = input.hook === 'patient-view' ? activeAi.map((a) => a.drug) : input.aiOrders.map((o) => o.drug);
  for (const d of source) if (!drugs.includes(d)) drugs.push(d);

  const est = activeAi[0];
  return {
    drugs,
    newStart: input.hook === 'patient-view' ? false : activeAi.length === 0,
    ...(est && {
      establishedOn: medicationUse(ctx, est.r, { valueSet: 'aromatase-inhibitors', ingredient: est.drug, matchedBy: est.matchedBy }),
    }),
  };
}
