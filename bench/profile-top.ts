/**
 * The functions with the most self time in a V8 CPU profile (`node --cpu-prof`), and the same
 * grouped by file, to find the hot path:
 *
 *   npm run bench -- --cpu-prof bench/out/prof --skip-rss --skip-fallback
 *   node .tmp/bench/bench/profile-top.js bench/out/prof/<file>.cpuprofile [--top 30] [--all]
 */
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { top: { type: 'string', default: '30' }, all: { type: 'boolean', default: false } },
});
const file = positionals[0];
if (!file) {
  process.stderr.write('usage: profile-top <file.cpuprofile> [--top N]\n');
  process.exit(2);
}
const top = Number(values.top);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const shortUrl = (url: string) =>
  url
    .replace(/^file:\/\//, '')
    .replace(/^.*\/node_modules\//, 'npm:')
    .replace(/^.*\/\.tmp\/bench\//, '');

function group(key: (n: ProfileNode) => string): [string, number][] {
  const sums = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const n = byId.get(id);
    if (!n) continue;
    const k = key(n);
    sums.set(k, (sums.get(k) ?? 0) + us);
  }
  return [...sums].sort((a, b) => b[1] - a[1]).slice(0, top);
}

const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || '(anonymous)'}  ${shortUrl(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
const pct = (us: number) => `${((100 * us) / total).toFixed(1).padStart(5)} %`;
process.stdout.write(`total sampled ${(total / 1e6).toFixed(1)} s\n\nself time by function:\n`);
for (const [k, us] of group(label)) {
  process.stdout.write(`${pct(us)}  ${k}\n`);
}
// Inclusive time: a sample counts once for every distinct function on its stack.
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = new Map<string, number>();
for (const [id, us] of selfUs) {
  const seen = new Set<string>();
  for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
    const n = byId.get(cur);
    if (!n || n.callFrame.url === '') continue;
    const k = label(n);
    if (seen.has(k)) continue;
    seen.add(k);
    inclusive.set(k, (inclusive.get(k) ?? 0) + us);
  }
}
process.stdout.write(`\ntotal (inclusive) time of ${values.all ? 'all' : "the project's"} functions:\n`);
for (const [k, us] of [...inclusive]
  .filter(([k]) => values.all || k.includes(' src/'))
  .sort((a, b) => b[1] - a[1])
  .slice(0, top)) {
  process.stdout.write(`${pct(us)}  ${k}\n`);
}
process.stdout.write('\nself time by file:\n');
for (const [k, us] of group((n) => shortUrl(n.callFrame.url) || `(${n.callFrame.functionName})`)) {
  process.stdout.write(`${pct(us)}  ${k}\n`);
}
