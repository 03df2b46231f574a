/**
 * One FHIR query per data key. The same definitions produce the discovery prefetch templates and
 * the queries the service runs itself when a key was not prefetched, so the two cannot drift.
 * Codes come only from the core's value sets.
 *
 * Queries stay inside the CDS Hooks 2.0 prefetch subset (cds-hooks-2.0.md §2.1): instance read,
 * type search, a reference parameter, token equality and `_count`; the only token is
 * `{{context.patientId}}`.
 */
import { DXA_OBSERVATION_VALUE_SETS, LAB_OBSERVATION_VALUE_SETS } from '../core/observations.js';
import { DATA_KEYS, REQUIRED_DATA_KEYS, type DataKey } from '../core/patient-record.js';
import { codings, type ValueSetName } from '../core/valuesets/index.js';

export type QueryResourceType =
  | 'Patient'
  | 'Observation'
  | 'Condition'
  | 'MedicationRequest'
  | 'MedicationStatement'
  | 'MedicationAdministration'
  | 'Procedure'
  | 'ServiceRequest'
  | 'FamilyMemberHistory';

export interface DataQuery {
  key: DataKey;
  resourceType: QueryResourceType;
  /** Without it there is no safe answer (412). */
  required: boolean;
  /** `read`: `Patient/<id>`; `search`: `<type>?<params>`. */
  interaction: 'read' | 'search';
  /** Search parameters in template order (empty for the read). */
  params(patientId: string): [name: string, value: string][];
}

export const PATIENT_ID_TOKEN = '{{context.patientId}}';

const LOINC = 'http://loinc.org';

/** The core reads exactly these observation value sets; the queries fetch exactly them. */
const DXA_OBSERVATIONS: readonly ValueSetName[] = DXA_OBSERVATION_VALUE_SETS;
const LAB_OBSERVATIONS: readonly ValueSetName[] = LAB_OBSERVATION_VALUE_SETS;

/** `system|code,system|code` over the value sets, without repeats, in value-set order. */
export function codeParam(sets: readonly ValueSetName[], onlySystem?: string): string {
  const tokens = new Set<string>();
  for (const set of sets) {
    for (const c of codings(set))
      if (onlySystem === undefined || c.system === onlySystem) tokens.add(`${c.system}|${c.code}`);
  }
  return [...tokens].join(',');
}

/** DXA results sent as a panel Observation (components holding the T-scores) carry an orderable LOINC code. */
function dxaCodeParam(): string {
  return [codeParam(DXA_OBSERVATIONS), codeParam(['dxa-procedures'], LOINC)].filter((p) => p !== '').join(',');
}

function define(
  key: DataKey,
  resourceType: QueryResourceType,
  extra: (() => [string, string][]) | undefined,
  interaction: DataQuery['interaction'] = 'search',
): DataQuery {
  // Built once: value sets are static, and templates are served on every discovery call.
  const fixed = extra?.() ?? [];
  return {
    key,
    resourceType,
    required: REQUIRED_DATA_KEYS.includes(key),
    interaction,
    params: (patientId) => (interaction === 'read' ? [] : [['patient', patientId], ...fixed]),
  };
}

const QUERY_LIST: readonly DataQuery[] = [
  define('patient', 'Patient', undefined, 'read'),
  define('dxa', 'Observation', () => [['code', dxaCodeParam()]]),
  define('labs', 'Observation', () => [['code', codeParam(LAB_OBSERVATIONS)]]),
  define('conditions', 'Condition', undefined),
  define('medicationRequests', 'MedicationRequest', () => [['status', 'active']]),
  define('medicationStatements', 'MedicationStatement', () => [['status', 'active']]),
  define('procedures', 'Procedure', () => [['code', codeParam(['dxa-procedures'])]]),
  define('dxaOrders', 'ServiceRequest', () => [
    ['code', codeParam(['dxa-procedures'])],
    ['status', 'completed'],
  ]),
  define('familyHistory', 'FamilyMemberHistory', undefined),
  // docs/clinical-logic.md#bone-agent-status onBoneAgent (v2): a recent long-acting dose
  // counts whatever the order's status
  // (docs/clinical-logic.md#bone-agent-status).
  define('boneAgentOrders', 'MedicationRequest', () => [['code', codeParam(['bone-agents'])]]),
  define('medicationAdministrations', 'MedicationAdministration', () => [['code', codeParam(['bone-agents'])]]),
];

export const DATA_QUERIES: Readonly<Record<DataKey, DataQuery>> = Object.fromEntries(
  QUERY_LIST.map((q) => [q.key, q]),
) as Record<DataKey, DataQuery>;

export function queryFor(key: DataKey): DataQuery {
  return DATA_QUERIES[key];
}

/**
 * The relative URL of a query. Values are written as FHIR writes them (`|`, `,`, `:` and `/`
 * unescaped) so that templates read like the spec's examples; only characters that would break
 * the query string are escaped.
 */
export function relativeUrl(query: DataQuery, patientId: string): string {
  if (query.interaction === 'read') {
    return `${query.resourceType}/${patientId === PATIENT_ID_TOKEN ? patientId : encodeURIComponent(patientId)}`;
  }
  const qs = query
    .params(patientId)
    .map(([k, v]) => `${k}=${escapeValue(v)}`)
    .join('&');
  return `${query.resourceType}?${qs}`;
}

function escapeValue(v: string): string {
  if (v === PATIENT_ID_TOKEN) return v;
  return v.replace(/[%&#+?=\s]/g, (c) => encodeURIComponent(c));
}

/** Discovery `prefetch`: exactly one template per data key. */
export function prefetchTemplates(): Record<DataKey, string> {
  return Object.fromEntries(DATA_KEYS.map((k) => [k, relativeUrl(DATA_QUERIES[k], PATIENT_ID_TOKEN)])) as Record<
    DataKey,
    string
  >;
}
