/**
 * What one benchmark request costs, stage by stage, in this process (no HTTP, no load generator):
 * parse the body, validate it, find the AI order, gather (prefetch only), evaluate, render, and
 * serialise the answer. A steadier view than a CPU profile of the whole server when comparing a
 * change before/after.
 *
 *   npx tsc -p bench/tsconfig.json && node .tmp/bench/bench/stages.js [--iterations 2000]
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import type { Bundle, MedicationRequest } from 'fhir/r4.js';
import { renderCards } from '../src/cards/render.js';
import { defaultPolicy, evaluatePatient, findAiOrders } from '../src/core/index.js';
import { gatherPatientData } from '../src/fhir/gather.js';
import { parseHookRequest } from '../src/hooks/request-schema.js';
import { benchOrderSignRequest } from './request.js';

const { values } = parseArgs({ options: { iterations: { type: 'string', default: '2000' } } });
const N = Number(values.iterations);
const text = JSON.stringify(benchOrderSignRequest());
const totals = new Map<string, number>();

function time<T>(stage: string, work: () => T): T {
  const t0 = performance.now();
  const out = work();
  totals.set(stage, (totals.get(stage) ?? 0) + performance.now() - t0);
  return out;
}

async function once(): Promise<number> {
  const body = time('JSON.parse (body)', () => JSON.parse(text) as unknown);
  const parsed = time('validate (zod)', () => parseHookRequest('order-sign', body));
  if (!parsed.ok) throw new Error('invalid benchmark request');
  const request = parsed.request;
  const aiOrders = time('find AI orders', () => findAiOrders(request.context.draftOrders, { medications: [], policy: defaultPolicy }));
  const t0 = performance.now();
  const gathered = await gatherPatientData({ patientId: request.context.patientId, prefetch: request.prefetch ?? null, deadlineMs: 1500 });
  totals.set('gather (prefetch)', (totals.get('gather (prefetch)') ?? 0) + performance.now() - t0);
  if (!gathered.ok) throw new Error('gathering failed');
  const drafts = (request.context.draftOrders?.entry ?? [])
    .map((e) => e.resource)
    .filter((r): r is MedicationRequest => r?.resourceType === 'MedicationRequest' && !aiOrders.some((o) => o.request === r));
  const evaluation = time('evaluate (facts + rules)', () =>
    evaluatePatient({ hook: 'order-sign', now: new Date(), record: gathered.record, aiOrders, draftMedicationRequests: drafts }, defaultPolicy),
  );
  const cards = time('render cards', () => renderCards(evaluation.recommendations, { patientReference: 'Patient/bench-patient', newId: randomUUID }));
  const json = time('JSON.stringify (answer)', () => JSON.stringify({ cards }));
  return json.length;
}

let size = 0;
for (let i = 0; i < Math.min(300, N); i++) size = await once(); // warm the JIT
totals.clear();
for (let i = 0; i < N; i++) await once();
let sum = 0;
process.stdout.write(`per request, mean of ${N} (body ${(text.length / 1024).toFixed(1)} KiB, answer ${(size / 1024).toFixed(1)} KiB):\n`);
for (const [stage, ms] of totals) {
  sum += ms;
  process.stdout.write(`  ${stage.padEnd(26)} ${((ms / N) * 1000).toFixed(0).padStart(6)} µs\n`);
}
process.stdout.write(`  ${'total'.padEnd(26)} ${((sum / N) * 1000).toFixed(0).padStart(6)} µs\n`);
void (undefined as unknown as Bundle);
