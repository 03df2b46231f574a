import type { OperationOutcome, OperationOutcomeIssue } from 'fhir/r4.js';

/** FHIR issue-type codes this service uses (http://hl7.org/fhir/issue-type). */
export type IssueCode =
  | 'invalid'
  | 'structure'
  | 'required'
  | 'value'
  | 'not-found'
  | 'not-supported'
  | 'forbidden'
  | 'login'
  | 'too-costly'
  | 'incomplete'
  | 'timeout'
  | 'exception'
  | 'transient';

export interface OutcomeIssue {
  code: IssueCode;
  diagnostics: string;
  /** Path of the offending element, e.g. `context.patientId`. */
  expression?: string;
  severity?: 'fatal' | 'error' | 'warning';
}

/** A body that is not a JSON object or array (./parse-json.ts). */
export const BODY_NOT_JSON: OutcomeIssue = {
  code: 'structure',
  diagnostics: 'Request body is not valid JSON (an object is expected)',
};

/** Non-2xx bodies are OperationOutcomes (CDS Hooks 3.0 SHOULD; harmless for 2.0 clients). */
export function operationOutcome(issues: OutcomeIssue[]): OperationOutcome {
  return {
    resourceType: 'OperationOutcome',
    issue: issues.map((i): OperationOutcomeIssue => ({
      severity: i.severity ?? 'error',
      code: i.code,
      diagnostics: i.diagnostics,
      ...(i.expression !== undefined && i.expression !== '' && { expression: [i.expression] }),
    })),
  };
}
