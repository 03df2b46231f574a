/**
 * `npm run bench:jwt`: what verifying the EHR's JWT costs per call. The main benchmark runs the
 * service in open development mode (no client configured, no token checked); here the same
 * request is sent to three services side by side, alternating rounds: open, a client with an
 * RS384 key, a client with an ES384 key (the two algorithms CDS Hooks 2.0 names). Every request
 * carries its own freshly signed token (own jti: the replay check refuses a repeat), minted before
 * the load starts so that signing does not load the generator.
 *
 *   npm run bench:jwt -- [--requests 12000] [--rounds 2] [--connections 10]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { makeKey, mint, type TestKey } from '../test/auth/support.js';
import {
  freePort,
  LAUNCHER,
  load,
  machine,
  measureRound,
  roundLine,
  startNode,
  variantTable,
  type RoundFigures,
  type Started,
} from './lib.js';
import { benchOrderSignRequest } from './request.js';

const { values: args } = parseArgs({
  options: {
    requests: { type: 'string', default: '12000' },
    warmup: { type: 'string', default: '2000' },
    rounds: { type: 'string', default: '2' },
    connections: { type: 'string', default: '10' },
  },
});
const REQUESTS = Number(args.requests);
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const CONNECTIONS = Number(args.connections);

const PATH = '/cds-services/aibl-order-sign';
const PUBLIC_BASE_URL = 'https://cds.bench.example';
const ISSUER = 'https://ehr.bench.example';
const out = (line = '') => process.stdout.write(`${line}\n`);

interface Variant {
  name: string;
  key?: TestKey;
  tokens: string[];
  used: number;
  server?: Started;
  rows: RoundFigures[];
}

async function main(): Promise<void> {
  const m = machine();
  out(`# aibl-cds JWT benchmark — ${new Date().toISOString()}`);
  out(`machine: ${m.cores} cores (${m.cpu}), node ${process.version}; service: bin/aibl-cds-server`);
  const request = benchOrderSignRequest();
  const body = JSON.stringify(request);
  const variants: Variant[] = [
    { name: 'open (no JWT)', tokens: [], used: 0, rows: [] },
    { name: 'RS384', key: await makeKey('RS384'), tokens: [], used: 0, rows: [] },
    { name: 'ES384', key: await makeKey('ES384'), tokens: [], used: 0, rows: [] },
  ];
  const dir = mkdtempSync(join(tmpdir(), 'aibl-bench-jwt-'));
  try {
    const perVariant = WARMUP + ROUNDS * REQUESTS;
    out(`minting ${perVariant} tokens per algorithm …`);
    for (const v of variants) {
      if (!v.key) continue;
      for (let i = 0; i < perVariant; i++) v.tokens.push(await mint(v.key, ISSUER, `${PUBLIC_BASE_URL}${PATH}`));
    }
    for (const v of variants) {
      const env: Record<string, string> = {
        NODE_ENV: 'development',
        LOG_LEVEL: 'warn',
        DATA_DIR: join(dir, v.name.replace(/\W+/g, '-')),
        PUBLIC_BASE_URL,
      };
      if (v.key) {
        const clients = join(dir, `clients-${v.key.alg}.json`);
        writeFileSync(
          clients,
          JSON.stringify({
            clients: [{ iss: ISSUER, jwks: { keys: [v.key.publicJwk] }, fhirServers: [request.fhirServer] }],
          }),
        );
        env.CDS_CLIENTS_FILE = clients;
      }
      v.server = await startNode(LAUNCHER, env, await freePort());
    }
    const run = (v: Variant, amount: number) =>
      load({
        url: `http://127.0.0.1:${v.server!.port}${PATH}`,
        body,
        connections: CONNECTIONS,
        amount,
        // Every variant goes through the same per-request path of the load generator (it rebuilds
        // each request), so that only the service differs; the open one gets a numbered header.
        headersFor: (): Record<string, string> => {
          if (!v.key) return { 'x-bench-seq': String(v.used++) };
          const token = v.tokens[v.used++];
          if (token === undefined) throw new Error(`${v.name}: out of tokens`);
          return { authorization: `Bearer ${token}` };
        },
      });
    for (const v of variants) await measureRound(v.name, v.server!, () => run(v, WARMUP));
    for (let round = 0; round < ROUNDS; round++) {
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const f = await measureRound(v.name, v.server!, () => run(v, REQUESTS));
        v.rows.push(f);
        out(roundLine(round + 1, v.name, f));
      }
    }
    out();
    out(`## ${CONNECTIONS} connections, ${ROUNDS} × ${REQUESTS} requests each, alternating; every answer 200`);
    out(variantTable(variants));
  } finally {
    for (const v of variants) await v.server?.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`bench:jwt failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
