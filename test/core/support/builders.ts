/**
 * Small builders for FHIR R4 test patients. Defaults describe a "quiet" patient to whom no rule
 * applies, so that each scenario adds exactly the fact it is about.
 */
import type {
  Bundle,
  Condition,
  FamilyMemberHistory,
  FhirResource,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';
import {
  defaultPolicy,
  evaluatePatient,
  findAiOrders,
  recordFromResources,
  type DataKey,
  type Evaluation,
  type HookName,
  type PatientRecord,
  type Policy,
} from '../../../src/core/index.js';

export const NOW = new Date('2025-06-15T12:00:00Z');

export const LOINC = 'http://loinc.org';
export const SNOMED = 'http://snomed.info/sct';
export const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
export const ICD10 = 'http://hl7.org/fhir/sid/icd-10-cm';
export const CPT = 'http://www.ama-assn.org/go/cpt';

let counter = 0;
/** Deterministic ids per test file run; ids only need to be unique within a patient. */
export function nextId(prefix: string): string {
  counter += 1;
  return `${prefix}-${counter}`;
}

export function patient(
  opts: { sex?: Patient['gender'] | null; birthDate?: string | null; id?: string } = {},
): Patient {
  const p: Patient = { resourceType: 'Patient', id: opts.id ?? 'pat-1' };
  if (opts.sex !== null) p.gender = opts.sex ?? 'female';
  if (opts.birthDate !== null) p.birthDate = opts.birthDate ?? '1963-03-01';
  return p;
}

export function quantityObs(
  code: string,
  value: number,
  unit: string | undefined,
  date: string,
  opts: { status?: Observation['status']; system?: string; comparator?: '<' | '<=' | '>=' | '>'; id?: string } = {},
): Observation {
  const o: Observation = {
    resourceType: 'Observation',
    id: opts.id ?? nextId('obs'),
    status: opts.status ?? 'final',
    code: { coding: [{ system: opts.system ?? LOINC, code }] },
    effectiveDateTime: date,
    valueQuantity: { value },
  };
  if (unit !== undefined) o.valueQuantity = { value, unit, system: 'http://unitsofmeasure.org', code: unit };
  if (opts.comparator) o.valueQuantity!.comparator = opts.comparator;
  return o;
}

/** DXA T-score; default site total hip (38264-8). */
export const tScore = (value: number, date: string, code = '38264-8', opts: Parameters<typeof quantityObs>[4] = {}) =>
  quantityObs(code, value, '{T-score}', date, opts);
/** DXA BMD in g/cm²; default lumbar spine (24966-4). */
export const bmd = (value: number, date: string, code = '24966-4') => quantityObs(code, value, 'g/cm2', date);
export const estradiol = (value: number, unit: string, date: string, code = '2243-4', comparator?: '<') =>
  quantityObs(code, value, unit, date, comparator ? { comparator } : {});
export const bmiObs = (value: number, date: string) => quantityObs('39156-5', value, 'kg/m2', date);
export const weight = (kg: number, date: string) => quantityObs('29463-7', kg, 'kg', date);
export const height = (cm: number, date: string) => quantityObs('8302-2', cm, 'cm', date);
export const egfr = (value: number, date: string, code = '98979-8', opts: Parameters<typeof quantityObs>[4] = {}) =>
  quantityObs(code, value, 'mL/min/{1.73_m2}', date, opts);
export const calcium = (value: number, date: string, opts: Parameters<typeof quantityObs>[4] = {}) =>
  quantityObs('17861-6', value, 'mg/dL', date, opts);
export const albumin = (value: number, date: string) => quantityObs('1751-7', value, 'g/dL', date);
export const vitaminD = (value: number, date: string, opts: Parameters<typeof quantityObs>[4] = {}) =>
  quantityObs('62292-8', value, 'ng/mL', date, opts);

export function smoking(answer: { code: string; display: string }, date: string): Observation {
  return {
    resourceType: 'Observation',
    id: nextId('smk'),
    status: 'final',
    code: { coding: [{ system: LOINC, code: '72166-2' }] },
    effectiveDateTime: date,
    valueCodeableConcept: { coding: [{ system: SNOMED, ...answer }] },
  };
}
export const NEVER_SMOKED = { code: '266919005', display: 'Never smoked tobacco' };
export const SMOKER = { code: '77176002', display: 'Smoker' };
export const EX_SMOKER = { code: '8517006', display: 'Ex-smoker' };

export function condition(
  system: string,
  code: string,
  opts: { onset?: string; clinical?: string; verification?: string; text?: string; display?: string } = {},
): Condition {
  const c: Condition = {
    resourceType: 'Condition',
    id: nextId('cond'),
    subject: { reference: 'Patient/pat-1' },
    code: { coding: [{ system, code, ...(opts.display && { display: opts.display }) }] },
  };
  if (opts.text) c.code!.text = opts.text;
  if (opts.clinical !== 'none') {
    c.clinicalStatus = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: opts.clinical ?? 'active' }],
    };
  }
  if (opts.verification) {
    c.verificationStatus = {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: opts.verification }],
    };
  }
  if (opts.onset) c.onsetDateTime = opts.onset;
  return c;
}

export function familyHistory(
  code: string,
  opts: { status?: FamilyMemberHistory['status'] } = {},
): FamilyMemberHistory {
  return {
    resourceType: 'FamilyMemberHistory',
    id: nextId('fmh'),
    status: opts.status ?? 'completed',
    patient: { reference: 'Patient/pat-1' },
    relationship: {
      coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-RoleCode', code: 'MTH', display: 'mother' }],
    },
    condition: [{ code: { coding: [{ system: SNOMED, code }] } }],
  };
}

export type Med = Pick<MedicationRequest, 'medicationCodeableConcept' | 'medicationReference' | 'contained'>;

export const rx = (code: string, display?: string): Med => ({
  medicationCodeableConcept: { coding: [{ system: RXNORM, code, ...(display && { display }) }] },
});
export const medText = (text: string): Med => ({ medicationCodeableConcept: { text } });

export function medRequest(
  med: Med,
  opts: { status?: MedicationRequest['status']; authoredOn?: string; id?: string; route?: string; sig?: string } = {},
): MedicationRequest {
  const r: MedicationRequest = {
    resourceType: 'MedicationRequest',
    id: opts.id ?? nextId('mr'),
    status: opts.status ?? 'active',
    intent: 'order',
    subject: { reference: 'Patient/pat-1' },
    ...med,
  };
  if (opts.authoredOn) r.authoredOn = opts.authoredOn;
  if (opts.route || opts.sig) {
    r.dosageInstruction = [{ ...(opts.route && { route: { text: opts.route } }), ...(opts.sig && { text: opts.sig }) }];
  }
  return r;
}

export function medStatement(
  med: Med,
  opts: { status?: MedicationStatement['status']; effective?: string } = {},
): MedicationStatement {
  const s: MedicationStatement = {
    resourceType: 'MedicationStatement',
    id: nextId('ms'),
    status: opts.status ?? 'active',
    subject: { reference: 'Patient/pat-1' },
    ...med,
  };
  if (opts.effective) s.effectiveDateTime = opts.effective;
  return s;
}

export function procedure(
  system: string,
  code: string,
  date: string,
  status: Procedure['status'] = 'completed',
): Procedure {
  return {
    resourceType: 'Procedure',
    id: nextId('proc'),
    status,
    subject: { reference: 'Patient/pat-1' },
    code: { coding: [{ system, code }] },
    performedDateTime: date,
  };
}

export function serviceRequest(
  system: string,
  code: string,
  date: string,
  status: ServiceRequest['status'] = 'completed',
): ServiceRequest {
  return {
    resourceType: 'ServiceRequest',
    id: nextId('sr'),
    status,
    intent: 'order',
    subject: { reference: 'Patient/pat-1' },
    code: { coding: [{ system, code }] },
    occurrenceDateTime: date,
  };
}

/** The anastrozole draft order used unless a scenario says otherwise. */
export const anastrozoleDraft = (opts: { id?: string; status?: MedicationRequest['status'] } = {}) =>
  medRequest(rx('199224', 'anastrozole 1 MG Oral Tablet'), {
    id: opts.id ?? 'draft-1',
    status: opts.status ?? 'draft',
  });

export function bundle(resources: FhirResource[], opts: { type?: Bundle['type']; fullUrls?: boolean } = {}): Bundle {
  const b: Bundle = {
    resourceType: 'Bundle',
    type: opts.type ?? 'collection',
    entry: resources.map((r) => ({
      resource: r,
      ...(opts.fullUrls && r.id && { fullUrl: `http://ehr.example/fhir/${r.resourceType}/${r.id}` }),
    })),
  };
  if (opts.type === undefined && opts.fullUrls) delete (b as { type?: string }).type;
  return b;
}

/** Files resources into a PatientRecord by type. */
export function record(p: Patient, resources: FhirResource[], notChecked: DataKey[] = []): PatientRecord {
  const { record: r, unfiled } = recordFromResources(p, resources, notChecked);
  if (unfiled.length > 0) throw new Error(`record(): unexpected ${unfiled[0]!.resourceType}`);
  return r;
}

export type QuietPart = 'dxa' | 'calcium' | 'bmi' | 'smoking';

/**
 * A 62-year-old woman with a normal recent DXA, on calcium + vitamin D, BMI 25, never smoked:
 * with an anastrozole draft, no rule applies.
 */
export function quiet(without: QuietPart[] = []): FhirResource[] {
  const out: FhirResource[] = [];
  if (!without.includes('dxa')) out.push(tScore(-1.0, '2024-06-15'));
  if (!without.includes('calcium'))
    out.push(medStatement(medText('Calcium carbonate 600 mg / cholecalciferol 400 IU tablet')));
  if (!without.includes('bmi')) out.push(bmiObs(25, '2025-01-10'));
  if (!without.includes('smoking')) out.push(smoking(NEVER_SMOKED, '2025-01-10'));
  return out;
}

export interface Scenario {
  name: string;
  patient?: Patient;
  resources: FhirResource[];
  /** Draft orders; default: the anastrozole draft. */
  draft?: Bundle;
  hook?: HookName;
  selections?: string[];
  medications?: Medication[];
  notChecked?: DataKey[];
  policy?: Policy;
  /** The exact set of `topic:indicator` expected. */
  expect: string[];
}

export function evaluateScenario(s: Scenario): Evaluation {
  const hook = s.hook ?? 'order-sign';
  const draft = s.draft ?? bundle([anastrozoleDraft()]);
  const aiOrders =
    hook === 'patient-view'
      ? []
      : findAiOrders(draft, {
          ...(s.selections && { selections: s.selections }),
          ...(s.medications && { medications: s.medications }),
          ...(s.policy && { policy: s.policy }),
        });
  return evaluatePatient(
    { hook, now: NOW, record: record(s.patient ?? patient(), s.resources, s.notChecked ?? []), aiOrders },
    s.policy ?? defaultPolicy,
  );
}

export function topicsOf(e: Evaluation): string[] {
  return e.recommendations.map((r) => `${r.topic}:${r.indicator}`).sort();
}
