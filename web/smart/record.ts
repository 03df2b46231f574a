/**
 * The app's data assembly: the service's own queries (src/fhir/queries.ts), run through the SMART
 * client, filed into the PatientRecord the clinical core reads, as the service files them. Pure
 * apart from the injected reader, so a test runs it against a FHIR server without a browser.
 */
import type { FhirResource as Resource, Medication, MedicationRequest, MedicationStatement } from 'fhir/r4.js';
import { DATA_KEYS, unresolvedMedicationReferences, type DataKey, type PatientRecord } from '../../src/core/index.js';
import { DATA_QUERIES, relativeUrl } from '../../src/fhir/queries.js';

/** Reads a relative FHIR URL: a search gives every page's resources, a read its one resource. */
export type FhirReader = (url: string) => Promise<Resource[]>;

/** Why a query gave nothing: the EHR refused it (scopes), or the server failed or was unreachable. */
export type FetchFailure = 'refused' | 'failed' | 'unavailable';

export type GatheredRecord =
  | { ok: true; record: PatientRecord; failures: Partial<Record<DataKey, FetchFailure>> }
  /** A required input (patient, DXA, AI orders) could not be read: the service would answer 412. */
  | { ok: false; missing: DataKey[]; failures: Partial<Record<DataKey, FetchFailure>> };

/** fhirclient's HttpError carries `status`; a network failure has none. */
export function failureOf(err: unknown): FetchFailure {
  const status = typeof err === 'object' && err !== null ? (err as { status?: unknown }).status : undefined;
  if (status === 401 || status === 403) return 'refused';
  if (typeof status === 'number' && status > 0 && status < 500) return 'failed';
  return 'unavailable';
}

/** First occurrence wins, by type and id (the DXA and lab searches can return the same result). */
function dedupe<T extends Resource>(...lists: T[][]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const r of lists.flat()) {
    if (r.id !== undefined) {
      const key = `${r.resourceType}/${r.id}`;
      if (seen.has(key)) continue;
      seen.add(key);
    }
    out.push(r);
  }
  return out;
}

export async function gatherRecord(read: FhirReader, patientId: string): Promise<GatheredRecord> {
  const failures: Partial<Record<DataKey, FetchFailure>> = {};
  const data = {} as Record<DataKey, Resource[]>;
  await Promise.all(
    DATA_KEYS.map(async (key) => {
      const query = DATA_QUERIES[key];
      try {
        const found = await read(relativeUrl(query, patientId));
        data[key] = found.filter((r) => r.resourceType === query.resourceType);
      } catch (err) {
        failures[key] = failureOf(err);
        data[key] = [];
      }
    }),
  );
  const missing = DATA_KEYS.filter((k) => DATA_QUERIES[k].required && failures[k] !== undefined);
  const patient = data.patient[0];
  if (patient?.resourceType !== 'Patient' && !missing.includes('patient')) missing.unshift('patient');
  if (missing.length > 0 || patient?.resourceType !== 'Patient') return { ok: false, missing, failures };

  // Medications named by reference are read one by one, as the service reads them.
  const requests = data.medicationRequests as MedicationRequest[];
  const statements = data.medicationStatements as MedicationStatement[];
  const medications: Medication[] = [];
  const unresolved = unresolvedMedicationReferences([...requests, ...statements], []);
  await Promise.all(
    unresolved.map(async (ref) => {
      try {
        for (const m of await read(ref)) if (m.resourceType === 'Medication') medications.push(m);
      } catch {
        // The order then stays unresolved and its key is marked as not fully checked below.
      }
    }),
  );
  const partly = new Set<DataKey>();
  if (requests.length > 0 && unresolvedMedicationReferences(requests, medications).length > 0)
    partly.add('medicationRequests');
  if (statements.length > 0 && unresolvedMedicationReferences(statements, medications).length > 0)
    partly.add('medicationStatements');

  const record: PatientRecord = {
    patient,
    observations: dedupe(data.dxa, data.labs) as PatientRecord['observations'],
    conditions: data.conditions as PatientRecord['conditions'],
    medicationRequests: requests,
    medicationStatements: statements,
    procedures: data.procedures as PatientRecord['procedures'],
    serviceRequests: data.dxaOrders as PatientRecord['serviceRequests'],
    familyHistory: data.familyHistory as PatientRecord['familyHistory'],
    medications,
    notChecked: DATA_KEYS.filter((k) => failures[k] !== undefined || partly.has(k)),
  };
  return { ok: true, record, failures };
}
