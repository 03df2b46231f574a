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
  let y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 1;
  const d = m[3] ? Number(m[3]) : 1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999; kept so that every date means what it always did.
  if (y <= 99) y += 1900;
  // Reject 2023-02-31 and the like instead of rolling over.
  if (d > daysInMonth(y, mo)) return undefined;
  return daysFromCivil(y, mo, d);
}

function daysInMonth(y: number, month: number): number {
  if (month === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/*
 * Calendar ↔ day number by arithmetic (the proleptic Gregorian "days from civil" algorithm) rather
 * than through Date objects: these run for every date of every resource of a request, and were
 * among its hottest functions. test/perf/fast-paths.test.ts holds them equal to the Date forms.
 */
function daysFromCivil(year: number, month: number, day: number): DayNumber {
  const y = month <= 2 ? year - 1 : year;
  const era = Math.floor(y / 400);
  const yoe = y - era * 400;
  const doy = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1;
  const doe = yoe * 365 + Math.floor(yoe / 4) - Math.floor(yoe / 100) + doy;
  return era * 146_097 + doe - 719_468;
}

/** The UTC calendar day of an instant. */
export function dayOfInstant(now: Date): DayNumber {
  return Math.floor(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate()) / 86_400_000);
}

export function isoDay(day: DayNumber): string {
  // Years 0000–9999 by arithmetic; anything else (or a non-integer) the Date way, as before.
  if (!Number.isInteger(day) || day < -719_528 || day > 2_932_896) return new Date(day * 86_400_000).toISOString().slice(0, 10);
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const d = doy - Math.floor((153 * mp + 2) / 5) + 1;
  const m = mp < 10 ? mp + 3 : mp - 9;
  const y = yoe + era * 400 + (m <= 2 ? 1 : 0);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
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
