import type {
  DayCount,
  FeedbackRecord,
  FeedbackStore,
  IssuedCard,
  SaveResult,
  SummaryQuery,
  TopicSummary,
} from './feedback-store.js';
import {
  buildDailyTrend,
  buildSummary,
  UNKNOWN_TOPIC,
  utcDay,
  type IssuedRow,
  type OutcomeRow,
  type ReasonRow,
} from './summary.js';

export interface MemoryStoreOptions {
  /** Oldest cards are forgotten beyond this many, so a long-running process stays bounded. */
  maxCards?: number;
  maxFeedback?: number;
}

const feedbackKey = (f: FeedbackRecord): string => `${f.card}\u0000${f.outcome}\u0000${f.outcomeTimestamp}`;

function outcomeTime(f: FeedbackRecord): number {
  const t = Date.parse(f.outcomeTimestamp);
  return Number.isNaN(t) ? f.receivedAt.getTime() : t;
}

function inRange(t: number, q: SummaryQuery): boolean {
  return (q.from === undefined || t >= q.from.getTime()) && (q.to === undefined || t < q.to.getTime());
}

/**
 * Feedback kept in process memory: for development and single-process tests. Same semantics as
 * the database stores (idempotent on card + outcome + outcomeTimestamp, same summary definitions),
 * but lost on restart.
 */
export class MemoryFeedbackStore implements FeedbackStore {
  private readonly cards = new Map<string, IssuedCard>();
  private readonly feedback = new Map<string, FeedbackRecord>();
  private readonly maxCards: number;
  private readonly maxFeedback: number;
  private closed = false;

  constructor(opts: MemoryStoreOptions = {}) {
    this.maxCards = opts.maxCards ?? 100_000;
    this.maxFeedback = opts.maxFeedback ?? 100_000;
  }

  recordCards(cards: IssuedCard[]): void {
    if (this.closed) return;
    for (const c of cards) {
      if (!this.cards.has(c.uuid)) this.cards.set(c.uuid, { ...c, suggestionIds: [...c.suggestionIds] });
    }
    evictOldest(this.cards, this.maxCards);
  }

  async saveFeedback(items: FeedbackRecord[]): Promise<SaveResult> {
    if (this.closed) throw new Error('feedback store is closed');
    const storedItems: FeedbackRecord[] = [];
    for (const f of items) {
      const key = feedbackKey(f);
      if (this.feedback.has(key)) continue;
      const copy: FeedbackRecord = { ...f, acceptedSuggestions: [...f.acceptedSuggestions] };
      this.feedback.set(key, copy);
      storedItems.push(copy);
    }
    evictOldest(this.feedback, this.maxFeedback);
    return { stored: storedItems.length, duplicates: items.length - storedItems.length, storedItems };
  }

  async summary(query: SummaryQuery): Promise<TopicSummary[]> {
    if (this.closed) throw new Error('feedback store is closed');
    const wantService = (s: string) => query.serviceId === undefined || s === query.serviceId;

    const issued = new Map<string, IssuedRow>();
    for (const c of this.cards.values()) {
      if (!wantService(c.serviceId) || !inRange(c.issuedAt.getTime(), query)) continue;
      const k = `${c.serviceId}\u0000${c.topic}`;
      const row = issued.get(k) ?? { service_id: c.serviceId, topic: c.topic, issued: 0 };
      row.issued = Number(row.issued) + 1;
      issued.set(k, row);
    }

    // Distinct cards per outcome, and per override reason, like the SQL stores' COUNT(DISTINCT).
    const outcomeCards = new Map<string, { row: OutcomeRow; accepted: Set<string>; overridden: Set<string> }>();
    const reasonCards = new Map<string, { row: ReasonRow; cards: Set<string> }>();
    for (const f of this.feedback.values()) {
      if (!wantService(f.serviceId) || !inRange(outcomeTime(f), query)) continue;
      const topic = this.cards.get(f.card)?.topic ?? UNKNOWN_TOPIC;
      const k = `${f.serviceId}\u0000${topic}`;
      const o = outcomeCards.get(k) ?? {
        row: { service_id: f.serviceId, topic, accepted: 0, overridden: 0 },
        accepted: new Set<string>(),
        overridden: new Set<string>(),
      };
      (f.outcome === 'accepted' ? o.accepted : o.overridden).add(f.card);
      outcomeCards.set(k, o);
      if (f.outcome !== 'overridden') continue;
      const r = f.overrideReason;
      const code = r?.code ?? null;
      const system = r?.system ?? null;
      const displayKey = code === null ? (r?.display ?? null) : null;
      const rk = `${k}\u0000${system ?? ''}\u0000${code ?? ''}\u0000${displayKey ?? ''}`;
      const entry = reasonCards.get(rk) ?? {
        row: { service_id: f.serviceId, topic, override_system: system, override_code: code, display: null, count: 0 },
        cards: new Set<string>(),
      };
      if (r?.display !== undefined && (entry.row.display === null || r.display > entry.row.display)) {
        entry.row.display = r.display;
      }
      entry.cards.add(f.card);
      reasonCards.set(rk, entry);
    }
    const outcomes = [...outcomeCards.values()].map((o) => ({
      ...o.row,
      accepted: o.accepted.size,
      overridden: o.overridden.size,
    }));
    const reasons = [...reasonCards.values()].map((r) => ({ ...r.row, count: r.cards.size }));
    return buildSummary([...issued.values()], outcomes, reasons);
  }

  async dailyTrend(query: SummaryQuery): Promise<DayCount[]> {
    if (this.closed) throw new Error('feedback store is closed');
    const wantService = (s: string) => query.serviceId === undefined || s === query.serviceId;
    const issued = new Map<string, number>();
    for (const c of this.cards.values()) {
      const t = c.issuedAt.getTime();
      if (!wantService(c.serviceId) || !inRange(t, query)) continue;
      const day = utcDay(t);
      issued.set(day, (issued.get(day) ?? 0) + 1);
    }
    const outcomes = new Map<string, { accepted: Set<string>; overridden: Set<string> }>();
    for (const f of this.feedback.values()) {
      const t = outcomeTime(f);
      if (!wantService(f.serviceId) || !inRange(t, query)) continue;
      const day = utcDay(t);
      const o = outcomes.get(day) ?? { accepted: new Set<string>(), overridden: new Set<string>() };
      (f.outcome === 'accepted' ? o.accepted : o.overridden).add(f.card);
      outcomes.set(day, o);
    }
    return buildDailyTrend(
      [...issued].map(([day, n]) => ({ day, issued: n })),
      [...outcomes].map(([day, o]) => ({ day, accepted: o.accepted.size, overridden: o.overridden.size })),
    );
  }

  async ping(): Promise<void> {
    if (this.closed) throw new Error('feedback store is closed');
  }

  async close(): Promise<void> {
    this.closed = true;
  }
}

/** Maps iterate in insertion order, so the first keys are the oldest. */
function evictOldest<V>(map: Map<string, V>, max: number): void {
  for (const key of map.keys()) {
    if (map.size <= max) return;
    map.delete(key);
  }
}
