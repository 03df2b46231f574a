/** CDS clients send `patientId` bare (spec) or as `Patient/<id>` (seen in the wild). */
export function barePatientId(patientId: string): string {
  const id = patientId.trim();
  return id.startsWith('Patient/') ? id.slice('Patient/'.length) : id;
}

const PATIENT_REFERENCE = /(?:^|\/)Patient\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/;

/** The patient id a resource points to through `subject` or `patient`, when it names one. */
export function referencedPatientId(resource: unknown): string | undefined {
  const r = resource as { subject?: { reference?: unknown }; patient?: { reference?: unknown } };
  const ref = r.subject?.reference ?? r.patient?.reference;
  if (typeof ref !== 'string') return undefined;
  return PATIENT_REFERENCE.exec(ref.trim())?.[1];
}
