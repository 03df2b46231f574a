import type {
  Condition,
  FamilyMemberHistory,
  Medication,
  MedicationRequest,
  MedicationStatement,
  Observation,
  Patient,
  Procedure,
  ServiceRequest,
} from 'fhir/r4.js';

/**
 * The inputs the clinical core reads, one name per kind of patient data. The same names are the
 * prefetch keys announced in discovery, so a card can say exactly which input was not checked.
 */
export const DATA_KEYS = [
  'patient',
  'dxa',
  'labs',
  'conditions',
  'medicationRequests',
  'medicationStatements',
  'procedures',
  'dxaOrders',
  'familyHistory',
] as const;
export type DataKey = (typeof DATA_KEYS)[number];

/** Without these there is no safe answer: the service answers 412 (rules.md §4). */
export const REQUIRED_DATA_KEYS: readonly DataKey[] = ['patient', 'dxa', 'medicationRequests'];

/** Plain FHIR R4 resources for one patient, already gathered (prefetch or FHIR server). */
export interface PatientRecord {
  patient: Patient;
  /** DXA and lab/vital Observations together (keys `dxa` and `labs`). */
  observations: Observation[];
  conditions: Condition[];
  medicationRequests: MedicationRequest[];
  medicationStatements: MedicationStatement[];
  procedures: Procedure[];
  /** Completed DXA ServiceRequests (a DXA done counts as the last DXA). */
  serviceRequests: ServiceRequest[];
  familyHistory: FamilyMemberHistory[];
  /** Medications that MedicationRequest/Statement.medicationReference point to, when resolved. */
  medications: Medication[];
  /** Optional inputs that could not be obtained; every card says these were not checked. */
  notChecked: DataKey[];
}
