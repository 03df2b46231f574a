/**
 * Feedback under load across two replicas: 10 000 feedback items posted concurrently, half to
 * each of two service processes sharing one PostgreSQL (and Redis for the JWT replay check), then
 * the rows are counted — exactly 10 000 must be there. A second phase re-sends 1 000 of them to
 * the other replica (an EHR retrying through the load balancer): the count must not move.
 *
 *   npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/feedback-load.js [--items 10000]
 * [--concurrency 64] [--no-auth] [--keep]
 *
 * Environment: DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test; a fresh schema is
 * created in it and dropped afterwards), REDIS_URL (default redis://127.0.0.1:6379), PORT (first
 * replica's port, default 18090; the second uses PORT+1). Loopback only; bounded in count.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';
import pg from 'pg';
import { startNode, type Started } from './lib.js';

const { values: args } = parseArgs({
  options: {
    items: { type: 'string', default: '10000' },
    concurrency: { type: 'string', default: '64' },
    'no-auth': { type: 'boolean', default: false },
    keep: { type: 'boolean', default: false },
  },
});
const ITEMS = Number(args.items);
const CONCURRENCY = Number(args.concurrency);
const RESEND = Math.min(1000, ITEMS);
const AUTH = !args['no-auth'];

const databaseUrl = process.env.DATABASE_URL || 'postgres://postgres@127.0.0.1:5432/test';
const redisUrl = process.env.REDIS_URL || 'redis://127.0.0.1:6379';
const basePort = Number(process.env.PORT || 18090);
const PUBLIC_BASE_URL = 'https://cds.bench.example';
const ISS = 'https://ehr.bench.example';
const PATH = '/cds-services/aibl-order-sign/feedback';
const serverJs = fileURLToPath(new URL('../src/server.js', import.meta.url));

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}

async function main(): Promise<number> {
  const schema = `aibl_bench_${process.pid}_${randomBytes(3).toString('hex')}`;
  const admin = new pg.Pool({ connectionString: databaseUrl, max: 1 });
  await admin.query(`CREATE SCHEMA ${schema}`);
  const scopedUrl = `${databaseUrl}${databaseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const dir = mkdtempSync(join(tmpdir(), 'aibl-bench-'));

  const { privateKey, publicKey } = await generateKeyPair('ES384');
  const kid = 'bench';
  const env: Record<string, string> = {
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    PUBLIC_BASE_URL,
    DATABASE_URL: scopedUrl,
    REDIS_URL: redisUrl,
    DATA_DIR: join(dir, 'unused'),
  };
  if (AUTH) {
    const clients = join(dir, 'clients.json');
    const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' };
    writeFileSync(
      clients,
      JSON.stringify({ clients: [{ iss: ISS, jwks: { keys: [jwk] }, fhirServers: [`${ISS}/fhir`] }] }),
    );
    env.CDS_CLIENTS_FILE = clients;
  } else {
    env.NODE_ENV = 'development';
  }
  const token = async (): Promise<string | undefined> => {
    if (!AUTH) return undefined;
    const iat = Math.floor(Date.now() / 1000);
    return new SignJWT({ iss: ISS, aud: `${PUBLIC_BASE_URL}${PATH}`, iat, exp: iat + 300, jti: randomUUID() })
      .setProtectedHeader({ alg: 'ES384', typ: 'JWT', kid })
      .sign(privateKey);
  };

  const replicas: Started[] = [];
  try {
    replicas.push(await startNode(serverJs, env, basePort), await startNode(serverJs, env, basePort + 1));
    for (const r of replicas) {
      const ready = await fetch(`http://127.0.0.1:${r.port}/readyz`);
      if (ready.status !== 200) throw new Error(`replica on :${r.port} is not ready (${ready.status})`);
    }

    const cards = Array.from({ length: ITEMS }, () => randomUUID());
    const statuses = new Map<number, number>();
    const latencies: number[] = [];
    const post = async (replica: Started, card: string): Promise<void> => {
      const auth = await token();
      const started = performance.now();
      const res = await fetch(`http://127.0.0.1:${replica.port}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body: JSON.stringify({
          feedback: [
            {
              card,
              outcome: 'overridden',
              overrideReason: {
                reason: {
                  system: 'http://example.org/override',
                  code: 'done-elsewhere',
                  display: 'DXA done outside this system',
                },
              },
              outcomeTimestamp: new Date().toISOString(),
            },
          ],
        }),
      });
      await res.arrayBuffer();
      latencies.push(performance.now() - started);
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    };
    const run = async (jobs: (() => Promise<void>)[]): Promise<number> => {
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < jobs.length) await jobs[next++]!();
        }),
      );
      return performance.now() - started;
    };

    // Phase 1: every item once, alternating replicas.
    const elapsed = await run(cards.map((card, i) => () => post(replicas[i % 2]!, card)));
    const count = async () => Number((await admin.query(`SELECT COUNT(*) AS n FROM ${schema}.feedback`)).rows[0].n);
    const rows = await count();
    const phase1 = new Map(statuses);
    const sorted = [...latencies].sort((a, b) => a - b);

    // Phase 2: the first 1 000 again, each to the replica that did not get it.
    // The outcome timestamp must be the same for a repeat: re-read what was stored.
    const stored = await admin.query<{ card_uuid: string; outcome_timestamp: string }>(
      `SELECT card_uuid, outcome_timestamp FROM ${schema}.feedback WHERE card_uuid = ANY($1)`,
      [cards.slice(0, RESEND)],
    );
    const timestampOf = new Map(stored.rows.map((r) => [r.card_uuid, r.outcome_timestamp]));
    statuses.clear();
    const resend = async (replica: Started, card: string): Promise<void> => {
      const auth = await token();
      const res = await fetch(`http://127.0.0.1:${replica.port}${PATH}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...(auth ? { authorization: `Bearer ${auth}` } : {}) },
        body: JSON.stringify({
          feedback: [
            {
              card,
              outcome: 'overridden',
              overrideReason: { reason: { system: 'http://example.org/override', code: 'done-elsewhere' } },
              outcomeTimestamp: timestampOf.get(card),
            },
          ],
        }),
      });
      await res.arrayBuffer();
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    };
    await run(cards.slice(0, RESEND).map((card, i) => () => resend(replicas[(i + 1) % 2]!, card)));
    const rowsAfterResend = await count();

    const fmt = (m: Map<number, number>) => [...m].map(([s, n]) => `${s}×${n}`).join(' ');
    const lines = [
      `feedback load: ${ITEMS} items, ${CONCURRENCY} concurrent, 2 replicas, PostgreSQL + Redis, auth ${AUTH ? 'ES384 JWT' : 'off'}`,
      `  time            ${(elapsed / 1000).toFixed(2)} s   (${Math.round(ITEMS / (elapsed / 1000))} items/s)`,
      `  latency         p50 ${percentile(sorted, 50).toFixed(1)} ms   p99 ${percentile(sorted, 99).toFixed(1)} ms   max ${sorted.at(-1)?.toFixed(1)} ms`,
      `  answers         ${fmt(phase1)}`,
      `  rows stored     ${rows} (expected ${ITEMS})`,
      `  resent ${RESEND} to the other replica: ${fmt(statuses)}; rows now ${rowsAfterResend} (expected ${ITEMS})`,
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
    const ok = rows === ITEMS && rowsAfterResend === ITEMS && phase1.get(200) === ITEMS && statuses.get(200) === RESEND;
    process.stdout.write(ok ? 'OK\n' : 'FAILED\n');
    return ok ? 0 : 1;
  } finally {
    await Promise.all(replicas.map((r) => r.stop()));
    if (!args.keep) await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await admin.end();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`feedback load failed: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exit(1);
  },
);
