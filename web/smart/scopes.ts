/**
 * What the app asks the EHR for: read access to exactly the resource types its queries read (the
 * service's own queries, src/fhir/queries.ts), the launch context, and the user's identity.
 * `.rs` = read + search (SMART App Launch 2.0 scope syntax).
 */
export const PATIENT_SCOPES = [
  'patient/Patient.r',
  'patient/Observation.rs',
  'patient/Condition.rs',
  'patient/MedicationRequest.rs',
  'patient/MedicationStatement.rs',
  'patient/MedicationAdministration.rs',
  'patient/Procedure.rs',
  'patient/ServiceRequest.rs',
  'patient/FamilyMemberHistory.rs',
  // Orders naming their drug by reference (medicationReference) are resolved by reading it.
  'patient/Medication.r',
] as const;

/** EHR launch: the EHR supplies the patient (`launch`); standalone: the user picks one (`launch/patient`). */
export function scopeFor(launch: 'ehr' | 'standalone'): string {
  return [launch === 'ehr' ? 'launch' : 'launch/patient', 'openid', 'fhirUser', ...PATIENT_SCOPES].join(' ');
}
