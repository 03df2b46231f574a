/**
 * Calendar arithmetic on FHIR dates. Windows are compared by calendar day (the date as written in
 * the record), so a boundary such as "exactly 24 months ago" does not depend on clock time.
 */

/** Days since 1970-01-01 of a calendar date. */
export type DayNumber = number;

const DATE_RE = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/;

/**
 * The calendar day a FHIR date/dateTime/instant names, as written (time zone ignored). Partial
 * dates take their first day ("2020" → 2020-01-01). Unparseable → undefined.
 */
export function dayOf(value: string | undefined): DayNumber | undefined {
  if (typeof value !== 'string') return undefined;
  const m = DATE_RE.exec(value.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 1;
  const d = m[3] ? Number(m[3]) : 1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const t = Date.UTC(y, mo - 1, d);
  if (Number.isNaN(t)) return undefined;
  // Reject 2023-02-31 and the like instead of rolling over.
  if (new Date(t).getUTCDate() !== d) return undefined;
  return Math.floor(t / 86_400_000);
}

/** The UTC calendar day of an instant. */
export function dayOfInstant(now: Date): DayNumber {
  return Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) / 86_400_000);
}

export function isoDay(day: DayNumber): string {
  return new Date(day * 86_400_000).toISOString().slice(0, 10);
}

/** The same calendar day `months` months earlier (clamped to the month's last day). */
export function monthsBefore(day: DayNumber, months: number): DayNumber {
  const d = new Date(day * 86_400_000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - months;
  const target = new Date(Date.UTC(y, m, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return Math.floor(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d.getUTCDate(), lastDay)) / 86_400_000,
  );
}

/** Whole years from `birth` to `at` (age on that day). */
export function wholeYears(birth: DayNumber, at: DayNumber): number {
  const b = new Date(birth * 86_400_000);
  const a = new Date(at * 86_400_000);
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  const beforeBirthday =
    a.getUTCMonth() < b.getUTCMonth() || (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate());
  if (beforeBirthday) years -= 1;
  return years;
}

export const DAYS_PER_YEAR = 365.25;
