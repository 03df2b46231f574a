import type { Bundle, FhirResource, Medication, MedicationRequest, OperationOutcome } from 'fhir/r4.js';
import type { AuthContext } from '../auth/authenticator.js';
import { isFhirServerAllowed } from '../auth/fhir-server-allowlist.js';
import { renderCards } from '../cards/render.js';
import type { Card } from '../cards/types.js';
import {
  evaluatePatient,
  findAiOrders,
  unresolvedMedicationReferences,
  type AiOrder,
  type Policy,
} from '../core/index.js';
import {
  ByteBudget,
  DEFAULT_MAX_REQUEST_BYTES,
  DEFAULT_MAX_RESPONSE_BYTES,
  gatherPatientData,
  readMedications,
  type FhirAgents,
  type FhirErrorDetail,
  type FhirErrorKind,
  type FhirLimits,
} from '../fhir/gather.js';
import { BODY_NOT_JSON, operationOutcome } from '../http/operation-outcome.js';
import { parseJsonBytes } from '../http/parse-json.js';
import { parseHookRequest, type HookRequest } from './request-schema.js';
import { findService } from './services.js';
import { outcomeIssues } from './zod-issues.js';

/**
 * One `POST /cds-services/{id}` as plain data: what the HTTP layer read, nothing of Express. It
 * crosses to the service worker as is, so it holds only structured-cloneable values.
 */
export interface ServiceCall {
  serviceId: string;
  /** The body's bytes; undefined when the request had none. */
  body?: Uint8Array;
  /** Lower-case, already checked to be a UTF charset the decoder knows. */
  charset: string;
  auth: AuthContext;
  /** Epoch ms by which every FHIR call must be over (arrival + FHIR_TIMEOUT_MS). */
  deadline: number;
}

/** What the store needs of an issued card; the HTTP layer adds who, when and where. */
export interface IssuedSummary {
  uuid: string;
  topic: string;
  indicator: Card['indicator'];
  suggestionIds: string[];
}

export type CallAnswer =
  /** `json`: the `{cards}` answer as UTF-8, its own buffer (the worker hands it over without a copy). */
  | { status: 200; json: Uint8Array; hookInstance: string; issued: IssuedSummary[] }
  | { status: 400 | 403 | 412; outcome: OperationOutcome };

/** Where a call reports what the operator should see; no patient data goes through it. */
export interface CallEvents {
  log(level: 'info' | 'warn', fields: Record<string, unknown>, msg: string): void;
  fhirError(kind: FhirErrorKind): void;
}

export interface AnswerDeps {
  policy: Policy;
  now: () => Date;
  newId: () => string;
  /** Keep-alive agents for FHIR calls, made and closed by the engine. */
  fhirAgents: FhirAgents;
  /** Bounds on what FHIR answers may decode to (defaults: 32 MiB each, 64 MiB per call). */
  fhirLimits?: FhirLimits;
  /** Cards about the DXA trend link to the SMART app here (SMART_CLIENT_ID set). */
  smartLaunchUrl?: string;
}

const NOT_JSON = operationOutcome([BODY_NOT_JSON]);

const encoder = new TextEncoder();

/**
 * Encoded where the answer is built, not where it is written: on the worker, the main thread then
 * neither encodes the cards nor holds them as a two-byte string while calls wait
 * (docs/decisions/0007-answer-bytes-written-to-the-socket.md).
 */
function utf8(json: string): Uint8Array {
  return encoder.encode(json);
}

function entriesOf<T extends FhirResource['resourceType']>(
  bundle: Bundle | undefined,
  type: T,
): Extract<FhirResource, { resourceType: T }>[] {
  return (bundle?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is Extract<FhirResource, { resourceType: T }> => r?.resourceType === type);
}

/**
 * parse → validate → fhirServer allow-list → AI orders (order hooks) → gather (prefetch, else FHIR
 * before the deadline) → evaluate → render → the JSON answer. `signal` aborts FHIR calls early
 * (the client went away).
 */
export async function answerServiceCall(
  call: ServiceCall,
  deps: AnswerDeps,
  events: CallEvents,
  signal: AbortSignal,
): Promise<CallAnswer> {
  const service = findService(call.serviceId);
  if (service === undefined) throw new Error(`service ${call.serviceId} not resolved before the answer`);

  // Parsed here, not in the HTTP layer, so that a service worker does it off the event loop.
  const decoded =
    call.body === undefined ? { ok: true as const, value: undefined } : parseJsonBytes(call.body, call.charset);
  if (!decoded.ok) return { status: 400, outcome: NOT_JSON };
  const parsed = parseHookRequest(service.hook, decoded.value);
  if (!parsed.ok) {
    const issues = outcomeIssues(parsed.issues);
    events.log('info', { invalid: issues.map((i) => i.expression ?? '(body)') }, 'invalid service call');
    return { status: 400, outcome: operationOutcome(issues) };
  }
  const request = parsed.request;
  if (!isFhirServerAllowed(call.auth, request.fhirServer)) {
    events.log(
      'warn',
      { iss: call.auth.iss, fhirServerHost: hostOf(request.fhirServer) },
      'fhirServer not allowed for this client',
    );
    return {
      status: 403,
      outcome: operationOutcome([
        {
          code: 'forbidden',
          diagnostics: 'fhirServer is not an allowed FHIR server for this client',
          expression: 'fhirServer',
        },
      ]),
    };
  }

  const fhir = {
    ...(request.fhirServer !== undefined && { fhirServer: request.fhirServer }),
    ...(request.fhirAuthorization !== undefined && { fhirAuthorization: request.fhirAuthorization }),
  };
  const fhirDeps = {
    onFhirError: (kind: FhirErrorKind, detail?: FhirErrorDetail) => {
      events.fhirError(kind);
      if (detail !== undefined) {
        events.log(
          'warn',
          { fhirHost: detail.host, fhirPath: detail.path, limit: detail.limit, limitBytes: detail.limitBytes },
          'FHIR answer over the size limit',
        );
      }
    },
    agents: deps.fhirAgents,
    maxResponseBytes: deps.fhirLimits?.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES,
    // One budget for every FHIR answer of this call: the draft orders' Medications and the data.
    budget: new ByteBudget(deps.fhirLimits?.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES),
  };

  let aiOrders: AiOrder[] = [];
  if (service.hook !== 'patient-view') {
    aiOrders = await findOrders(request, { deadline: call.deadline, signal, fhir, fhirDeps, policy: deps.policy });
    if (aiOrders.length === 0)
      return { status: 200, json: utf8('{"cards":[]}'), hookInstance: request.hookInstance, issued: [] };
  }

  const gathered = await gatherPatientData(
    {
      patientId: request.context.patientId,
      ...(request.prefetch !== undefined && { prefetch: request.prefetch }),
      ...fhir,
      deadlineMs: Math.max(0, call.deadline - Date.now()),
      signal,
    },
    fhirDeps,
  );
  if (!gathered.ok) {
    events.log('info', { missing: gathered.missing }, 'required data unavailable');
    return { status: 412, outcome: gathered.outcome };
  }

  // A bone agent or calcium + vitamin D ordered in the same session already answers its card.
  const otherDrafts = entriesOf(request.context.draftOrders, 'MedicationRequest').filter(
    (d) => !aiOrders.some((o) => o.request === d),
  );
  const evaluation = evaluatePatient(
    { hook: service.hook, now: deps.now(), record: gathered.record, aiOrders, draftMedicationRequests: otherDrafts },
    deps.policy,
  );
  const cards = renderCards(evaluation.recommendations, {
    patientReference: `Patient/${request.context.patientId}`,
    newId: deps.newId,
    ...(deps.smartLaunchUrl !== undefined && { smartLaunchUrl: deps.smartLaunchUrl }),
  });
  return {
    status: 200,
    json: utf8(JSON.stringify({ cards })),
    hookInstance: request.hookInstance,
    issued: cards.map((c) => ({
      uuid: c.uuid,
      topic: c.source.topic?.code ?? 'unknown',
      indicator: c.indicator,
      suggestionIds: (c.suggestions ?? []).map((s) => s.uuid).filter((u): u is string => u !== undefined),
    })),
  };
}

interface FindContext {
  deadline: number;
  signal: AbortSignal;
  fhir: { fhirServer?: string; fhirAuthorization?: HookRequest['fhirAuthorization'] };
  fhirDeps: Parameters<typeof readMedications>[1];
  policy: Policy;
}

/** AI orders among the draft orders, reading Medications that only a `medicationReference` names. */
async function findOrders(request: HookRequest, ctx: FindContext): Promise<AiOrder[]> {
  const draft = request.context.draftOrders;
  const selections = request.context.selections;
  let medications: Medication[] = entriesOf(draft, 'Medication');
  const requests: MedicationRequest[] = entriesOf(draft, 'MedicationRequest');
  const unresolved = unresolvedMedicationReferences(requests, medications);
  if (unresolved.length > 0 && ctx.fhir.fhirServer !== undefined) {
    const read = await readMedications(
      { references: unresolved, ...ctx.fhir, deadlineMs: Math.max(0, ctx.deadline - Date.now()), signal: ctx.signal },
      ctx.fhirDeps,
    );
    medications = [...medications, ...read];
  }
  return findAiOrders(draft, { ...(selections !== undefined && { selections }), medications, policy: ctx.policy });
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
