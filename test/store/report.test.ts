/** @requires-env DATABASE_URL */
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import pg from 'pg';
import { runReport } from '../../src/cli/report.js';
import type { FeedbackStore } from '../../src/store/feedback-store.js';
import { createPostgresStore } from '../../src/store/postgres-store.js';
import { SqliteFeedbackStore } from '../../src/store/sqlite-store.js';
import { closedPort, DATABASE_URL, uniqueName } from './support/env.js';
import { collectingLogger } from './support/logger.js';
import { accepted, card, overridden } from './support/records.js';

async function report(
  argv: string[],
  env: Record<string, string>,
  now?: Date,
): Promise<{ code: number; text: string }> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const code = await runReport(argv, out, env, now);
  return { code, text: Buffer.concat(chunks).toString('utf8') };
}

async function seed(store: FeedbackStore): Promise<void> {
  const at = (d: string) => new Date(`${d}T12:00:00Z`);
  store.recordCards([
    card('r1', { issuedAt: at('2025-03-03') }),
    card('r2', { issuedAt: at('2025-03-04') }),
    card('r3', { issuedAt: at('2025-03-05') }),
    card('r4', { topic: 'calcium-vitamin-d', indicator: 'info', issuedAt: at('2025-03-05') }),
    card('r5', { issuedAt: at('2025-04-02') }),
  ]);
  await store.saveFeedback([
    accepted('r1', { outcomeTimestamp: '2025-03-03T12:01:00Z' }),
    overridden('r2', { outcomeTimestamp: '2025-03-04T12:01:00Z' }),
    overridden('r3', {
      outcomeTimestamp: '2025-03-05T12:01:00Z',
      overrideReason: { system: 'http://example.org/override', code: 'declined', display: 'Patient declined' },
    }),
    overridden('r4', { outcomeTimestamp: '2025-03-05T12:01:00Z', overrideReason: undefined, userComment: 'later' }),
    accepted('r5', { outcomeTimestamp: '2025-04-02T12:01:00Z' }),
  ]);
}

describe('aibl-cds report', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aibl-report-'));
  const schema = uniqueName('aibl_report');
  const admin = new pg.Pool({ connectionString: DATABASE_URL, max: 1 });

  beforeAll(async () => {
    const sqlite = new SqliteFeedbackStore({ dataDir, logger: collectingLogger() });
    await seed(sqlite);
    await sqlite.close();
    const postgres = await createPostgresStore({ databaseUrl: DATABASE_URL, schema, logger: collectingLogger() });
    await seed(postgres);
    await postgres.close();
  });

  afterAll(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
  });

  it('prints the committee table for the SQLite file in DATA_DIR', async () => {
    const { code, text } = await report(['--from', '2025-03-01', '--to', '2025-03-31'], { DATA_DIR: dataDir });
    expect(code).toBe(0);
    const lines = text.split('\n');
    expect(lines[0]).toBe('AIBL CDS — card outcomes 2025-03-01 to 2025-03-31 (UTC, both days included)');
    expect(lines).toContain('Service aibl-order-sign');
    const row = (topic: string) =>
      lines
        .find((l) => l.trimStart().startsWith(topic))
        ?.trim()
        .split(/\s{2,}/);
    expect(row('Topic')).toEqual(['Topic', 'Issued', 'Accepted', 'Overridden', 'Acceptance']);
    expect(row('baseline-dxa')).toEqual(['baseline-dxa', '3', '1', '2', '33.3 %']);
    expect(row('calcium-vitamin-d')).toEqual(['calcium-vitamin-d', '1', '0', '1', '0.0 %']);
    expect(row('All topics')).toEqual(['All topics', '4', '1', '3', '25.0 %']);
    // Reasons ranked under their topic (ties by code); the override without a reason is listed as such.
    const reasons = lines.slice(
      lines.indexOf('  Override reasons, most frequent first (count, share of overridden cards)'),
    );
    expect(reasons.slice(1, 6).map((l) => l.trim())).toEqual([
      'baseline-dxa',
      '1   50 %  Patient declined [http://example.org/override|declined]',
      '1   50 %  DXA done outside this system [http://example.org/override|done-elsewhere]',
      'calcium-vitamin-d',
      '1  100 %  (no reason given)',
    ]);
  });

  it('prints JSON with --json, from PostgreSQL when DATABASE_URL is set', async () => {
    const url = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const { code, text } = await report(['--from', '2025-04-01', '--to', '2025-04-30', '--json'], {
      DATABASE_URL: url,
      DATA_DIR: '/nonexistent',
    });
    expect(code).toBe(0);
    expect(JSON.parse(text)).toEqual({
      from: '2025-04-01T00:00:00.000Z',
      to: '2025-05-01T00:00:00.000Z',
      topics: [
        {
          serviceId: 'aibl-order-sign',
          topic: 'baseline-dxa',
          issued: 1,
          accepted: 1,
          overridden: 0,
          acceptanceRate: 1,
          overrideReasons: [],
        },
      ],
    });
  });

  it('says so when the period is empty', async () => {
    const { code, text } = await report(['--from', '2024-01-01', '--to', '2024-01-31'], { DATA_DIR: dataDir });
    expect(code).toBe(0);
    expect(text).toContain('No cards issued and no feedback received in this period.');
  });

  it('exits 2 with the usage on bad arguments', async () => {
    for (const argv of [
      ['--from', '2025-13-01'],
      ['--bogus'],
      ['--from', '2025-03-02', '--to', '2025-03-01'],
      ['extra'],
    ]) {
      const { code, text } = await report(argv, { DATA_DIR: dataDir });
      expect(code).toBe(2);
      expect(text).toContain('Usage: aibl-cds report');
    }
  });

  it('exits 1 when there is no database, without creating one or printing the URL', async () => {
    const missing = join(dataDir, 'missing');
    const none = await report([], { DATA_DIR: missing });
    expect(none.code).toBe(1);
    expect(none.text).toContain('No feedback database');
    expect(existsSync(missing)).toBe(false);
    const url = `postgres://postgres:s3cret@127.0.0.1:${await closedPort()}/test`;
    const down = await report([], { DATABASE_URL: url });
    expect(down.code).toBe(1);
    expect(down.text).toContain('Could not read the feedback store');
    expect(down.text).not.toContain('s3cret');
  });
});
