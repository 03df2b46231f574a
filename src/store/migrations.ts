/**
 * The schema, as an append-only list of versioned steps shared by both stores. A step is never
 * edited once released: a change is a new step, so every database reaches the same schema
 * whatever version it started from.
 *
 * Times: SQLite keeps epoch milliseconds (INTEGER) so range queries compare numbers; PostgreSQL
 * keeps timestamptz. `outcome_timestamp` is the text exactly as the EHR sent it (it is part of
 * the idempotency key); `outcome_at` is the same instant parsed, for date ranges.
 */
export interface Migration {
  version: number;
  name: string;
  sqlite: string;
  postgres: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'issued cards and feedback',
    sqlite: `
      CREATE TABLE issued_cards (
        card_uuid      TEXT PRIMARY KEY,
        service_id     TEXT NOT NULL,
        topic          TEXT NOT NULL,
        indicator      TEXT NOT NULL CHECK (indicator IN ('info', 'warning', 'critical')),
        suggestion_ids TEXT NOT NULL,
        hook_instance  TEXT NOT NULL,
        issued_at      INTEGER NOT NULL,
        issuer         TEXT,
        tenant         TEXT
      );
      CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at);
      CREATE TABLE feedback (
        id                   INTEGER PRIMARY KEY,
        service_id           TEXT NOT NULL,
        card_uuid            TEXT NOT NULL,
        outcome              TEXT NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        accepted_suggestions TEXT NOT NULL,
        override_system      TEXT,
        override_code        TEXT,
        override_display     TEXT,
        user_comment         TEXT,
        outcome_timestamp    TEXT NOT NULL,
        outcome_at           INTEGER NOT NULL,
        received_at          INTEGER NOT NULL,
        issuer               TEXT,
        tenant               TEXT,
        CONSTRAINT feedback_once UNIQUE (card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX feedback_outcome_at ON feedback (outcome_at);
    `,
    postgres: `
      CREATE TABLE issued_cards (
        card_uuid      text PRIMARY KEY,
        service_id     text NOT NULL,
        topic          text NOT NULL,
        indicator      text NOT NULL CHECK (indicator IN ('info', 'warning', 'critical')),
        suggestion_ids jsonb NOT NULL,
        hook_instance  text NOT NULL,
        issued_at      timestamptz NOT NULL,
        issuer         text,
        tenant         text
      );
      CREATE INDEX issued_cards_issued_at ON issued_cards (issued_at);
      CREATE TABLE feedback (
        id                   bigserial PRIMARY KEY,
        service_id           text NOT NULL,
        card_uuid            text NOT NULL,
        outcome              text NOT NULL CHECK (outcome IN ('accepted', 'overridden')),
        accepted_suggestions jsonb NOT NULL,
        override_system      text,
        override_code        text,
        override_display     text,
        user_comment         text,
        outcome_timestamp    text NOT NULL,
        outcome_at           timestamptz NOT NULL,
        received_at          timestamptz NOT NULL,
        issuer               text,
        tenant               text,
        CONSTRAINT feedback_once UNIQUE (card_uuid, outcome, outcome_timestamp)
      );
      CREATE INDEX feedback_outcome_at ON feedback (outcome_at);
    `,
  },
];

/** Parsed outcome time for date ranges; an unparseable value (already refused by the HTTP
 * validation) falls back to the time of receipt rather than losing the feedback. */
export function outcomeInstant(outcomeTimestamp: string, receivedAt: Date): Date {
  const t = Date.parse(outcomeTimestamp);
  return Number.isNaN(t) ? receivedAt : new Date(t);
}
