/**
 * Where one benchmark request allocates, by function: V8's sampling heap profiler over the whole
 * in-process pipeline (parse → validate → gather → evaluate → render → serialise), counting the
 * objects that died young too. Allocation drives GC, and GC a good part of the CPU per request.
 *
 *   npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/allocations.js [--requests 1000] [--top 40]
 */
import { randomUUID } from 'node:crypto';
import { Session } from 'node:inspector/promises';
import { parseArgs } from 'node:util';
import { answerOrderSign } from './pipeline.js';
import { benchOrderSignRequest } from './request.js';

const { values } = parseArgs({
  options: { requests: { type: 'string', default: '1000' }, top: { type: 'string', default: '40' } },
});
const N = Number(values.requests);
const TOP = Number(values.top);
const text = JSON.stringify(benchOrderSignRequest());

async function once(): Promise<number> {
  const { cards } = await answerOrderSign(JSON.parse(text) as unknown, { now: new Date(), newId: randomUUID });
  return JSON.stringify({ cards }).length;
}

interface SamplingNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: SamplingNode[];
}

for (let i = 0; i < 300; i++) await once(); // warm the JIT first: its own allocations are not the request's
const session = new Session();
session.connect();
await session.post('HeapProfiler.enable');
await session.post('HeapProfiler.startSampling', {
  samplingInterval: 512,
  includeObjectsCollectedByMajorGC: true,
  includeObjectsCollectedByMinorGC: true,
});
for (let i = 0; i < N; i++) await once();
const { profile } = (await session.post('HeapProfiler.stopSampling')) as { profile: { head: SamplingNode } };
session.disconnect();

const self = new Map<string, number>();
const inclusive = new Map<string, number>();
let total = 0;
const label = (f: SamplingNode['callFrame']) =>
  `${f.functionName || '(anonymous)'}  ${f.url.replace(/^.*\/(src|bench|node_modules)\//, '$1/')}:${f.lineNumber + 1}`;
function walk(node: SamplingNode, stack: ReadonlySet<string>): void {
  const key = label(node.callFrame);
  total += node.selfSize;
  self.set(key, (self.get(key) ?? 0) + node.selfSize);
  const here = new Set(stack).add(key);
  for (const k of here) inclusive.set(k, (inclusive.get(k) ?? 0) + node.selfSize);
  for (const c of node.children) walk(c, here);
}
walk(profile.head, new Set());

const kb = (bytes: number) => `${(bytes / N / 1024).toFixed(1).padStart(7)} KB`;
const out = (s: string) => process.stdout.write(`${s}\n`);
out(`allocated per request (mean of ${N}): ${(total / N / 1024).toFixed(0)} KB`);
out('\nself, by function:');
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, TOP)) out(`${kb(v)}  ${k}`);
out("\ninclusive, the project's functions:");
for (const [k, v] of [...inclusive]
  .filter(([k]) => k.includes('src/'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, TOP))
  out(`${kb(v)}  ${k}`);
