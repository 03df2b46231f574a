import { afterAll, describe, expect, it } from '@jest/globals';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Database from 'better-sqlite3';
import { createFeedbackStore } from '../../src/store/create-store.js';
import { SQLITE_FILE_NAME, SqliteFeedbackStore } from '../../src/store/sqlite-store.js';
import { feedbackStoreContract, type StoreHarness } from './support/contract.js';
import { collectingLogger } from './support/logger.js';
import { card } from './support/records.js';
import { removeTranspiled, transpiledSources } from './support/transpile.js';

const root = mkdtempSync(join(tmpdir(), 'aibl-sqlite-'));
let n = 0;

const harness: StoreHarness = {
  fresh: async () => join(root, `db${n++}`),
  open: async (dir, opts = {}) =>
    new SqliteFeedbackStore({
      dataDir: dir,
      logger: opts.logger ?? collectingLogger(),
      ...(opts.cardQueue ? { cardQueue: opts.cardQueue } : {}),
    }),
  count: async (dir, table) => {
    const db = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    try {
      return (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    } finally {
      db.close();
    }
  },
  cleanup: async () => rmSync(root, { recursive: true, force: true }),
};

feedbackStoreContract('SQLite', harness);

describe('SQLite store specifics', () => {
  const dirs: string[] = [];
  afterAll(() => {
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    removeTranspiled();
  });
  const tempDir = () => {
    const d = mkdtempSync(join(tmpdir(), 'aibl-sqlite-x-'));
    dirs.push(d);
    return d;
  };

  it('creates DATA_DIR if missing, in WAL mode with synchronous=FULL', async () => {
    const dataDir = join(tempDir(), 'nested', 'data');
    const store = await createFeedbackStore({ dataDir, logger: collectingLogger() });
    expect(store).toBeInstanceOf(SqliteFeedbackStore);
    const db = (store as unknown as { db: Database.Database }).db;
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    await store.close();
    const check = new Database(join(dataDir, SQLITE_FILE_NAME), { readonly: true });
    expect(check.pragma('journal_mode', { simple: true })).toBe('wal');
    check.close();
  });

  it('keeps every acknowledged feedback item when the process is killed with SIGKILL right after', async () => {
    const build = transpiledSources();
    const dataDir = tempDir();
    const child = join(build, 'durability-child.mjs');
    writeFileSync(
      child,
      `import { SqliteFeedbackStore } from './src/store/sqlite-store.js';
const quiet = { info() {}, warn() {}, error() {} };
const store = new SqliteFeedbackStore({ dataDir: process.argv[2], logger: quiet });
for (let i = 0; i < 100000; i++) {
  await store.saveFeedback([{ serviceId: 'aibl-order-sign', card: 'card-' + i, outcome: 'overridden',
    acceptedSuggestions: [], overrideReason: { code: 'declined' }, outcomeTimestamp: '2025-03-10T09:05:00Z',
    receivedAt: new Date() }]);
  process.stdout.write('saved ' + i + '\\n');
}
`,
    );
    const proc = spawn(process.execPath, [child, dataDir], { stdio: ['ignore', 'pipe', 'inherit'] });
    let acknowledged = -1;
    const exited = new Promise<NodeJS.Signals | null>((resolve) => proc.on('exit', (_code, signal) => resolve(signal)));
    const lines = createInterface({ input: proc.stdout! });
    for await (const line of lines) {
      acknowledged = Number(line.split(' ')[1]);
      // Killed the moment an acknowledgement arrives, as a crash right after a 2xx would be.
      if (acknowledged >= 300) {
        proc.kill('SIGKILL');
        break;
      }
    }
    expect(await exited).toBe('SIGKILL');
    expect(acknowledged).toBeGreaterThanOrEqual(300);

    const db = new Database(join(dataDir, SQLITE_FILE_NAME));
    const cards = new Set(db.prepare('SELECT card_uuid FROM feedback').pluck().all() as string[]);
    db.close();
    const missing = Array.from({ length: acknowledged + 1 }, (_, i) => `card-${i}`).filter((c) => !cards.has(c));
    expect(missing).toEqual([]);
  });

  it('writes a large batch of issued cards in small transactions, letting the event loop turn between them', async () => {
    const dir = tempDir();
    const store = new SqliteFeedbackStore({
      dataDir: dir,
      logger: collectingLogger(),
      cardQueue: { flushIntervalMs: 60_000, maxBatch: 10_000 },
    });
    const { db, cardDb } = store as unknown as { db: Database.Database; cardDb: Database.Database };
    // Cards through their own connection, without an fsync per commit; feedback stays FULL.
    expect(cardDb.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    // A small page cache for the append-only card connection (RSS, see CARD_CACHE_KIB); feedback and
    // reports keep better-sqlite3's default.
    expect(cardDb.pragma('cache_size', { simple: true })).toBe(-256);
    expect(db.pragma('cache_size', { simple: true })).toBe(-16000);
    const count = () => (db.prepare('SELECT COUNT(*) AS n FROM issued_cards').get() as { n: number }).n;
    store.recordCards(Array.from({ length: 230 }, (_, i) => card(`slice-${i}`)));
    // Something else the event loop has to do while the batch is written (a hook call, say).
    const seenMidway: number[] = [];
    const watch = () => {
      if (!db.open) return;
      const n = count();
      if (n < 230) {
        seenMidway.push(n);
        setImmediate(watch);
      }
    };
    setImmediate(watch);
    await store.close(); // writes what is queued
    const check = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    expect((check.prepare('SELECT COUNT(*) AS n FROM issued_cards').get() as { n: number }).n).toBe(230);
    check.close();
    // It ran between transactions: it saw the table part-written, at slice boundaries.
    expect(seenMidway.filter((n) => n > 0).length).toBeGreaterThanOrEqual(3);
    for (const n of seenMidway) expect(n % 50).toBe(0);
  });

  it('writes full slices and partial ones alike: every column kept, a card already recorded skipped', async () => {
    const dir = tempDir();
    const open = () =>
      new SqliteFeedbackStore({
        dataDir: dir,
        logger: collectingLogger(),
        cardQueue: { flushIntervalMs: 60_000, maxBatch: 10_000 },
      });
    const first = open();
    const early = Array.from({ length: 20 }, (_, i) => card(`dup-${i}`));
    first.recordCards(early);
    await first.close();
    // 120 = two full slices of 50 (one holding the 20 already written) and a slice of 20.
    const later = Array.from({ length: 100 }, (_, i) => {
      if (i % 2 === 0)
        return card(`new-${i}`, {
          indicator: 'info',
          suggestionIds: [`s-${i}`, `t-${i}`],
          issuedAt: new Date(Date.UTC(2025, 4, 1, 0, i)),
        });
      const { issuer: _i, tenant: _t, ...anonymous } = card(`new-${i}`, { indicator: 'critical', suggestionIds: [] });
      return anonymous;
    });
    const store = open();
    store.recordCards([...early.slice(0, 10), ...later.slice(0, 40), ...early.slice(10), ...later.slice(40)]);
    await store.close();
    const check = new Database(join(dir, SQLITE_FILE_NAME), { readonly: true });
    const rows = check.prepare('SELECT * FROM issued_cards ORDER BY card_uuid').all() as Record<string, unknown>[];
    check.close();
    expect(rows).toHaveLength(120);
    const byUuid = new Map(rows.map((r) => [r['card_uuid'], r]));
    expect(byUuid.get('dup-3')).toEqual({
      card_uuid: 'dup-3',
      service_id: 'aibl-order-sign',
      topic: 'baseline-dxa',
      indicator: 'warning',
      suggestion_ids: '["dup-3-s1"]',
      hook_instance: 'hook-dup-3',
      issued_at: Date.parse('2025-03-10T09:00:00Z'),
      issuer: 'https://ehr.example.org',
      tenant: 'north',
    });
    // new-8 and new-7 went in the first full slice (one multi-row statement).
    expect(byUuid.get('new-8')).toEqual({
      card_uuid: 'new-8',
      service_id: 'aibl-order-sign',
      topic: 'baseline-dxa',
      indicator: 'info',
      suggestion_ids: '["s-8","t-8"]',
      hook_instance: 'hook-new-8',
      issued_at: Date.UTC(2025, 4, 1, 0, 8),
      issuer: 'https://ehr.example.org',
      tenant: 'north',
    });
    expect(byUuid.get('new-7')).toMatchObject({
      indicator: 'critical',
      suggestion_ids: '[]',
      issuer: null,
      tenant: null,
    });
    expect(byUuid.get('new-99')).toMatchObject({ indicator: 'critical', hook_instance: 'hook-new-99' });
  });

  it('refuses to start on a DATA_DIR it cannot create', async () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'not a directory');
    await expect(createFeedbackStore({ dataDir: join(file, 'data'), logger: collectingLogger() })).rejects.toThrow();
  });
});
