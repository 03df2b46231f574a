/**
 * The OperationOutcome of a 412: one issue per required input that could not be obtained, saying
 * why in words an EHR analyst can act on. No patient data, URLs or tokens go into it.
 */
import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';
import type { DataKey } from '../core/patient-record.js';
import type { FhirErrorKind } from './errors.js';

export type KeyFailureKind =
  | FhirErrorKind
  /** Not prefetched (or not usable) and no fhirServer to read it from. */
  | 'no_server'
  /** The client prefetched `null` for a read: it has no such resource. */
  | 'prefetch_null'
  /** Not fetched because another required input had already failed. */
  | 'stopped'
  /** Not fetched because the caller cancelled (the CDS client went away). */
  | 'cancelled';

export interface KeyFailure {
  kind: KeyFailureKind;
  message: string;
  status?: number;
}

const LABELS: Record<DataKey, string> = {
  patient: 'the Patient',
  dxa: 'DXA Observations',
  labs: 'laboratory and vital-sign Observations',
  conditions: 'Conditions',
  medicationRequests: 'active MedicationRequests',
  medicationStatements: 'active MedicationStatements',
  procedures: 'DXA Procedures',
  dxaOrders: 'completed DXA ServiceRequests',
  familyHistory: 'FamilyMemberHistory',
  boneAgentOrders: 'bone-agent MedicationRequests (any status)',
  medicationAdministrations: 'bone-agent MedicationAdministrations',
};

const ISSUE_CODES: Record<KeyFailureKind, OperationOutcomeIssue['code']> = {
  timeout: 'timeout',
  network: 'transient',
  redirect: 'not-supported',
  http_4xx: 'processing',
  http_429: 'throttled',
  http_5xx: 'transient',
  malformed: 'structure',
  outcome: 'processing',
  wrong_bundle: 'structure',
  too_many_pages: 'too-costly',
  untrusted_link: 'security',
  too_large: 'too-costly',
  no_server: 'required',
  prefetch_null: 'not-found',
  stopped: 'incomplete',
  cancelled: 'incomplete',
};

function issueCode(f: KeyFailure): OperationOutcomeIssue['code'] {
  if (f.status === 404) return 'not-found';
  if (f.status === 401 || f.status === 403) return 'security';
  return ISSUE_CODES[f.kind];
}

export function failureOutcome(
  missing: readonly DataKey[],
  failures: ReadonlyMap<DataKey, KeyFailure>,
): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: missing.map((key) => {
      const f = failures.get(key) ?? { kind: 'stopped', message: 'not obtained' };
      return {
        severity: 'error',
        code: issueCode(f),
        diagnostics: `Required data "${key}" (${LABELS[key]}) could not be obtained: ${f.message}.`,
        expression: [`prefetch.${key}`],
      };
    }),
  };
}
