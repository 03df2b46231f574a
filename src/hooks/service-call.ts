import type { RequestHandler, Response } from 'express';
import { HttpError } from '../http/http-error.js';
import { sendJsonBytes } from '../http/send-json.js';
import type { Metrics } from '../metrics.js';
import type { FeedbackStore, IssuedCard } from '../store/feedback-store.js';
import type { CallEvents, IssuedSummary, ServiceCall } from './answer.js';
import type { ServiceCallEngine } from '../engine/index.js';
import '../http/locals.js';

export interface ServiceCallDeps {
  engine: ServiceCallEngine;
  feedbackStore: FeedbackStore;
  metrics: Metrics;
  /** One deadline for all FHIR calls of a request (FHIR_TIMEOUT_MS), counted from its arrival. */
  fhirTimeoutMs: number;
  now: () => Date;
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
 * `POST /cds-services/{id}` after authentication and reading the body's bytes: the engine answers
 * (./answer.ts), this records the issued cards and writes the answer.
 */
export function serviceCallHandler(deps: ServiceCallDeps): RequestHandler {
  return async (req, res) => {
    const log = res.locals.log;
    const serviceId = res.locals.service ?? '-';
    const body = req.body as Buffer | undefined;
    const call: ServiceCall = {
      serviceId,
      ...(body !== undefined && { body }),
      charset: res.locals.bodyCharset ?? 'utf-8',
      auth: res.locals.auth ?? {},
      deadline: Date.now() + deps.fhirTimeoutMs,
    };
    const events: CallEvents = {
      log: (level, fields, msg) => log?.[level](fields, msg),
      fhirError: (kind) => deps.metrics.fhirErrors.inc({ kind }),
    };
    const answer = await deps.engine.answer(call, events, abortOnClose(res));
    if (answer.status !== 200) throw new HttpError(answer.status, answer.outcome);
    if (answer.issued.length > 0) record(answer.issued, answer.hookInstance, serviceId, res, deps);
    sendJsonBytes(res, answer.json);
  };
}

/** Issued cards go to the store's queue; a failing store must never cost the prescriber the answer. */
function record(
  cards: IssuedSummary[],
  hookInstance: string,
  serviceId: string,
  res: Response,
  deps: ServiceCallDeps,
): void {
  const issuedAt = deps.now();
  const auth = res.locals.auth;
  const issued: IssuedCard[] = cards.map((c) => ({
    ...c,
    serviceId,
    hookInstance,
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
