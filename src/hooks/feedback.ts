import type { RequestHandler } from 'express';
import type { FeedbackRecord, FeedbackStore } from '../store/feedback-store.js';
import { HttpError } from '../http/http-error.js';
import { BODY_NOT_JSON } from '../http/operation-outcome.js';
import { parseJsonBytes } from '../http/parse-json.js';
import { FEEDBACK_SCHEMA } from './feedback-schema.js';
import { outcomeIssues } from './zod-issues.js';
import '../http/locals.js';

export interface FeedbackDeps {
  feedbackStore: FeedbackStore;
  now: () => Date;
}

/**
 * `POST /cds-services/{id}/feedback`. Answers 200 only once the store says the items are kept
 * (repeats are stored once); a store failure is a 503 so that the EHR retries.
 */
export function feedbackHandler(deps: FeedbackDeps): RequestHandler {
  return async (req, res) => {
    const serviceId = res.locals.service ?? '-';
    const body = req.body as Buffer | undefined;
    const json =
      body === undefined
        ? { ok: true as const, value: undefined }
        : parseJsonBytes(body, res.locals.bodyCharset ?? 'utf-8');
    if (!json.ok) throw HttpError.outcome(400, [BODY_NOT_JSON]);
    const parsed = FEEDBACK_SCHEMA.safeParse(json.value);
    if (!parsed.success) {
      const issues = outcomeIssues(parsed.error.issues);
      res.locals.log?.info({ invalid: issues.map((i) => i.expression ?? '(body)') }, 'invalid feedback');
      throw HttpError.outcome(400, issues);
    }
    const receivedAt = deps.now();
    const auth = res.locals.auth;
    const records: FeedbackRecord[] = parsed.data.feedback.map((f) => {
      const reason = f.outcome === 'overridden' ? f.overrideReason : undefined;
      return {
        serviceId,
        card: f.card,
        outcome: f.outcome,
        acceptedSuggestions: f.outcome === 'accepted' ? (f.acceptedSuggestions ?? []).map((s) => s.id) : [],
        ...(reason?.reason !== undefined && { overrideReason: reason.reason }),
        ...(reason?.userComment !== undefined && { userComment: reason.userComment }),
        outcomeTimestamp: f.outcomeTimestamp,
        receivedAt,
        ...(auth?.iss !== undefined && { issuer: auth.iss }),
        ...(auth?.tenant !== undefined && { tenant: auth.tenant }),
      };
    });
    let result;
    try {
      result = await deps.feedbackStore.saveFeedback(records);
    } catch (err) {
      res.locals.log?.error({ err, items: records.length }, 'feedback could not be stored');
      throw HttpError.outcome(
        503,
        [{ code: 'transient', diagnostics: 'Feedback could not be stored now; retry later' }],
        {
          'Retry-After': '5',
        },
      );
    }
    res.status(200).json({ stored: result.stored, duplicates: result.duplicates });
  };
}
