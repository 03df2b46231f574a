/** What a person pasted or uploaded: a FHIR Bundle or a CDS Hooks request, or a clear reason why not. */

/**
 * The service refuses bodies over MAX_BODY_BYTES (1 MiB by default); 2 MiB of input leaves room for
 * a larger setting while keeping the page responsive.
 */
export const MAX_INPUT_BYTES = 2 * 1024 * 1024;

export interface FhirResource {
  resourceType: string;
  id?: string;
  [member: string]: unknown;
}

export interface BundleInput {
  kind: 'bundle';
  resources: FhirResource[];
}

export interface RequestInput {
  kind: 'request';
  request: { hook: string; hookInstance?: string; context: Record<string, unknown>; [member: string]: unknown };
}

export type Input = BundleInput | RequestInput;

export class InputError extends Error {}

const megabytes = (bytes: number) => `${(bytes / (1024 * 1024)).toFixed(1)} MB`;

export function tooLarge(bytes: number): string | undefined {
  return bytes > MAX_INPUT_BYTES
    ? `The input is ${megabytes(bytes)}; the console takes up to ${megabytes(MAX_INPUT_BYTES)}. Trim the Bundle to one patient's relevant resources.`
    : undefined;
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function parseInput(text: string): Input {
  const large = tooLarge(new TextEncoder().encode(text).length);
  if (large) throw new InputError(large);
  if (text.trim() === '')
    throw new InputError('Paste a FHIR Bundle or a CDS Hooks request first, upload a file, or choose a demo patient.');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new InputError(`This is not JSON (${err instanceof Error ? err.message : String(err)}).`);
  }
  if (!isObject(json))
    throw new InputError('This JSON is not an object: expected a FHIR Bundle or a CDS Hooks request.');
  if (typeof json['hook'] === 'string' && isObject(json['context'])) {
    return { kind: 'request', request: json as RequestInput['request'] };
  }
  if (json['resourceType'] === 'Bundle') return { kind: 'bundle', resources: bundleResources(json) };
  if (typeof json['resourceType'] === 'string') {
    throw new InputError(
      `This is a FHIR ${json['resourceType']}, not a Bundle: put the patient and their resources in a Bundle's entries.`,
    );
  }
  throw new InputError(
    'This JSON is neither a FHIR Bundle (resourceType "Bundle") nor a CDS Hooks request (hook and context).',
  );
}

/** The resources of a Bundle's entries; an entry without a resource type is named. */
export function bundleResources(bundle: Record<string, unknown>): FhirResource[] {
  const entries = bundle['entry'] ?? [];
  if (!Array.isArray(entries))
    throw new InputError('Bundle.entry must be a list of entries: this is not a FHIR Bundle.');
  return entries.map((e: unknown, i) => {
    const resource = isObject(e) ? e['resource'] : undefined;
    if (!isObject(resource) || typeof resource['resourceType'] !== 'string') {
      throw new InputError(`Bundle.entry[${i}] has no resource with a resourceType: this is not a FHIR Bundle.`);
    }
    return resource as FhirResource;
  });
}
