import type { Bundle, FhirResource, Medication, MedicationRequest } from 'fhir/r4.js';
import type { RequestHandler, Response } from 'express';
import { isFhirServerAllowed } from '../auth/fhir-server-allowlist.js';
import { renderCards } from '../cards/render.js';
import type { Card } from '../cards/types.js';
import { evaluatePatient, findAiOrders, unresolvedMedicationReferences, type AiOrder, type Policy } from '../core/index.js';
import { gatherPatientData, readMedications, type FhirAgents } from '../fhir/gather.js';
import { HttpError } from '../http/http-error.js';
import { sendJson } from '../http/send-json.js';
import type { Metrics } from '../metrics.js';
import type { FeedbackStore, IssuedCard } from '../store/feedback-store.js';
import { parseHookRequest, type HookRequest } from './request-schema.js';
import { findService } from './services.js';
import { outcomeIssues } from './zod-issues.js';
import '../http/locals.js';

export interface ServiceCallDeps {
  policy: Policy;
  feedbackStore: FeedbackStore;
  metrics: Metrics;
  /** One deadline for all FHIR calls of a request (FHIR_TIMEOUT_MS). */
  fhirTimeoutMs: number;
  now: () => Date;
  newId: () => string;
  fhirAgents?: FhirAgents;
}

function entriesOf<T extends FhirResource['resourceType']>(bundle: Bundle | undefined, type: T): Extract<FhirResource, { resourceType: T }>[] {
  return (bundle?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is Extract<FhirResource, { resourceType: T }> => r?.resourceType === type);
}

/** Aborted when the client goes away, so FHIR calls for an answer nobody reads stop early. */
function abortOnClose(res: Response): AbortSignal {
  const controller = new AbortController();
  res.once('close', () => {
    if (!res.writableFinished) controller.abort();
  });
  return controller.signal;
}

/**
 * `POST /cds-services/{id}`: validate → fhirServer allow-list → AI orders (order hooks) →
 * gather (prefetch, else FHIR under one deadline) → evaluate → render → `{cards}`.
 */
export function serviceCallHandler(deps: ServiceCallDeps): RequestHandler {
  return async (req, res) => {
    const log = res.locals.log;
    const serviceId = res.locals.service ?? '-';
    const service = findService(serviceId);
    if (service === undefined) throw new Error(`service ${serviceId} not resolved before the handler`);

    const parsed = parseHookRequest(service.hook, req.body);
    if (!parsed.ok) {
      const issues = outcomeIssues(parsed.issues);
      log?.info({ invalid: issues.map((i) => i.expression ?? '(body)') }, 'invalid service call');
      throw HttpError.outcome(400, issues);
    }
    const request = parsed.request;
    const auth = res.locals.auth ?? {};
    if (!isFhirServerAllowed(auth, request.fhirServer)) {
      log?.warn({ iss: auth.iss, fhirServerHost: hostOf(request.fhirServer) }, 'fhirServer not allowed for this client');
      throw HttpError.outcome(403, [
        { code: 'forbidden', diagnostics: 'fhirServer is not an allowed FHIR server for this client', expression: 'fhirServer' },
      ]);
    }

    const deadline = Date.now() + deps.fhirTimeoutMs;
    const signal = abortOnClose(res);
    const fhir = {
      ...(request.fhirServer !== undefined && { fhirServer: request.fhirServer }),
      ...(request.fhirAuthorization !== undefined && { fhirAuthorization: request.fhirAuthorization }),
    };
    const fhirDeps = {
      onFhirError: (kind: string) => deps.metrics.fhirErrors.inc({ kind }),
      ...(deps.fhirAgents !== undefined && { agents: deps.fhirAgents }),
    };

    let aiOrders: AiOrder[] = [];
    if (service.hook !== 'patient-view') {
      aiOrders = await findOrders(request, { deadline, signal, fhir, fhirDeps, policy: deps.policy });
      if (aiOrders.length === 0) {
        sendJson(res, { cards: [] });
        return;
      }
    }

    const gathered = await gatherPatientData(
      {
        patientId: request.context.patientId,
        ...(request.prefetch !== undefined && { prefetch: request.prefetch }),
        ...fhir,
        deadlineMs: Math.max(0, deadline - Date.now()),
        signal,
      },
      fhirDeps,
    );
    if (!gathered.ok) {
      log?.info({ missing: gathered.missing }, 'required data unavailable');
      throw new HttpError(412, gathered.outcome);
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
    });
    record(cards, request, serviceId, res, deps);
    sendJson(res, { cards });
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

/** Issued cards go to the store's queue; a failing store must never cost the prescriber the answer. */
function record(cards: Card[], request: HookRequest, serviceId: string, res: Response, deps: ServiceCallDeps): void {
  const issuedAt = deps.now();
  const auth = res.locals.auth;
  const issued: IssuedCard[] = cards.map((c) => ({
    uuid: c.uuid,
    serviceId,
    topic: c.source.topic?.code ?? 'unknown',
    indicator: c.indicator,
    suggestionIds: (c.suggestions ?? []).map((s) => s.uuid).filter((u): u is string => u !== undefined),
    hookInstance: request.hookInstance,
    issuedAt,
    ...(auth?.iss !== undefined && { issuer: auth.iss }),
    ...(auth?.tenant !== undefined && { tenant: auth.tenant }),
  }));
  try {
    deps.feedbackStore.recordCards(issued);
  } catch (err) {
    res.locals.log?.error({ err }, 'could not queue issued cards');
  }
}

function hostOf(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  try {
    return new URL(url).host;
  } catch {
    return undefined;
  }
}
