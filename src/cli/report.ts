import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createFeedbackStore } from '../store/create-store.js';
import { DateRangeError, daysThroughToday, parseRange } from '../store/date-range.js';
import type { FeedbackStore, TopicSummary } from '../store/feedback-store.js';
import { SQLITE_FILE_NAME } from '../store/sqlite-store.js';
import { describeError, type StoreLogger } from '../store/store-logger.js';

/** The period reported when no dates are given: a month's worth, up to the moment of asking. */
const DEFAULT_DAYS = 30;

const USAGE = `Usage: aibl-cds report [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--service ID] [--json]

Card outcomes per service and topic: cards issued, accepted, overridden, acceptance rate and
override reasons ranked. Dates are whole UTC days, both included; without --from and --to the
last ${DEFAULT_DAYS} days through today are reported. Reads PostgreSQL from DATABASE_URL when set,
otherwise the SQLite file in DATA_DIR (default ./data).
`;

export interface ReportEnv {
  DATABASE_URL?: string;
  DATA_DIR?: string;
}

/** Exit codes: 0 done, 1 the store could not be read, 2 bad arguments. */
export async function runReport(
  argv: string[],
  out: NodeJS.WritableStream,
  env: ReportEnv = process.env,
  now: Date = new Date(),
): Promise<number> {
  let values: { from?: string; to?: string; service?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        from: { type: 'string' },
        to: { type: 'string' },
        service: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (err) {
    out.write(`${err instanceof Error ? err.message : String(err)}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    out.write(USAGE);
    return 0;
  }

  let range: { from?: Date; to?: Date };
  const byDefault = values.from === undefined && values.to === undefined;
  try {
    range = byDefault ? daysThroughToday(now, DEFAULT_DAYS) : parseRange(values.from, values.to);
  } catch (err) {
    if (!(err instanceof DateRangeError)) throw err;
    out.write(`--${err.message}\n\n${USAGE}`);
    return 2;
  }

  const databaseUrl = env.DATABASE_URL?.trim() || undefined;
  const dataDir = env.DATA_DIR?.trim() || './data';
  if (!databaseUrl && !existsSync(join(dataDir, SQLITE_FILE_NAME))) {
    out.write(`No feedback database: ${join(dataDir, SQLITE_FILE_NAME)} does not exist and DATABASE_URL is not set.\n`);
    return 1;
  }

  // The report prints its own outcome; the store's startup messages would only repeat it.
  const logger: StoreLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };
  let store: FeedbackStore | undefined;
  try {
    store = await createFeedbackStore({ ...(databaseUrl ? { databaseUrl } : {}), dataDir, logger });
    const topics = await store.summary({
      ...range,
      ...(values.service !== undefined ? { serviceId: values.service } : {}),
    });
    if (values.json) {
      out.write(
        `${JSON.stringify(
          {
            from: range.from?.toISOString() ?? null,
            to: range.to?.toISOString() ?? null,
            ...(values.service !== undefined ? { serviceId: values.service } : {}),
            topics,
          },
          null,
          2,
        )}\n`,
      );
    } else {
      const source = databaseUrl ? 'PostgreSQL (DATABASE_URL)' : `SQLite ${join(dataDir, SQLITE_FILE_NAME)}`;
      const note = byDefault
        ? `the last ${DEFAULT_DAYS} days through today; --from and --to choose another period`
        : undefined;
      out.write(renderReport(topics, range, source, note));
    }
    return 0;
  } catch (err) {
    // A driver message may quote a connection string: credentials are masked.
    const { err: what, code } = describeError(err);
    const text = `${what}${code ? ` (${code})` : ''}`.replace(/\/\/[^@/\s]*@/g, '//[redacted]@');
    out.write(`Could not read the feedback store: ${text}\n`);
    return 1;
  } finally {
    await store?.close();
  }
}

const pct = (r: number | null) => (r === null ? '—' : `${(r * 100).toFixed(1)} %`);

function day(d: Date | undefined, end: boolean): string {
  if (!d) return end ? 'now' : 'the beginning';
  const midnight = d.getTime() % 86_400_000 === 0;
  if (!midnight) return d.toISOString();
  // The stored range is half-open; a committee reads the last day included.
  return new Date(end ? d.getTime() - 86_400_000 : d.getTime()).toISOString().slice(0, 10);
}

function reasonLabel(r: TopicSummary['overrideReasons'][number]): string {
  if (r.system === undefined && r.code === undefined && r.display === undefined) return '(no reason given)';
  const coded = r.code !== undefined ? ` [${r.system !== undefined ? `${r.system}|` : ''}${r.code}]` : '';
  return `${r.display ?? r.code ?? '(no display)'}${coded}`;
}

function table(rows: string[][], rightAligned: Set<number>): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => (rightAligned.has(i) ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/** Plain text a CDS committee reads: one table per service, reasons under each topic. */
export function renderReport(
  topics: TopicSummary[],
  range: { from?: Date; to?: Date },
  source: string,
  periodNote?: string,
): string {
  const lines: string[] = [];
  lines.push(`AIBL CDS — card outcomes ${day(range.from, false)} to ${day(range.to, true)} (UTC, both days included)`);
  if (periodNote !== undefined) lines.push(`Period: ${periodNote}`);
  lines.push(`Source: ${source}`);
  lines.push('Accepted / overridden count distinct cards; acceptance = accepted ÷ (accepted + overridden).');
  if (topics.length === 0) {
    lines.push('', 'No cards issued and no feedback received in this period.');
    return `${lines.join('\n')}\n`;
  }
  const services = [...new Set(topics.map((t) => t.serviceId))];
  for (const service of services) {
    const rows = topics.filter((t) => t.serviceId === service);
    const total = rows.reduce(
      (acc, t) => ({
        issued: acc.issued + t.issued,
        accepted: acc.accepted + t.accepted,
        overridden: acc.overridden + t.overridden,
      }),
      { issued: 0, accepted: 0, overridden: 0 },
    );
    const decided = total.accepted + total.overridden;
    lines.push('', `Service ${service}`);
    lines.push(
      table(
        [
          ['Topic', 'Issued', 'Accepted', 'Overridden', 'Acceptance'],
          ...rows.map((t) => [
            t.topic,
            String(t.issued),
            String(t.accepted),
            String(t.overridden),
            pct(t.acceptanceRate),
          ]),
          [
            'All topics',
            String(total.issued),
            String(total.accepted),
            String(total.overridden),
            pct(decided ? total.accepted / decided : null),
          ],
        ],
        new Set([1, 2, 3, 4]),
      )
        .split('\n')
        .map((l) => `  ${l}`)
        .join('\n'),
    );
    const withReasons = rows.filter((t) => t.overrideReasons.length > 0);
    if (withReasons.length > 0) {
      lines.push('', '  Override reasons, most frequent first (count, share of overridden cards)');
      for (const t of withReasons) {
        lines.push(`  ${t.topic}`);
        for (const r of t.overrideReasons) {
          const share = t.overridden > 0 ? `${Math.round((r.count / t.overridden) * 100)} %` : '';
          lines.push(`    ${String(r.count).padStart(5)}  ${share.padStart(5)}  ${reasonLabel(r)}`);
        }
      }
    }
  }
  return `${lines.join('\n')}\n`;
}
