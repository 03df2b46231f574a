import type {
  Condition,
  FamilyMemberHistory,
  Medication,
  MedicationAdministration,
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
  // docs/clinical-logic.md#bone-agent-status onBoneAgent (v2): recent long-acting doses
  // (docs/clinical-logic.md#bone-agent-status).
  'boneAgentOrders',
  'medicationAdministrations',
] as const;
export type DataKey = (typeof DATA_KEYS)[number];

/** Without these there is no safe answer: the service answers 412 (docs/clinical-logic.md#missing-data). */
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
  /**
   * Bone-agent doses given (key `medicationAdministrations`); bone-agent orders of any status join
   * `medicationRequests`.
   */
  medicationAdministrations?: MedicationAdministration[];
  /** Medications that MedicationRequest/Statement.medicationReference point to, when resolved. */
  medications: Medication[];
  /** Optional inputs that could not be obtained; every card says these were not checked. */
  notChecked: DataKey[];
}

/**
 * Files a patient's resources into a PatientRecord by type (for inputs that arrive as one list,
 * such as a Bundle). Resources of other types are returned in `unfiled` for the caller to judge.
 */
export function recordFromResources(
  patient: Patient,
  resources: readonly { resourceType: string }[],
  notChecked: DataKey[] = [],
): { record: PatientRecord; unfiled: { resourceType: string }[] } {
  const record: PatientRecord = {
    patient,
    observations: [],
    conditions: [],
    medicationRequests: [],
    medicationStatements: [],
    procedures: [],
    serviceRequests: [],
    familyHistory: [],
    medications: [],
    notChecked,
  };
  const unfiled: { resourceType: string }[] = [];
  for (const r of resources) {
    switch (r.resourceType) {
      case 'Observation':
        record.observations.push(r as Observation);
        break;
      case 'Condition':
        record.conditions.push(r as Condition);
        break;
      case 'MedicationRequest':
        record.medicationRequests.push(r as MedicationRequest);
        break;
      case 'MedicationStatement':
        record.medicationStatements.push(r as MedicationStatement);
        break;
      case 'Procedure':
        record.procedures.push(r as Procedure);
        break;
      case 'ServiceRequest':
        record.serviceRequests.push(r as ServiceRequest);
        break;
      case 'FamilyMemberHistory':
        record.familyHistory.push(r as FamilyMemberHistory);
        break;
      case 'Medication':
        record.medications.push(r as Medication);
        break;
      case 'MedicationAdministration':
        (record.medicationAdministrations ??= []).push(r as MedicationAdministration);
        break;
      default:
        unfiled.push(r);
    }
  }
  return { record, unfiled };
}
