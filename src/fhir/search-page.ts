/**
 * Reading one searchset page (from prefetch or from the server): the entries of the query's
 * resource type, the Medications included beside them, and the `next` link.
 */
import type { Medication, Resource } from 'fhir/r4.js';
import { foreignPatient, referencedPatientId } from './patient-id.js';
import type { DataQuery } from './queries.js';

export interface SearchPage {
  resources: Resource[];
  /** Medications in the page (`_include`, or a client that sent them along). */
  included: Medication[];
  next?: string;
  /**
   * Some entry does not name this patient (names another, or none at all: nothing shows it is
   * this patient's): the page cannot be used for this one.
   */
  otherPatient: boolean;
}

function isObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

export function isResourceOf(x: unknown, type: string): boolean {
  return isObject(x) && x['resourceType'] === type;
}

export function nextLink(bundle: unknown): string | undefined {
  if (!isObject(bundle) || !Array.isArray(bundle['link'])) return undefined;
  for (const l of bundle['link'] as unknown[]) {
    if (isObject(l) && l['relation'] === 'next' && typeof l['url'] === 'string' && l['url'].trim() !== '') {
      return l['url'].trim();
    }
  }
  return undefined;
}

export function readSearchPage(bundle: Record<string, unknown>, query: DataQuery, patientId: string): SearchPage {
  const page: SearchPage = { resources: [], included: [], otherPatient: false };
  const entries = Array.isArray(bundle['entry']) ? (bundle['entry'] as unknown[]) : [];
  for (const e of entries) {
    const resource = isObject(e) ? e['resource'] : undefined;
    if (!isObject(resource)) continue;
    if (resource['resourceType'] === query.resourceType) {
      const ours =
        query.resourceType === 'Patient'
          ? foreignPatient(resource, patientId) === undefined
          : referencedPatientId(resource) === patientId;
      if (!ours) page.otherPatient = true;
      page.resources.push(resource as unknown as Resource);
    } else if (resource['resourceType'] === 'Medication') {
      page.included.push(resource as unknown as Medication);
    }
  }
  const next = nextLink(bundle);
  if (next !== undefined) page.next = next;
  return page;
}
