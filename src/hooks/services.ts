import type { HookName } from '../core/index.js';

export type { HookName };

export interface ServiceDefinition {
  id: string;
  hook: HookName;
  title: string;
  description: string;
  usageRequirements: string;
}

export interface DiscoveryService extends ServiceDefinition {
  prefetch: Record<string, string>;
}

const USAGE =
  'Send the prefetch keys listed here, or fhirServer with a fhirAuthorization token allowed to read ' +
  'Patient, Observation, Condition, MedicationRequest, MedicationStatement, Procedure, ServiceRequest ' +
  'and FamilyMemberHistory for the patient. Without Patient, DXA Observations and MedicationRequests ' +
  'the service answers 412.';

/** order-sign is primary: it sees the final orders, and its cards replace order-select's. */
export const SERVICES: readonly ServiceDefinition[] = [
  {
    id: 'aibl-order-sign',
    hook: 'order-sign',
    title: 'Bone health at aromatase-inhibitor signing',
    description:
      'When anastrozole, letrozole or exemestane is signed, checks bone health as the AIBL position ' +
      'statement and ASCO recommend: baseline or follow-up DXA, calcium and vitamin D, a bone-protective ' +
      'agent when fracture risk is high, BMD decline, and estradiol in men.',
    usageRequirements: USAGE,
  },
  {
    id: 'aibl-order-select',
    hook: 'order-select',
    title: 'Bone health when an aromatase inhibitor is selected',
    description:
      'Early, low-interruption version of the signing check: fires when a selected draft order is ' +
      'anastrozole, letrozole or exemestane. The order-sign service gives the final answer.',
    usageRequirements: USAGE,
  },
  {
    id: 'aibl-patient-view',
    hook: 'patient-view',
    title: 'Bone health for patients on an aromatase inhibitor',
    description:
      'When the chart of a patient with an active aromatase-inhibitor prescription is opened, reminds ' +
      'of overdue DXA, calcium and vitamin D, bone-protective treatment, BMD decline and estradiol checks.',
    usageRequirements: USAGE,
  },
];

export function findService(id: string): ServiceDefinition | undefined {
  return SERVICES.find((s) => s.id === id);
}

/** Added to usageRequirements when the SMART app is configured: the EHR must register it for the card links to open. */
export function smartUsage(launchUrl: string): string {
  return (
    ` Cards about DXA, bone-protective treatment and BMD decline link to the bone-health SMART app ` +
    `(launch URL ${launchUrl}); register it in the EHR for the links to open.`
  );
}

/** `GET /cds-services` body. Every service announces the same templates: they come from the data queries. */
export function discoveryDocument(
  prefetch: Record<string, string>,
  smartLaunchUrl?: string,
): { services: DiscoveryService[] } {
  const extra = smartLaunchUrl === undefined ? '' : smartUsage(smartLaunchUrl);
  return {
    services: SERVICES.map((s) => ({
      ...s,
      usageRequirements: s.usageRequirements + extra,
      prefetch: { ...prefetch },
    })),
  };
}
