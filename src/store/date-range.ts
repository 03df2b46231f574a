/**
 * Date ranges as a committee states them: whole UTC days, both ends included. A bare date
 * `to=2025-03-31` therefore ends at 2025-04-01T00:00Z (exclusive), while a full RFC 3339
 * timestamp is taken as the exact (exclusive) end. Stores always receive a half-open [from, to).
 */
const DATE_ONLY = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$/;

export class DateRangeError extends Error {
  constructor(
    readonly field: 'from' | 'to',
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'DateRangeError';
  }
}

export function parseRangeBound(value: string, field: 'from' | 'to'): Date {
  const d = DATE_ONLY.exec(value);
  if (d) {
    const [y, m, day] = [Number(d[1]), Number(d[2]), Number(d[3])];
    const t = Date.UTC(y, m - 1, day);
    const check = new Date(t);
    if (check.getUTCFullYear() !== y || check.getUTCMonth() !== m - 1 || check.getUTCDate() !== day) {
      throw new DateRangeError(field, 'is not a calendar date');
    }
    return field === 'to' ? new Date(t + 86_400_000) : check;
  }
  if (DATE_TIME.test(value)) {
    const t = Date.parse(value);
    if (!Number.isNaN(t)) return new Date(t);
  }
  throw new DateRangeError(field, 'must be a date (YYYY-MM-DD) or an RFC 3339 timestamp');
}

/** Both optional; an inverted range is refused rather than silently answered with zeros. */
export function parseRange(from: string | undefined, to: string | undefined): { from?: Date; to?: Date } {
  const out: { from?: Date; to?: Date } = {};
  if (from !== undefined) out.from = parseRangeBound(from, 'from');
  if (to !== undefined) out.to = parseRangeBound(to, 'to');
  if (out.from && out.to && out.from.getTime() >= out.to.getTime()) {
    throw new DateRangeError('to', 'must be after from');
  }
  return out;
}

/**
 * The `days` whole UTC days that end with today, today included: a report run without dates shows
 * what happened up to the moment it runs, cards issued this morning too.
 */
export function daysThroughToday(now: Date, days: number): { from: Date; to: Date } {
  const to = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1);
  return { from: new Date(to - days * 86_400_000), to: new Date(to) };
}
