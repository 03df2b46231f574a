/**
 * Builds a `prefetch` object the way an EHR would: each discovery template with the patient id
 * filled in, run against the test FHIR server with plain `fetch` (not the service's client).
 * By default every page is read and merged into one searchset without a `next` link; with
 * `paged: true` the first page is returned as is, `next` link included.
 */
import { DATA_KEYS, type DataKey } from '../../src/core/patient-record.js';
import { prefetchTemplates } from '../../src/fhir/queries.js';
import type { TestFhirServer } from './fhir-server.js';

interface Page {
  resourceType: string;
  type?: string;
  entry?: { resource?: { resourceType: string; id?: string } }[];
  link?: { relation: string; url: string }[];
}

export interface PrefetchOptions {
  keys?: readonly DataKey[];
  paged?: boolean;
  /** `_count` added to each search. */
  pageSize?: number;
  /** Authorization header for the server (it does not check it; its log records it). */
  authorization?: string;
}

async function getJson(url: string, authorization?: string): Promise<Page> {
  const res = await fetch(url, {
    headers: { accept: 'application/fhir+json', ...(authorization && { authorization }) },
  });
  if (!res.ok) throw new Error(`prefetch ${url} → HTTP ${res.status}`);
  return (await res.json()) as Page;
}

export async function prefetchFromServer(
  server: TestFhirServer,
  patientId: string,
  opts: PrefetchOptions = {},
): Promise<Record<DataKey, unknown>> {
  const templates = prefetchTemplates();
  const out: Partial<Record<DataKey, unknown>> = {};
  for (const key of opts.keys ?? DATA_KEYS) {
    let url = `${server.baseUrl}/${templates[key].replace('{{context.patientId}}', patientId)}`;
    if (key !== 'patient' && opts.pageSize !== undefined) url += `&_count=${opts.pageSize}`;
    const first = await getJson(url, opts.authorization);
    if (key === 'patient' || opts.paged) {
      out[key] = first;
      continue;
    }
    const entry = [...(first.entry ?? [])];
    let next = first.link?.find((l) => l.relation === 'next')?.url;
    while (next) {
      const page = await getJson(next, opts.authorization);
      entry.push(...(page.entry ?? []));
      next = page.link?.find((l) => l.relation === 'next')?.url;
    }
    out[key] = { resourceType: 'Bundle', type: 'searchset', total: entry.length, entry };
  }
  return out as Record<DataKey, unknown>;
}

/** `Type/id` of every resource in a prefetch value (Bundle entries or the resource itself). */
export function idsOf(value: unknown): string[] {
  const v = value as Page & { id?: string };
  if (v?.resourceType !== 'Bundle') return v?.id ? [`${v.resourceType}/${v.id}`] : [];
  return (v.entry ?? []).map((e) => `${e.resource?.resourceType}/${e.resource?.id}`).sort();
}
