import { Counter, type Registry } from 'prom-client';
import type { FeedbackRecord, FeedbackStore, IssuedCard, SaveResult } from './feedback-store.js';

export interface FeedbackMetrics {
  /** aibl_cards_issued_total{service,topic,indicator} */
  cardsIssued: Counter<'service' | 'topic' | 'indicator'>;
  /** aibl_feedback_received_total{service,outcome}: newly stored feedback items (repeats not counted). */
  feedback: Counter<'service' | 'outcome'>;
  /** aibl_feedback_duplicates_total{service}: repeats the store refused. */
  feedbackDuplicates: Counter<'service'>;
  /** aibl_override_reasons_total{service,system,code} */
  overrideReasons: Counter<'service' | 'system' | 'code'>;
}

/**
 * Registers the counters on `registry` (once per registry: prom-client refuses a second). The
 * first two carry the same names and labels as the HTTP layer's `cardsIssued` and
 * `feedbackReceived` in src/metrics.ts: use one or the other, not both.
 */
export function registerFeedbackMetrics(registry: Registry): FeedbackMetrics {
  const registers = [registry];
  return {
    cardsIssued: new Counter({
      name: 'aibl_cards_issued_total',
      help: 'Cards returned to CDS clients, by service, topic and indicator',
      labelNames: ['service', 'topic', 'indicator'] as const,
      registers,
    }),
    feedback: new Counter({
      name: 'aibl_feedback_received_total',
      help: 'Feedback items newly stored (repeats not counted), by service and outcome',
      labelNames: ['service', 'outcome'] as const,
      registers,
    }),
    feedbackDuplicates: new Counter({
      name: 'aibl_feedback_duplicates_total',
      help: 'Repeated feedback items recognised and stored only once',
      labelNames: ['service'] as const,
      registers,
    }),
    overrideReasons: new Counter({
      name: 'aibl_override_reasons_total',
      help: 'Override reasons of stored feedback, by service and coding',
      labelNames: ['service', 'system', 'code'] as const,
      registers,
    }),
  };
}

/** Reason codes come from the EHR; beyond this many distinct ones they share the label "other". */
const MAX_REASON_LABELS = 100;

/**
 * A store that counts what it stores. Counting here rather than in the HTTP handlers means a
 * feedback item is counted only once it is durable and only if it is not a repeat — which only
 * the store knows. Counters are per process; the committee's numbers come from `summary()`.
 */
export function withFeedbackMetrics(store: FeedbackStore, metrics: FeedbackMetrics): FeedbackStore {
  const reasonLabels = new Set<string>();
  const reasonLabel = (system: string, code: string): { system: string; code: string } => {
    const key = `${system}|${code}`;
    if (reasonLabels.has(key)) return { system, code };
    if (reasonLabels.size < MAX_REASON_LABELS) {
      reasonLabels.add(key);
      return { system, code };
    }
    return { system: 'other', code: 'other' };
  };
  const countStored = (stored: FeedbackRecord[]) => {
    for (const f of stored) {
      metrics.feedback.inc({ service: f.serviceId, outcome: f.outcome });
      if (f.outcome === 'overridden') {
        const r = f.overrideReason;
        metrics.overrideReasons.inc({
          service: f.serviceId,
          ...reasonLabel(r?.system ?? 'none', r?.code ?? 'none'),
        });
      }
    }
  };
  return {
    recordCards(cards: IssuedCard[]): void {
      store.recordCards(cards);
      for (const c of cards) metrics.cardsIssued.inc({ service: c.serviceId, topic: c.topic, indicator: c.indicator });
    },
    async saveFeedback(items: FeedbackRecord[]): Promise<SaveResult> {
      const result = await store.saveFeedback(items);
      if (result.storedItems) {
        countStored(result.storedItems);
        const storedSet = new Set(result.storedItems);
        for (const f of items) if (!storedSet.has(f)) metrics.feedbackDuplicates.inc({ service: f.serviceId });
      } else if (result.duplicates === 0) {
        countStored(items);
      } else if (items[0]) {
        // A store without per-item detail: which items were repeats is unknown, only how many.
        metrics.feedbackDuplicates.inc({ service: items[0].serviceId }, result.duplicates);
      }
      return result;
    },
    summary: (q) => store.summary(q),
    dailyTrend: (q) => store.dailyTrend(q),
    ping: () => store.ping(),
    close: () => store.close(),
  };
}
