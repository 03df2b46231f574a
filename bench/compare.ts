/**
 * A/B of service builds (or node flags) on the benchmark request, alternating rounds in one run:
 * the way to tell whether a change to the hot path is worth keeping on this noisy machine.
 *
 *   npm run build && cp -r dist /tmp/before     # … make the change …   npm run build
 *   node .tmp/bench/bench/compare.js --variant "before=/tmp/before/server.js" --variant "after=dist/server.js" \
 *        [--variant "after-flags=dist/server.js --max-semi-space-size=4"] [--duration 8]
 * [--rounds 4] [--connections 10]
 *
 * Each variant is `name=script [VAR=value…] [node flags…]` (e.g. `SERVICE_WORKERS=0`); a script may be the baseline
 * (.tmp/bench/bench/baseline-server.js). Prints per round and on average: req/s, p99, CPU per
 * request of the whole process and of its main thread (the one that bounds throughput), and RSS.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import {
  freePort,
  load,
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
    variant: { type: 'string', multiple: true, default: [] },
    duration: { type: 'string', default: '8' },
    rounds: { type: 'string', default: '4' },
    warmup: { type: 'string', default: '3' },
    connections: { type: 'string', default: '10' },
  },
});
const PATH = '/cds-services/aibl-order-sign';

interface Variant {
  name: string;
  script: string;
  flags: string[];
  env: Record<string, string>;
  server?: Started;
  rows: RoundFigures[];
}

function parseVariant(spec: string): Variant {
  const eq = spec.indexOf('=');
  if (eq <= 0) throw new Error(`--variant "${spec}": expected name=script [VAR=value…] [node flags…]`);
  const [script, ...rest] = spec
    .slice(eq + 1)
    .trim()
    .split(/\s+/);
  const isEnv = (t: string) => /^[A-Z][A-Z0-9_]*=/.test(t);
  const env = Object.fromEntries(
    rest.filter(isEnv).map((t) => [t.slice(0, t.indexOf('=')), t.slice(t.indexOf('=') + 1)]),
  );
  return { name: spec.slice(0, eq), script: resolve(script!), flags: rest.filter((t) => !isEnv(t)), env, rows: [] };
}

async function main(): Promise<void> {
  const variants = (args.variant ?? []).map(parseVariant);
  if (variants.length === 0) throw new Error('give at least one --variant name=script');
  const body = JSON.stringify(benchOrderSignRequest());
  const dirs: string[] = [];
  const connections = Number(args.connections);
  try {
    for (const v of variants) {
      const dataDir = mkdtempSync(join(tmpdir(), 'aibl-compare-'));
      dirs.push(dataDir);
      v.server = await startNode(
        v.script,
        { NODE_ENV: 'development', LOG_LEVEL: 'warn', DATA_DIR: dataDir, ...v.env },
        await freePort(),
        { nodeArgs: v.flags },
      );
      await load({ url: `http://127.0.0.1:${v.server.port}${PATH}`, body, connections, duration: Number(args.warmup) });
    }
    for (let round = 0; round < Number(args.rounds); round++) {
      // Alternate the order so that neither variant always runs first after a pause.
      for (const v of round % 2 === 0 ? variants : [...variants].reverse()) {
        const s = v.server!;
        const f = await measureRound(v.name, s, () =>
          load({ url: `http://127.0.0.1:${s.port}${PATH}`, body, connections, duration: Number(args.duration) }),
        );
        v.rows.push(f);
        process.stdout.write(`${roundLine(round + 1, v.name, f)}\n`);
      }
    }
    process.stdout.write(`\n${variantTable(variants)}\n`);
  } finally {
    for (const v of variants) await v.server?.stop();
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
