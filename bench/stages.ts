/**
 * What one benchmark request costs, stage by stage, in this process (no HTTP, no load generator):
 * parse the body, validate it, find the AI order, gather (prefetch only), evaluate, render, and
 * serialise the answer. Each stage runs alone, many times over the same input, and is timed by the
 * process's CPU time (so another program on the machine slows it less than wall time would); the
 * wall time is printed beside it. A steadier view than a CPU profile of the whole server when
 * comparing a change before/after.
 *
 *   npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/stages.js [--iterations 3000] [--repeat 3]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { MedicationRequest } from 'fhir/r4.js';
import { renderCards } from '../src/cards/render.js';
import { defaultPolicy, evaluatePatient, findAiOrders } from '../src/core/index.js';
import { gatherPatientData } from '../src/fhir/gather.js';
import { parseHookRequest } from '../src/hooks/request-schema.js';
import { benchOrderSignRequest } from './request.js';

const { values } = parseArgs({
  options: { iterations: { type: 'string', default: '3000' }, repeat: { type: 'string', default: '3' } },
});
const N = Number(values.iterations);
const REPEAT = Number(values.repeat);
const text = JSON.stringify(benchOrderSignRequest());

// The inputs of every stage, computed once by running the pipeline one time.
const body = JSON.parse(text) as unknown;
const parsed = parseHookRequest('order-sign', body);
if (!parsed.ok) throw new Error('invalid benchmark request');
const request = parsed.request;
const findAi = () => findAiOrders(request.context.draftOrders, { medications: [], policy: defaultPolicy });
const aiOrders = findAi();
const gather = () =>
  gatherPatientData({ patientId: request.context.patientId, prefetch: request.prefetch ?? null, deadlineMs: 1500 });
const gathered = await gather();
if (!gathered.ok) throw new Error('gathering failed');
const record = gathered.record;
const drafts = (request.context.draftOrders?.entry ?? [])
  .map((e) => e.resource)
  .filter(
    (r): r is MedicationRequest => r?.resourceType === 'MedicationRequest' && !aiOrders.some((o) => o.request === r),
  );
const evaluate = () =>
  evaluatePatient(
    { hook: 'order-sign', now: new Date(), record, aiOrders, draftMedicationRequests: drafts },
    defaultPolicy,
  );
const recommendations = evaluate().recommendations;
const render = () => renderCards(recommendations, { patientReference: 'Patient/bench-patient', newId: randomUUID });
const cards = render();
const answer = JSON.stringify({ cards });

const stages: [string, () => unknown][] = [
  ['JSON.parse (body)', () => JSON.parse(text)],
  ['validate (zod)', () => parseHookRequest('order-sign', body)],
  ['find AI orders', findAi],
  ['gather (prefetch)', gather],
  ['evaluate (facts + rules)', evaluate],
  ['render cards', render],
  ['JSON.stringify (answer)', () => JSON.stringify({ cards })],
];

async function cost(work: () => unknown, n: number): Promise<{ cpuUs: number; wallUs: number }> {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < n; i++) {
    const out = work();
    if (out instanceof Promise) await out;
  }
  const c = process.cpuUsage(c0);
  return { cpuUs: (c.user + c.system) / n, wallUs: ((performance.now() - t0) * 1000) / n };
}

const out = (s: string) => process.stdout.write(`${s}\n`);
out(
  `per call, best of ${REPEAT} × ${N} (body ${(text.length / 1024).toFixed(1)} KiB, answer ${(answer.length / 1024).toFixed(1)} KiB, ${cards.length} cards):`,
);
out(`  ${'stage'.padEnd(26)} ${'CPU µs'.padStart(7)} ${'wall µs'.padStart(8)}`);
let sum = 0;
let parseUs = 0;
for (const [name, work] of stages) {
  await cost(work, Math.min(N, 500)); // warm the JIT for this stage
  let best = { cpuUs: Infinity, wallUs: Infinity };
  for (let r = 0; r < REPEAT; r++) {
    const c = await cost(work, N);
    if (c.cpuUs < best.cpuUs) best = c;
  }
  if (name === 'JSON.parse (body)') parseUs = best.cpuUs;
  sum += best.cpuUs;
  out(`  ${name.padEnd(26)} ${best.cpuUs.toFixed(0).padStart(7)} ${best.wallUs.toFixed(0).padStart(8)}`);
}
out(`  ${'total'.padEnd(26)} ${sum.toFixed(0).padStart(7)}`);
out(`  ${'total without JSON.parse'.padEnd(26)} ${(sum - parseUs).toFixed(0).padStart(7)}`);
