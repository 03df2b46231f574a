/** CDS clients send `patientId` bare (spec) or as `Patient/<id>` (seen in the wild). */
export function barePatientId(patientId: string): string {
  const id = patientId.trim();
  return id.startsWith('Patient/') ? id.slice('Patient/'.length) : id;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The patient id a resource points to through `subject` or `patient`, when it names one. */
export function referencedPatientId(resource: unknown): string | undefined {
  const ref = patientReference(resource);
  if (typeof ref !== 'string') return undefined;
  return PATIENT_REFERENCE.exec(ref.trim())?.[1];
}

function patientReference(resource: unknown): unknown {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  return r.subject?.reference ?? r.patient?.reference;
}

/**
 * `Patient/<patientId>`, the reference nearly every resource of that patient carries, when the id
 * is one that `referencedPatientId` can return (a FHIR id); otherwise undefined.
 */
export function plainPatientReference(patientId: string): string | undefined {
  return FHIR_ID.test(patientId) ? `Patient/${patientId}` : undefined;
}

/**
 * Whether the resource names a patient other than `patientId`: `referencedPatientId(resource)` is
 * an id and not `patientId`. `plain` is `plainPatientReference(patientId)`: a reference equal to it
 * names exactly `patientId` (the pattern captures the whole id of `Patient/<id>`), so the common
 * case costs one string comparison instead of a trim, a regex match and its match array.
 */
export function namesOtherPatient(resource: unknown, patientId: string, plain: string | undefined): boolean {
  const ref = patientReference(resource);
  if (typeof ref !== 'string') return false;
  if (plain !== undefined && ref === plain) return false;
  const about = PATIENT_REFERENCE.exec(ref.trim())?.[1];
  return about !== undefined && about !== patientId;
}
