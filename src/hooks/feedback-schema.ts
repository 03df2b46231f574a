import { z } from 'zod';

/** RFC 3339 §5.6 date-time: full date, `T`, time with optional fraction, `Z` or a numeric offset. */
const RFC3339 =
  /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])[Tt]([01]\d|2[0-3]):[0-5]\d:([0-5]\d|60)(\.\d+)?([Zz]|[+-]([01]\d|2[0-3]):[0-5]\d)$/;

function isRfc3339(v: string): boolean {
  if (!RFC3339.test(v)) return false;
  // The pattern admits 2024-02-31; a real calendar date survives a round trip through Date.
  const [y, m, d] = v.slice(0, 10).split('-').map(Number) as [number, number, number];
  const day = new Date(Date.UTC(y, m - 1, d));
  return day.getUTCFullYear() === y && day.getUTCMonth() === m - 1 && day.getUTCDate() === d;
}

const nonEmpty = z.string().trim().min(1, { error: 'must not be empty' });

const coding = z.object({
  system: nonEmpty,
  code: nonEmpty,
  // The CDS Hooks sandbox sends the chosen reason without its display.
  display: z.string().optional(),
});

/**
 * 2.0 shape `{reason: Coding, userComment}`; the pre-2.0 sandbox sent the Coding's members flat
 * (`{code, system}`), which is accepted and read as `reason`.
 */
const overrideReason = z
  .object({
    reason: coding.optional(),
    userComment: z.string().optional(),
    code: z.string().optional(),
    system: z.string().optional(),
    display: z.string().optional(),
  })
  .superRefine((r, ctx) => {
    const flat = r.code !== undefined || r.system !== undefined;
    if (flat && r.reason === undefined && (!r.code?.trim() || !r.system?.trim())) {
      ctx.addIssue({
        code: 'custom',
        path: [r.code?.trim() ? 'system' : 'code'],
        message: 'is required with the flat reason form',
      });
    }
    if (r.reason === undefined && !flat && !r.userComment?.trim()) {
      ctx.addIssue({ code: 'custom', path: ['reason'], message: 'reason or userComment is required' });
    }
  })
  .transform((r) => {
    const reason =
      r.reason ??
      (r.code !== undefined && r.system !== undefined
        ? { system: r.system, code: r.code, ...(r.display !== undefined && { display: r.display }) }
        : undefined);
    return {
      ...(reason !== undefined && { reason }),
      ...(r.userComment !== undefined && r.userComment.trim() !== '' && { userComment: r.userComment }),
    };
  });

const feedbackItem = z
  .object({
    card: nonEmpty.max(256),
    outcome: z.enum(['accepted', 'overridden'], { error: 'must be "accepted" or "overridden"' }),
    acceptedSuggestions: z
      .array(z.object({ id: nonEmpty.max(256) }))
      .min(1, { error: 'must name at least one suggestion' })
      .optional(),
    overrideReason: overrideReason.optional(),
    outcomeTimestamp: z
      .string()
      .refine(isRfc3339, { error: 'must be an RFC 3339 date-time, e.g. 2024-04-12T23:20:50.52Z' }),
  })
  .refine((f) => f.outcome !== 'accepted' || f.acceptedSuggestions !== undefined, {
    path: ['acceptedSuggestions'],
    error: 'is required when outcome is accepted',
    // Checked even when other members are invalid, so that one answer names every problem.
    when: (payload) => {
      const v = payload.value as { outcome?: unknown; acceptedSuggestions?: unknown } | null;
      return typeof v === 'object' && v !== null && v.outcome === 'accepted' && v.acceptedSuggestions === undefined;
    },
  });

export const FEEDBACK_SCHEMA = z.object({
  feedback: z.array(feedbackItem).min(1, { error: 'must hold at least one feedback item' }).max(1000),
});

export type FeedbackBody = z.infer<typeof FEEDBACK_SCHEMA>;
