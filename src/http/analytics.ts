import { createHash, timingSafeEqual } from 'node:crypto';
import { Router, type Request, type RequestHandler } from 'express';
import { z } from 'zod';
import { DateRangeError, parseRange } from '../store/date-range.js';
import type { FeedbackStore } from '../store/feedback-store.js';
import { describeError, type StoreLogger } from '../store/store-logger.js';
import { operationOutcome } from './operation-outcome.js';

export interface AnalyticsRouterOptions {
  store: FeedbackStore;
  /** ANALYTICS_TOKEN. Unset or empty: the endpoint does not exist (404 from the app). */
  token?: string;
  logger?: StoreLogger;
}

const querySchema = z.object({
  from: z.string().optional(),
  to: z.string().optional(),
  serviceId: z.string().min(1).max(200).optional(),
});

const digest = (s: string): Buffer => createHash('sha256').update(s, 'utf8').digest();

/**
 * Hashing both sides first makes the comparison constant-time whatever the lengths, so the
 * token's length does not leak either.
 */
function bearerMatches(req: Request, expected: Buffer): boolean {
  const header = req.get('authorization');
  const m = header ? /^Bearer[ ]+(\S+)\s*$/i.exec(header) : null;
  if (!m?.[1]) return false;
  return timingSafeEqual(digest(m[1]), expected);
}

/**
 * `GET /analytics/summary?from=YYYY-MM-DD&to=YYYY-MM-DD&serviceId=…` — the committee's numbers
 * per service and topic, and day by day, as JSON. `from`/`to` are whole UTC days, both included
 * (or exact RFC 3339 instants, `to` exclusive); the answer echoes the half-open range it used.
 */
export function createAnalyticsRouter(opts: AnalyticsRouterOptions): Router {
  const router = Router();
  if (!opts.token) return router;
  const expected = digest(opts.token);

  const summary: RequestHandler = async (req, res) => {
    res.set('Cache-Control', 'no-store');
    if (!bearerMatches(req, expected)) {
      res
        .status(401)
        .set('WWW-Authenticate', 'Bearer realm="aibl-cds-analytics"')
        .json(operationOutcome([{ code: 'login', diagnostics: 'A valid analytics bearer token is required' }]));
      return;
    }
    const parsed = querySchema.safeParse(req.query);
    if (!parsed.success) {
      res.status(400).json(
        operationOutcome(
          parsed.error.issues.map((i) => ({
            code: 'invalid' as const,
            diagnostics: `${i.path.join('.')}: ${i.message}`,
            expression: i.path.join('.'),
          })),
        ),
      );
      return;
    }
    let range: { from?: Date; to?: Date };
    try {
      range = parseRange(parsed.data.from, parsed.data.to);
    } catch (err) {
      if (!(err instanceof DateRangeError)) throw err;
      res.status(400).json(operationOutcome([{ code: 'invalid', diagnostics: err.message, expression: err.field }]));
      return;
    }
    const serviceId = parsed.data.serviceId;
    try {
      const query = { ...range, ...(serviceId !== undefined ? { serviceId } : {}) };
      const [topics, daily] = await Promise.all([opts.store.summary(query), opts.store.dailyTrend(query)]);
      res.json({
        from: range.from?.toISOString() ?? null,
        to: range.to?.toISOString() ?? null,
        ...(serviceId !== undefined ? { serviceId } : {}),
        generatedAt: new Date().toISOString(),
        topics,
        daily,
      });
    } catch (err) {
      opts.logger?.error(describeError(err), 'analytics summary failed: feedback store unavailable');
      res
        .status(503)
        .set('Retry-After', '30')
        .json(operationOutcome([{ code: 'transient', diagnostics: 'Feedback store unavailable; retry later' }]));
    }
  };

  router.get('/analytics/summary', summary);
  return router;
}
