import type { Resource } from 'fhir/r4.js';

/** Every resource a call's prefetch holds (Bundles unpacked): the same data, to seed a FHIR server. */
export function resourcesOf(body: Record<string, any>): Resource[] {
  const out: Resource[] = [];
  for (const value of Object.values(body.prefetch) as any[]) {
    if (value?.resourceType === 'Bundle') out.push(...(value.entry ?? []).map((e: any) => e.resource));
    else if (value) out.push(value);
  }
  return out;
}
