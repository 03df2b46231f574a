import type { DayCount, TopicSummary } from './feedback-store.js';

/**
 * The committee's numbers, assembled the same way from both databases' rows.
 *
 * Definitions (also in deploy/README.md):
 * - issued: cards issued in the range (by issue time);
 * - accepted / overridden: distinct cards with feedback of that outcome whose outcome time is in
 *   the range (a repeat with a new timestamp does not count twice);
 * - acceptanceRate: accepted / (accepted + overridden), null without feedback;
 * - override reasons: distinct overridden cards per coded reason (system + code; a display-only
 *   reason by its display), most frequent first; an override without any reason is listed as an
 *   entry with no system, code or display.
 * Feedback about a card this service has no record of is counted under the topic `unknown`.
 */
export const UNKNOWN_TOPIC = 'unknown';

export interface IssuedRow {
  service_id: string;
  topic: string;
  issued: number | string;
}

export interface OutcomeRow {
  service_id: string;
  topic: string;
  accepted: number | string;
  overridden: number | string;
}

export interface ReasonRow {
  service_id: string;
  topic: string;
  override_system: string | null;
  override_code: string | null;
  display: string | null;
  count: number | string;
}

export function buildSummary(issued: IssuedRow[], outcomes: OutcomeRow[], reasons: ReasonRow[]): TopicSummary[] {
  const byKey = new Map<string, TopicSummary>();
  const entry = (serviceId: string, topic: string): TopicSummary => {
    const key = `${serviceId}\u0000${topic}`;
    let s = byKey.get(key);
    if (!s) {
      s = { serviceId, topic, issued: 0, accepted: 0, overridden: 0, acceptanceRate: null, overrideReasons: [] };
      byKey.set(key, s);
    }
    return s;
  };
  for (const r of issued) entry(r.service_id, r.topic).issued = Number(r.issued);
  for (const r of outcomes) {
    const s = entry(r.service_id, r.topic);
    s.accepted = Number(r.accepted);
    s.overridden = Number(r.overridden);
  }
  for (const r of reasons) {
    entry(r.service_id, r.topic).overrideReasons.push({
      ...(r.override_system !== null ? { system: r.override_system } : {}),
      ...(r.override_code !== null ? { code: r.override_code } : {}),
      ...(r.display !== null ? { display: r.display } : {}),
      count: Number(r.count),
    });
  }
  const out = [...byKey.values()];
  for (const s of out) {
    const decided = s.accepted + s.overridden;
    s.acceptanceRate = decided === 0 ? null : s.accepted / decided;
    s.overrideReasons.sort(
      (a, b) =>
        b.count - a.count ||
        (a.code ?? '').localeCompare(b.code ?? '') ||
        (a.display ?? '').localeCompare(b.display ?? ''),
    );
  }
  return out.sort((a, b) => a.serviceId.localeCompare(b.serviceId) || a.topic.localeCompare(b.topic));
}

export interface DayRow {
  day: string;
  issued?: number | string;
  accepted?: number | string;
  overridden?: number | string;
}

/**
 * The daily trend from per-day issued rows and per-day outcome rows. A card overridden on two days
 * counts on each, so the days of a range may add up to more than the range's distinct cards.
 */
export function buildDailyTrend(issued: DayRow[], outcomes: DayRow[]): DayCount[] {
  const byDay = new Map<string, DayCount>();
  const entry = (day: string): DayCount => {
    let d = byDay.get(day);
    if (!d) byDay.set(day, (d = { day, issued: 0, accepted: 0, overridden: 0 }));
    return d;
  };
  for (const r of issued) entry(r.day).issued = Number(r.issued ?? 0);
  for (const r of outcomes) {
    const d = entry(r.day);
    d.accepted = Number(r.accepted ?? 0);
    d.overridden = Number(r.overridden ?? 0);
  }
  return [...byDay.values()].sort((a, b) => a.day.localeCompare(b.day));
}

/** The UTC calendar day of an instant, as the SQL stores group it. */
export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}
