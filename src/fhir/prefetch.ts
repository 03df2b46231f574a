/**
 * What one prefetch value means (cds-hooks-2.0.md §2.2, docs/clinical-logic.md#missing-data):
 * absent → fetch it; `null` → the client has no data (do not refetch); an OperationOutcome → the
 * client failed to prefetch, fetch it; a searchset Bundle (maybe with a `next` link) or, for the
 * Patient read, the resource itself → use it.
 */
import { foreignPatient } from './patient-id.js';
import { isResourceOf, readSearchPage, type SearchPage } from './search-page.js';
import type { DataQuery } from './queries.js';

export type PrefetchReading =
  | { kind: 'absent' }
  | { kind: 'empty' }
  | { kind: 'outcome' }
  /** Not usable for this key (wrong resource type, another patient's data): fetch instead. */
  | { kind: 'unusable'; reason: string }
  | { kind: 'page'; page: SearchPage };

export function readPrefetch(query: DataQuery, value: unknown, patientId: string): PrefetchReading {
  if (value === undefined) return { kind: 'absent' };
  if (value === null) return { kind: 'empty' };
  if (isResourceOf(value, 'OperationOutcome')) return { kind: 'outcome' };
  const v = value as Record<string, unknown>;
  if (query.interaction === 'read' && isResourceOf(v, query.resourceType)) {
    const foreign = foreignPatient(v, patientId);
    if (foreign !== undefined) return { kind: 'unusable', reason: `the prefetched Patient is ${foreign}` };
    return { kind: 'page', page: { resources: [v as never], included: [], otherPatient: false } };
  }
  if (isResourceOf(v, 'Bundle')) {
    const page = readSearchPage(v, query, patientId);
    if (page.otherPatient)
      return { kind: 'unusable', reason: 'the prefetched Bundle holds resources that do not name the context patient' };
    if (query.interaction === 'read' && page.resources.length === 0 && page.next === undefined) {
      return { kind: 'empty' };
    }
    return { kind: 'page', page };
  }
  return { kind: 'unusable', reason: `expected a ${query.interaction === 'read' ? query.resourceType : 'Bundle'}` };
}
