/**
 * What the service remembers about cards and their fate. No patient identifiers or clinical
 * values are stored: only what a CDS committee needs to judge whether the advice helps.
 */
export interface IssuedCard {
  uuid: string;
  serviceId: string;
  topic: string;
  indicator: 'info' | 'warning' | 'critical';
  suggestionIds: string[];
  hookInstance: string;
  issuedAt: Date;
  issuer?: string;
  tenant?: string;
}

export interface OverrideReasonCoding {
  system?: string;
  code?: string;
  display?: string;
}

export interface FeedbackRecord {
  serviceId: string;
  card: string;
  outcome: 'accepted' | 'overridden';
  acceptedSuggestions: string[];
  overrideReason?: OverrideReasonCoding;
  userComment?: string;
  /** As sent (RFC 3339); part of the idempotency key. */
  outcomeTimestamp: string;
  receivedAt: Date;
  issuer?: string;
  tenant?: string;
}

export interface SaveResult {
  stored: number;
  duplicates: number;
  /** The items newly stored (not repeats), when the store can tell; metrics count these. */
  storedItems?: FeedbackRecord[];
}

export interface SummaryQuery {
  from?: Date;
  to?: Date;
  serviceId?: string;
}

export interface TopicSummary {
  serviceId: string;
  topic: string;
  issued: number;
  accepted: number;
  overridden: number;
  /** accepted / (accepted + overridden); null when no feedback yet. */
  acceptanceRate: number | null;
  overrideReasons: { system?: string; code?: string; display?: string; count: number }[];
}

/**
 * One UTC day of the summary's range: cards issued that day, and distinct cards with feedback
 * of each outcome that day.
 */
export interface DayCount {
  /** YYYY-MM-DD (UTC). */
  day: string;
  issued: number;
  accepted: number;
  overridden: number;
}

export interface FeedbackStore {
  /** Queued, never awaited on the hook's answer path; flushed by `close()`. */
  recordCards(cards: IssuedCard[]): void;
  /** Resolves only once the rows are durable. Repeats are stored once. */
  saveFeedback(items: FeedbackRecord[]): Promise<SaveResult>;
  summary(query: SummaryQuery): Promise<TopicSummary[]>;
  /** The same range day by day (UTC), oldest first; days without cards or feedback are left out. */
  dailyTrend(query: SummaryQuery): Promise<DayCount[]>;
  /** Throws when the backing store is unreachable (readiness). */
  ping(): Promise<void>;
  close(): Promise<void>;
}
