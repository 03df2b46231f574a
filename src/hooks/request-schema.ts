import { z } from 'zod';
import type { Bundle, FhirResource, OperationOutcome } from 'fhir/r4.js';
import { DATA_KEYS, type DataKey } from '../core/patient-record.js';
import type { HookName } from './services.js';

/** FHIR id: what may follow `Type/` in a reference and go into a FHIR search URL. */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;
const RESOURCE_TYPE = /^[A-Z][A-Za-z]{1,63}$/;
const TYPE_ID = /^[A-Z][A-Za-z]{1,63}\/[A-Za-z0-9\-.]{1,64}$/;

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

/** A bare id, tolerating the `Type/<id>` form some clients send (kept bare from here on). */
function idOf(type: string) {
  return z
    .string()
    .trim()
    .transform((v) => (v.startsWith(`${type}/`) ? v.slice(type.length + 1) : v))
    .refine((v) => FHIR_ID.test(v), {
      error: `must be a FHIR ${type} id (letters, digits, '-', '.'; at most 64), optionally prefixed by ${type}/`,
    });
}

const typeIdReference = z
  .string()
  .trim()
  .regex(TYPE_ID, { error: 'must be a relative reference Type/id, e.g. Practitioner/123' });

/** Any FHIR resource: only `resourceType` is checked; everything else is kept as sent. */
const resource = z.looseObject({
  resourceType: z.string().regex(RESOURCE_TYPE, { error: 'must be a FHIR resource type' }),
});

/** Bundles as real clients send them: `type` may be missing, entries may carry fullUrl/search/response. */
const draftOrdersBundle = z.looseObject({
  resourceType: z.literal('Bundle', { error: 'must be a FHIR Bundle (resourceType "Bundle")' }),
  entry: z.array(z.looseObject({ resource: resource.optional() })).optional(),
});

const fhirAuthorization = z.object({
  access_token: nonEmpty,
  token_type: z.string().refine((v) => v.toLowerCase() === 'bearer', { error: 'must be "Bearer"' }),
  expires_in: z.number({ error: 'must be a number of seconds' }).int().nonnegative(),
  scope: nonEmpty,
  subject: nonEmpty,
  patient: z.string().optional(),
});

const fhirServerUrl = z
  .string()
  .trim()
  .refine(
    (v) => {
      try {
        const u = new URL(v);
        return u.protocol === 'https:' || u.protocol === 'http:';
      } catch {
        return false;
      }
    },
    { error: 'must be an absolute http(s) URL' },
  )
  .transform((v) => v.replace(/\/+$/, ''));

/** `null` = the client has no data for the template; an object is a resource, Bundle or OperationOutcome. */
const prefetchValue = z.union([resource, z.null()], {
  error: 'must be a FHIR resource, Bundle, OperationOutcome or null',
});

/** Only this service's keys are read (and checked); any other key is ignored, as an extension would be. */
const prefetch = z
  .object(
    Object.fromEntries(DATA_KEYS.map((k) => [k, prefetchValue.optional()])) as Record<
      DataKey,
      z.ZodOptional<typeof prefetchValue>
    >,
  )
  .nullable()
  .optional();

const baseContext = {
  userId: typeIdReference,
  patientId: idOf('Patient'),
  encounterId: idOf('Encounter').optional(),
};

const contexts = {
  'patient-view': z.object(baseContext),
  'order-sign': z.object({ ...baseContext, draftOrders: draftOrdersBundle }),
  'order-select': z.object({
    ...baseContext,
    draftOrders: draftOrdersBundle,
    selections: z.array(typeIdReference).min(1, { error: 'must name at least one draft order' }),
  }),
} as const;

function requestSchema<H extends HookName>(hook: H) {
  return z
    .object({
      hook: z.literal(hook, { error: `this service answers the ${hook} hook` }),
      hookInstance: nonEmpty.max(256),
      fhirServer: fhirServerUrl.optional(),
      fhirAuthorization: fhirAuthorization.optional(),
      context: contexts[hook],
      prefetch,
    })
    .refine((req) => req.fhirAuthorization === undefined || req.fhirServer !== undefined, {
      path: ['fhirServer'],
      error: 'is required when fhirAuthorization is present',
      // Checked even when other members are invalid, so that one answer names every problem.
      when: (payload) => {
        const v = payload.value as { fhirAuthorization?: unknown; fhirServer?: unknown } | null;
        return typeof v === 'object' && v !== null && v.fhirAuthorization !== undefined && v.fhirServer === undefined;
      },
    });
}

/** Precompiled once; unknown members (extensions) are dropped, never rejected. */
export const REQUEST_SCHEMAS = {
  'order-sign': requestSchema('order-sign'),
  'order-select': requestSchema('order-select'),
  'patient-view': requestSchema('patient-view'),
} as const;

export type PrefetchValue = FhirResource | OperationOutcome | null;

/** A validated, normalised service call (bare patient id, no trailing slash on fhirServer). */
export interface HookRequest {
  hook: HookName;
  hookInstance: string;
  fhirServer?: string;
  fhirAuthorization?: z.infer<typeof fhirAuthorization>;
  context: {
    userId: string;
    patientId: string;
    encounterId?: string;
    draftOrders?: Bundle;
    selections?: string[];
  };
  prefetch?: Partial<Record<DataKey, PrefetchValue>>;
}

export type ParseResult = { ok: true; request: HookRequest } | { ok: false; issues: z.core.$ZodIssue[] };

export function parseHookRequest(hook: HookName, body: unknown): ParseResult {
  const parsed = REQUEST_SCHEMAS[hook].safeParse(body);
  if (!parsed.success) return { ok: false, issues: parsed.error.issues };
  const { prefetch: pf, ...rest } = parsed.data;
  // The zod output types FHIR members loosely; they were checked as far as this service relies on.
  const request = { ...rest, ...(pf !== null && pf !== undefined && { prefetch: pf }) } as unknown as HookRequest;
  return { ok: true, request };
}
