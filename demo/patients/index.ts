/**
 * The demo patients: five illustrative records written for trying the service, each a FHIR R4
 * collection Bundle (Patient first, the draft aromatase-inhibitor order last) with dates counted
 * back from `now`. Pure data builders, safe to import in a browser.
 */
import type { Bundle, FhirResource, MedicationRequest } from 'fhir/r4.js';
import { bmdDecline } from './bmd-decline.js';
import { maleLowEstradiol } from './male-low-estradiol.js';
import { noDxa } from './no-dxa.js';
import { osteoporosisCkd } from './osteoporosis-ckd.js';
import type { DemoPatient } from './resources.js';
import { smoker } from './smoker.js';

export type { DemoPatient } from './resources.js';
export { DEMO_FHIR_BASE } from './resources.js';

export function demoPatients(now: Date): DemoPatient[] {
  return [noDxa(now), smoker(now), osteoporosisCkd(now), maleLowEstradiol(now), bmdDecline(now)];
}

/** A demo bundle split as an EHR holds it: the chart (for the FHIR server) and the orders being signed. */
export function splitDemoBundle(bundle: Bundle): { chart: FhirResource[]; draftOrders: MedicationRequest[] } {
  const chart: FhirResource[] = [];
  const draftOrders: MedicationRequest[] = [];
  for (const e of bundle.entry ?? []) {
    const r = e.resource as FhirResource | undefined;
    if (!r) continue;
    if (r.resourceType === 'MedicationRequest' && r.status === 'draft') draftOrders.push(r);
    else chart.push(r);
  }
  return { chart, draftOrders };
}
