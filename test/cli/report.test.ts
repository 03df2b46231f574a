import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { runReport } from '../../src/cli/report.js';
import { SqliteFeedbackStore } from '../../src/store/sqlite-store.js';
import { collectingLogger } from '../store/support/logger.js';
import { accepted, card, overridden } from '../store/support/records.js';

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

const NOW = new Date('2025-04-15T08:00:00Z');
let dataDir: string;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'aibl-report-cli-'));
  const store = new SqliteFeedbackStore({ dataDir, logger: collectingLogger() });
  store.recordCards([
    card('old', { issuedAt: new Date('2025-03-15T12:00:00Z') }), // 31 days before NOW: outside
    card('first-day', { issuedAt: new Date('2025-03-17T00:00:00Z') }), // the first day of the 30
    card('today', { issuedAt: new Date('2025-04-15T07:30:00Z'), topic: 'calcium-vitamin-d', indicator: 'info' }),
  ]);
  await store.saveFeedback([
    accepted('first-day', { outcomeTimestamp: '2025-03-17T00:05:00Z' }),
    overridden('today', { outcomeTimestamp: '2025-04-15T07:45:00Z' }),
  ]);
  await store.close();
});
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('aibl-cds report without dates', () => {
  test('reports the last 30 days through today, and says so', async () => {
    const { code, text } = await report([], { DATA_DIR: dataDir }, NOW);
    expect(code).toBe(0);
    const lines = text.split('\n');
    expect(lines[0]).toBe('AIBL CDS — card outcomes 2025-03-17 to 2025-04-15 (UTC, both days included)');
    expect(lines[1]).toBe('Period: the last 30 days through today; --from and --to choose another period');
    const row = (topic: string) =>
      lines
        .find((l) => l.trimStart().startsWith(topic))
        ?.trim()
        .split(/\s{2,}/);
    // The card issued this morning counts; the one 31 days ago does not.
    expect(row('baseline-dxa')).toEqual(['baseline-dxa', '1', '1', '0', '100.0 %']);
    expect(row('calcium-vitamin-d')).toEqual(['calcium-vitamin-d', '1', '0', '1', '0.0 %']);
  });

  test('--json carries the period it used', async () => {
    const { code, text } = await report(['--json'], { DATA_DIR: dataDir }, NOW);
    expect(code).toBe(0);
    expect(JSON.parse(text)).toMatchObject({ from: '2025-03-17T00:00:00.000Z', to: '2025-04-16T00:00:00.000Z' });
  });

  test('with dates, the period asked for and no default note', async () => {
    const { text } = await report(['--from', '2025-03-01', '--to', '2025-03-31'], { DATA_DIR: dataDir }, NOW);
    expect(text.split('\n')[0]).toBe('AIBL CDS — card outcomes 2025-03-01 to 2025-03-31 (UTC, both days included)');
    expect(text).not.toContain('Period:');
    expect(text).toMatch(/baseline-dxa\s+2\s+1\s+0/);
  });
});
