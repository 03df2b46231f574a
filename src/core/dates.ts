/**
 * Calendar arithmetic on FHIR dates. Windows are compared by calendar day (the date as written in
 * the record), so a boundary such as "exactly 24 months ago" does not depend on clock time.
 */

/** Days since 1970-01-01 of a calendar date. */
export type DayNumber = number;

/*
 * FHIR dates are read by scanning their characters rather than by regular expressions: every date
 * of every resource of a request is read, and the regexes (quoted in the doc comments below) were
 * among the hottest functions. The scans accept exactly what they accepted;
 * test/equivalence/fast-paths.test.ts and test/equivalence/core-fast-paths.test.ts hold the two forms equal.
 */

/** The digit at `i` (0–9), or -1 for anything else, including past the end. */
function digitAt(s: string, i: number): number {
  const c = s.charCodeAt(i) - 48;
  return c >= 0 && c <= 9 ? c : -1;
}

/** Two digits at `i` as a number, or -1. */
function twoDigitsAt(s: string, i: number): number {
  const a = digitAt(s, i);
  const b = digitAt(s, i + 1);
  return a < 0 || b < 0 ? -1 : a * 10 + b;
}

/**
 * The text as the date readers see it: leading white space removed (trailing white space never
 * reaches the part of a date that is read). Trims only when the text does not start with a digit,
 * so that the usual date is read in place.
 */
function trimmedStart(value: string): string {
  return digitAt(value, 0) >= 0 ? value : value.trim();
}

/**
 * The calendar day a FHIR date/dateTime/instant names, as written (time zone ignored). Partial
 * dates take their first day ("2020" → 2020-01-01). Unparseable → undefined.
 *
 * Read as `^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?` after trimming: four digits of year, then a month
 * only as `-MM`, then a day only as `-DD` (so "2024-3-04" is 2024-01-01, as it always was).
 */
export function dayOf(value: string | undefined): DayNumber | undefined {
  if (typeof value !== 'string') return undefined;
  const s = trimmedStart(value);
  const y0 = twoDigitsAt(s, 0);
  const y1 = twoDigitsAt(s, 2);
  if (y0 < 0 || y1 < 0) return undefined;
  let y = y0 * 100 + y1;
  let mo = 1;
  let d = 1;
  if (s.charCodeAt(4) === 45 /* - */) {
    const m = twoDigitsAt(s, 5);
    if (m >= 0) {
      mo = m;
      if (s.charCodeAt(7) === 45 /* - */) {
        const dd = twoDigitsAt(s, 8);
        if (dd >= 0) d = dd;
      }
    }
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  // Date.UTC reads years 0–99 as 1900–1999; kept so that every date means what it always did.
  if (y <= 99) y += 1900;
  // Reject 2023-02-31 and the like instead of rolling over.
  if (d > daysInMonth(y, mo)) return undefined;
  return daysFromCivil(y, mo, d);
}

const DAY_MS = 86_400_000;

/**
 * Milliseconds into the day of a dateTime/instant as written (zone ignored, like `dayOf`); undefined
 * for a date without a time, or a time past the end of the day. Read as
 * `^\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?` after trimming: seconds and
 * milliseconds are optional, and a fraction counts by its first three digits ("…:05.5" is 5500 ms).
 */
export function timeOfDay(value: string): number | undefined {
  const s = trimmedStart(value);
  if (twoDigitsAt(s, 0) < 0 || twoDigitsAt(s, 2) < 0) return undefined;
  if (s.charCodeAt(4) !== 45 || twoDigitsAt(s, 5) < 0 || s.charCodeAt(7) !== 45 || twoDigitsAt(s, 8) < 0)
    return undefined;
  if (s.charCodeAt(10) !== 84 /* T */) return undefined;
  const h = twoDigitsAt(s, 11);
  const mi = twoDigitsAt(s, 14);
  if (h < 0 || s.charCodeAt(13) !== 58 /* : */ || mi < 0) return undefined;
  let sec = 0;
  let ms = 0;
  if (s.charCodeAt(16) === 58 /* : */ && twoDigitsAt(s, 17) >= 0) {
    sec = twoDigitsAt(s, 17);
    if (s.charCodeAt(19) === 46 /* . */ && digitAt(s, 20) >= 0) {
      // One to three digits, read as thousandths ("5" → 500, "05" → 50); a fourth is ignored.
      let digits = 0;
      while (digits < 3 && digitAt(s, 20 + digits) >= 0) ms = ms * 10 + digitAt(s, 20 + digits++);
      ms *= digits === 1 ? 100 : digits === 2 ? 10 : 1;
    }
  }
  const t = ((h * 60 + mi) * 60 + sec) * 1000 + ms;
  return t < DAY_MS ? t : undefined;
}

function daysInMonth(y: number, month: number): number {
  if (month === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31;
}

/*
 * Calendar ↔ day number by arithmetic (the proleptic Gregorian "days from civil" algorithm) rather
 * than through Date objects: these run for every date of every resource of a request, and were
 * among its hottest functions. test/equivalence/fast-paths.test.ts holds them equal to the Date forms.
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

/** Whole days in years 0000–9999, where the arithmetic forms are used (else the Date forms, as before). */
function inArithmeticRange(day: DayNumber): boolean {
  return Number.isInteger(day) && day >= -719_528 && day <= 2_932_896;
}

/** The calendar date of a day number (inverse of `daysFromCivil`). */
function civilOf(day: DayNumber): { y: number; m: number; d: number } {
  const z = day + 719_468;
  const era = Math.floor(z / 146_097);
  const doe = z - era * 146_097;
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365);
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
  const mp = Math.floor((5 * doy + 2) / 153);
  const m = mp < 10 ? mp + 3 : mp - 9;
  return { y: yoe + era * 400 + (m <= 2 ? 1 : 0), m, d: doy - Math.floor((153 * mp + 2) / 5) + 1 };
}

/** The year Date.UTC makes of `y`: it reads 0–99 as 1900–1999 (kept, so that windows mean what they always did). */
function dateUtcYear(y: number): number {
  return y >= 0 && y <= 99 ? y + 1900 : y;
}

export function isoDay(day: DayNumber): string {
  // Years 0000–9999 by arithmetic; anything else (or a non-integer) the Date way, as before.
  if (!inArithmeticRange(day)) return new Date(day * 86_400_000).toISOString().slice(0, 10);
  const { y, m, d } = civilOf(day);
  return `${String(y).padStart(4, '0')}-${m < 10 ? '0' : ''}${m}-${d < 10 ? '0' : ''}${d}`;
}

/** The same calendar day `months` months earlier (clamped to the month's last day). */
export function monthsBefore(day: DayNumber, months: number): DayNumber {
  if (!inArithmeticRange(day) || !Number.isInteger(months) || months < 0 || months > 12_000) {
    return monthsBeforeByDate(day, months);
  }
  const { y, m, d } = civilOf(day);
  const total = dateUtcYear(y) * 12 + (m - 1) - months;
  const year = dateUtcYear(Math.floor(total / 12));
  const month = total - Math.floor(total / 12) * 12 + 1;
  return daysFromCivil(year, month, Math.min(d, daysInMonth(year, month)));
}

function monthsBeforeByDate(day: DayNumber, months: number): DayNumber {
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
  if (!inArithmeticRange(birth) || !inArithmeticRange(at)) return wholeYearsByDate(birth, at);
  const b = civilOf(birth);
  const a = civilOf(at);
  const beforeBirthday = a.m < b.m || (a.m === b.m && a.d < b.d);
  return a.y - b.y - (beforeBirthday ? 1 : 0);
}

function wholeYearsByDate(birth: DayNumber, at: DayNumber): number {
  const b = new Date(birth * 86_400_000);
  const a = new Date(at * 86_400_000);
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  const beforeBirthday =
    a.getUTCMonth() < b.getUTCMonth() || (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate());
  if (beforeBirthday) years -= 1;
  return years;
}

export const DAYS_PER_YEAR = 365.25;
