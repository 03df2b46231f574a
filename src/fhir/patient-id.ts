/** CDS clients send `patientId` bare (spec) or as `Patient/<id>` (seen in the wild). */
export function barePatientId(patientId: string): string {
  const id = patientId.trim();
  return id.startsWith('Patient/') ? id.slice('Patient/'.length) : id;
}

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The patient id a resource points to through `subject` or `patient`, when it names one. */
export function referencedPatientId(resource: unknown): string | undefined {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const ref = r.subject?.reference ?? r.patient?.reference;
  if (typeof ref !== 'string') return undefined;
  // Nearly every resource carries the plain `Patient/<id>`, for which the pattern captures the id:
  // checking the id alone spares a trim, the full pattern and its match array per resource.
  if (ref.startsWith('Patient/')) {
    const id = ref.slice('Patient/'.length);
    if (FHIR_ID.test(id)) return id;
  }
  return PATIENT_REFERENCE.exec(ref.trim())?.[1];
}

/**
 * Why a Patient resource cannot stand for the context patient `patientId`, or undefined when it
 * can. Besides another (or no) id: a record merged into another (`link` of type `replaced-by`)
 * is refused rather than followed, as its data may now live under the survivor's id, which the
 * EHR did not name and the other queries did not ask for.
 */
export function foreignPatient(patient: Record<string, unknown>, patientId: string): string | undefined {
  if (patient['id'] !== patientId)
    return typeof patient['id'] === 'string' ? 'another patient' : 'a Patient without id';
  const links = patient['link'];
  if (Array.isArray(links) && links.some((l) => (l as { type?: unknown } | null)?.type === 'replaced-by')) {
    return 'a Patient record merged into another (replaced-by)';
  }
  return undefined;
}
