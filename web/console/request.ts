/**
 * The CDS Hooks request an EHR would send for one patient's resources: context (userId, patientId,
 * a draft order for the chosen drug) and prefetch filled the way an EHR fills it, by running the
 * service's own discovery templates over the resources.
 */
import aromataseInhibitors from '../../src/core/valuesets/aromatase-inhibitors.json';
import { InputError, type FhirResource } from './input.js';

export type Hook = 'order-sign' | 'order-select' | 'patient-view';
export type Drug = 'anastrozole' | 'letrozole' | 'exemestane';

export interface DiscoveredService {
  id: string;
  hook: string;
  prefetch?: Record<string, string>;
}

export interface Coding {
  system: string;
  code: string;
  display: string;
}

interface Concept {
  code: string;
  display: string;
  extension?: { url: string; valueCode?: string }[];
}

const RXNORM = 'http://www.nlm.nih.gov/research/umls/rxnorm';
const ext = (c: Concept, name: string) =>
  c.extension?.find((e) => e.url === `urn:aibl-cds:extension:${name}`)?.valueCode;

const rxnormConcepts = (): Concept[] =>
  (aromataseInhibitors.compose.include as { system: string; concept: Concept[] }[])
    .filter((i) => i.system === RXNORM)
    .flatMap((i) => i.concept);

/** The drug's verified clinical drug (SCD) code from the service's own trigger value set. */
export function drugCoding(drug: Drug): Coding {
  const concept = rxnormConcepts().find(
    (c) => ext(c, 'ingredient') === drug && ext(c, 'tty') === 'SCD' && ext(c, 'verification') === 'verified',
  );
  if (!concept) throw new Error(`no verified RxNorm clinical drug for ${drug} in the aromatase-inhibitors value set`);
  return { system: RXNORM, code: concept.code, display: concept.display };
}

const AI_CODES = new Set(rxnormConcepts().map((c) => c.code));

/** The aromatase inhibitor a Bundle's draft order is for, if it holds one. */
export function draftDrug(resources: FhirResource[]): Drug | undefined {
  for (const r of resources) {
    if (r.resourceType !== 'MedicationRequest' || r['status'] !== 'draft') continue;
    for (const c of codings(r['medicationCodeableConcept'])) {
      const concept = c.system === RXNORM ? rxnormConcepts().find((k) => k.code === c.code) : undefined;
      const ingredient = concept && ext(concept, 'ingredient');
      if (ingredient === 'anastrozole' || ingredient === 'letrozole' || ingredient === 'exemestane') return ingredient;
    }
  }
  return undefined;
}

function codings(x: unknown): { system?: string; code?: string }[] {
  const c = (x as { coding?: unknown } | undefined)?.coding;
  return Array.isArray(c) ? (c as { system?: string; code?: string }[]) : [];
}

/** The CodeableConcept a template's `code` parameter is matched against. */
function codeOf(r: FhirResource): unknown {
  return r.resourceType === 'MedicationRequest' || r.resourceType === 'MedicationStatement'
    ? r['medicationCodeableConcept']
    : r['code'];
}

function tokenMatches(token: string, coding: { system?: string; code?: string }): boolean {
  const bar = token.indexOf('|');
  if (bar < 0) return coding.code === token;
  const system = token.slice(0, bar);
  const code = token.slice(bar + 1);
  return (
    (system === '' ? coding.system === undefined : coding.system === system) && (code === '' || coding.code === code)
  );
}

/**
 * Runs one prefetch template over one patient's resources. The templates use instance read, type
 * search, `patient`, token `code` and `status` (src/fhir/queries.ts); the resources are already
 * one patient's, so `patient` holds for all of them. Other parameters do not narrow the result.
 */
export function runTemplate(template: string, patient: FhirResource, resources: FhirResource[]): unknown {
  const [path = '', query = ''] = template.split('?', 2);
  if (path.startsWith('Patient/')) return patient;
  const params = query
    .split('&')
    .filter((p) => p !== '')
    .map((p) => {
      const eq = p.indexOf('=');
      return [decodeURIComponent(p.slice(0, eq)), decodeURIComponent(p.slice(eq + 1))] as const;
    });
  const matches = resources.filter((r) => {
    if (r.resourceType !== path) return false;
    return params.every(([name, value]) => {
      const tokens = value.split(',');
      if (name === 'code') return codings(codeOf(r)).some((c) => tokens.some((t) => tokenMatches(t, c)));
      if (name === 'status') return tokens.includes(String(r['status']));
      return true;
    });
  });
  // Medications travel with the prescriptions that reference them, as a server's _include would.
  const included =
    path === 'MedicationRequest' || path === 'MedicationStatement'
      ? resources.filter((r) => r.resourceType === 'Medication')
      : [];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    total: matches.length,
    entry: [
      ...matches.map((resource) => ({ resource, search: { mode: 'match' } })),
      ...included.map((resource) => ({ resource, search: { mode: 'include' } })),
    ],
  };
}

export interface BuildOptions {
  hook: Hook;
  drug: Drug;
  service: DiscoveredService;
  now: Date;
  hookInstance: string;
}

export const CONSOLE_USER = 'Practitioner/aibl-cds-console';

function onePatient(resources: FhirResource[]): FhirResource & { id: string } {
  const patients = resources.filter((r) => r.resourceType === 'Patient');
  if (patients.length === 0)
    throw new InputError('The Bundle holds no Patient resource: the console needs the patient the cards are about.');
  const ids = new Set(patients.map((p) => p.id));
  if (ids.size > 1)
    throw new InputError(`The Bundle holds ${ids.size} patients; the console previews one patient at a time.`);
  const patient = patients[0] as FhirResource;
  if (typeof patient.id !== 'string' || patient.id === '')
    throw new InputError("The Bundle's Patient has no id: the request names the patient by id.");
  return patient as FhirResource & { id: string };
}

function isActiveAi(r: FhirResource): boolean {
  return (
    r.resourceType === 'MedicationRequest' &&
    r['status'] === 'active' &&
    codings(r['medicationCodeableConcept']).some((c) => c.system === RXNORM && AI_CODES.has(String(c.code)))
  );
}

export function buildRequest(resources: FhirResource[], opts: BuildOptions): Record<string, unknown> {
  const patient = onePatient(resources);
  const day = opts.now.toISOString().slice(0, 10);
  const coding = drugCoding(opts.drug);
  const prescription = (id: string, status: 'draft' | 'active'): FhirResource => ({
    resourceType: 'MedicationRequest',
    id,
    status,
    intent: 'order',
    medicationCodeableConcept: { coding: [coding], text: coding.display },
    subject: { reference: `Patient/${patient.id}` },
    authoredOn: day,
    requester: { reference: CONSOLE_USER },
    dosageInstruction: [{ text: '1 tablet by mouth once daily' }],
  });

  let data = resources;
  const context: Record<string, unknown> = { userId: CONSOLE_USER, patientId: patient.id };
  if (opts.hook === 'patient-view') {
    if (!resources.some(isActiveAi)) data = [...resources, prescription(`console-active-${opts.drug}`, 'active')];
  } else {
    const draft = prescription(`console-draft-${opts.drug}`, 'draft');
    context['draftOrders'] = { resourceType: 'Bundle', type: 'collection', entry: [{ resource: draft }] };
    if (opts.hook === 'order-select') context['selections'] = [`MedicationRequest/${draft.id}`];
  }

  const prefetch: Record<string, unknown> = {};
  for (const [key, template] of Object.entries(opts.service.prefetch ?? {}))
    prefetch[key] = runTemplate(template, patient, data);
  return { hook: opts.hook, hookInstance: opts.hookInstance, context, prefetch };
}
