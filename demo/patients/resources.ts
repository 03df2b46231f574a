/**
 * Builders for the demo patients' FHIR R4 resources. Every code is looked up in the clinical
 * core's value sets (src/core/valuesets), so a demo patient can only carry codes the service
 * itself knows; a code missing from them throws while the module loads.
 *
 * Dates are computed from `now`, so the patients keep meaning the same thing whenever the demo
 * runs (a DXA "8 months ago" never drifts out of the 24-month window). No node-only API is used:
 * the browser console imports these too.
 */
import type {
  Bundle,
  Condition,
  FhirResource,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
} from 'fhir/r4.js';
import { concepts, SYSTEMS, type ValueSetName } from '../../src/core/valuesets/index.js';

/** Base of the demo records' fullUrls: the bundles are collections, references are `Type/id`. */
export const DEMO_FHIR_BASE = 'http://demo.aibl-cds.example/fhir';

export interface Coding {
  system: string;
  code: string;
  display: string;
}

/** The coding of `code` in value set `set`; throws when the value set lacks it. */
export function coding(set: ValueSetName, code: string): Coding {
  const c = concepts(set).find((x) => x.code === code);
  if (!c) throw new Error(`demo patients: ${code} is not in value set ${set}`);
  return { system: c.system, code: c.code, display: c.display };
}

const DAY_MS = 86_400_000;

/** `now` minus whole days, as a FHIR date (YYYY-MM-DD, UTC). */
export function daysAgo(now: Date, days: number): string {
  return new Date(now.getTime() - days * DAY_MS).toISOString().slice(0, 10);
}

/** `now` minus whole months, as a FHIR date. */
export function monthsAgo(now: Date, months: number): string {
  const d = new Date(now.getTime());
  d.setUTCMonth(d.getUTCMonth() - months);
  return d.toISOString().slice(0, 10);
}

/** A birth date making the patient `age` years old on `now` (birthday ~100 days past). */
export function birthDateForAge(now: Date, age: number): string {
  const d = new Date(now.getTime() - 100 * DAY_MS);
  d.setUTCFullYear(d.getUTCFullYear() - age);
  return d.toISOString().slice(0, 10);
}

/** Collects one patient's resources with ids `<patientId>-<n>` and builds the Bundle. */
export class DemoRecord {
  private readonly resources: FhirResource[] = [];
  private n = 0;

  constructor(readonly patient: Patient & { id: string }) {
    this.resources.push(patient);
  }

  get subject() {
    return { reference: `Patient/${this.patient.id}` };
  }

  private id(kind: string): string {
    this.n += 1;
    return `${this.patient.id}-${kind}-${this.n}`;
  }

  /** A final Observation with a UCUM quantity. */
  quantity(set: ValueSetName, code: string, value: number, unit: string, date: string, category = 'laboratory'): this {
    const c = coding(set, code);
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.id('obs'),
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: category }] },
      ],
      code: { coding: [c], text: c.display },
      subject: this.subject,
      effectiveDateTime: date,
      valueQuantity: { value, unit, system: SYSTEMS.ucum, code: unit },
    };
    this.resources.push(obs);
    return this;
  }

  /** A DXA result: T-score (`{T-score}`) or bone mineral density (g/cm2). */
  dxa(set: 'dxa-t-score' | 'dxa-bmd', code: string, value: number, date: string): this {
    return this.quantity(set, code, value, set === 'dxa-t-score' ? '{T-score}' : 'g/cm2', date, 'imaging');
  }

  /** Tobacco smoking status (LOINC 72166-2) with an answer from the smoker-answers value set. */
  smoking(answer: string, date: string): this {
    const a = coding('smoker-answers', answer);
    const obs: Observation = {
      resourceType: 'Observation',
      id: this.id('obs'),
      status: 'final',
      category: [
        { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/observation-category', code: 'social-history' }] },
      ],
      code: { coding: [coding('smoking-status', '72166-2')], text: 'Tobacco smoking status' },
      subject: this.subject,
      effectiveDateTime: date,
      valueCodeableConcept: { coding: [a], text: a.display },
    };
    this.resources.push(obs);
    return this;
  }

  /** A problem-list Condition known only by its text (the value sets hold no code for it). */
  conditionText(text: string, onset: string): this {
    const c: Condition = {
      resourceType: 'Condition',
      id: this.id('cond'),
      clinicalStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-clinical', code: 'active' }],
      },
      verificationStatus: {
        coding: [{ system: 'http://terminology.hl7.org/CodeSystem/condition-ver-status', code: 'confirmed' }],
      },
      code: { text },
      subject: this.subject,
      onsetDateTime: onset,
    };
    this.resources.push(c);
    return this;
  }

  /** A MedicationRequest for an RxNorm code of a value set; `draft` is an order being signed. */
  medicationRequest(
    set: ValueSetName,
    code: string,
    opts: { status: 'active' | 'draft'; authoredOn: string; sig: string; id?: string },
  ): this {
    const c = coding(set, code);
    const mr: MedicationRequest = {
      resourceType: 'MedicationRequest',
      id: opts.id ?? this.id(opts.status === 'draft' ? 'draft' : 'medrx'),
      status: opts.status,
      intent: 'order',
      medicationCodeableConcept: { coding: [c], text: c.display },
      subject: this.subject,
      authoredOn: opts.authoredOn,
      dosageInstruction: [{ text: opts.sig }],
    };
    this.resources.push(mr);
    return this;
  }

  /** The patient's own report of calcium with vitamin D, coded by its ingredients. */
  calciumVitaminD(since: string): this {
    const ms: MedicationStatement = {
      resourceType: 'MedicationStatement',
      id: this.id('medst'),
      status: 'active',
      medicationCodeableConcept: {
        coding: [coding('calcium-vitamin-d', '1897'), coding('calcium-vitamin-d', '2418')],
        text: 'Calcium carbonate 600 mg with cholecalciferol 400 IU tablet',
      },
      subject: this.subject,
      effectivePeriod: { start: since },
      dosage: [{ text: '1 tablet by mouth twice daily' }],
    };
    this.resources.push(ms);
    return this;
  }

  bundle(): Bundle {
    return {
      resourceType: 'Bundle',
      type: 'collection',
      entry: this.resources.map((resource) => ({
        fullUrl: `${DEMO_FHIR_BASE}/${resource.resourceType}/${resource.id}`,
        resource,
      })),
    };
  }
}

export function demoPatient(
  id: string,
  gender: 'female' | 'male',
  birthDate: string,
  given: string,
  family: string,
): Patient & { id: string } {
  return {
    resourceType: 'Patient',
    id,
    active: true,
    name: [{ use: 'official', family, given: [given] }],
    gender,
    birthDate,
  };
}

/** One demo patient: the record (a collection Bundle, Patient first, the draft AI order last). */
export interface DemoPatient {
  /** Stable, also the Patient id: `demo-no-dxa`, … */
  slug: string;
  title: string;
  description: string;
  bundle: Bundle;
  /** The `source.topic.code`s of the cards order-sign should return, in the service's order. */
  expectedTopics: string[];
}
