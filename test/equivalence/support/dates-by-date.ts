/**
 * The date helpers of src/core/dates.ts as they were written before the arithmetic rewrites
 * (through regular expressions and Date): the references the fast-path tests hold them equal to.
 */

/** timeOfDay as it was written before: a regular expression on the trimmed text. */
export function timeOfDayByRegex(value: string): number | undefined {
  const m = /^\d{4}-\d{2}-\d{2}T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?/.exec(value.trim());
  if (!m) return undefined;
  const ms =
    ((Number(m[1]) * 60 + Number(m[2])) * 60 + Number(m[3] ?? 0)) * 1000 + Number((m[4] ?? '0').padEnd(3, '0'));
  return ms < 86_400_000 ? ms : undefined;
}

/** dayOf as it was written before (through Date.UTC), to check leading white space and junk. */
export function dayOfByDate(value: string | undefined): number | undefined {
  if (typeof value !== 'string') return undefined;
  const m = /^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?/.exec(value.trim());
  if (!m) return undefined;
  const y = Number(m[1]);
  const mo = m[2] ? Number(m[2]) : 1;
  const d = m[3] ? Number(m[3]) : 1;
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return undefined;
  const t = Date.UTC(y, mo - 1, d);
  if (Number.isNaN(t)) return undefined;
  if (new Date(t).getUTCDate() !== d) return undefined;
  return Math.floor(t / 86_400_000);
}

export function monthsBeforeByDate(day: number, months: number): number {
  const d = new Date(day * 86_400_000);
  const y = d.getUTCFullYear();
  const m = d.getUTCMonth() - months;
  const target = new Date(Date.UTC(y, m, 1));
  const lastDay = new Date(Date.UTC(target.getUTCFullYear(), target.getUTCMonth() + 1, 0)).getUTCDate();
  return Math.floor(
    Date.UTC(target.getUTCFullYear(), target.getUTCMonth(), Math.min(d.getUTCDate(), lastDay)) / 86_400_000,
  );
}

export function wholeYearsByDate(birth: number, at: number): number {
  const b = new Date(birth * 86_400_000);
  const a = new Date(at * 86_400_000);
  let years = a.getUTCFullYear() - b.getUTCFullYear();
  const beforeBirthday =
    a.getUTCMonth() < b.getUTCMonth() || (a.getUTCMonth() === b.getUTCMonth() && a.getUTCDate() < b.getUTCDate());
  if (beforeBirthday) years -= 1;
  return years;
}

export const isoDayByDate = (day: number): string => new Date(day * 86_400_000).toISOString().slice(0, 10);
