/**
 * The loopback test FHIR server (test/support/fhir-server.ts) in a process of its own, so that its
 * CPU is not counted against the service or the load generator. Seeded with one Synthea fixture
 * and the benchmark patient (bench/request.ts: an anastrozole start with full history).
 *
 * Prints one JSON line on stdout: { baseUrl, patientId, synthea }. Over the IPC channel (when
 * started by bench/run.ts or bench/soak.ts) it answers { type: 'stats' } with its connection and
 * request counts, and accepts { type: 'latency', ms } and { type: 'faults', plan }.
 *
 * Environment: LATENCY_MS (default 20), FHIR_FAULTS ('none' | 'flaky' | 'hang', default none),
 * SYNTHEA_FIXTURES_DIR (default: test/fixtures/synthea, found by test/support/fixtures.ts).
 */
import type { Resource } from 'fhir/r4.js';
import { startFhirServer, type FaultRule } from '../test/support/fhir-server.js';
import { benchOrderSignRequest } from './request.js';

/** Every resource the benchmark request carries as prefetch, so the server holds the same patient. */
function benchResources(): Resource[] {
  const prefetch = benchOrderSignRequest()['prefetch'] as Record<
    string,
    { resourceType: string; entry?: { resource: Resource }[] }
  >;
  const out: Resource[] = [];
  for (const value of Object.values(prefetch)) {
    if (value.resourceType === 'Bundle') out.push(...(value.entry ?? []).map((e) => e.resource));
    else out.push(value as unknown as Resource);
  }
  return out;
}

/**
 * A server that misbehaves on a fraction of requests, each way the service must survive: no answer,
 * a dropped connection, 500, 429, malformed JSON, an OperationOutcome, a wrong Bundle, endless paging.
 */
function flakyPlan(): FaultRule[] {
  const sometimes = (p: number) => () => Math.random() < p;
  return [
    { match: sometimes(0.02), fault: 'hang' },
    { match: sometimes(0.02), fault: 'drop' },
    { match: sometimes(0.03), fault: { status: 500 } },
    { match: sometimes(0.02), fault: { status: 429 } },
    { match: sometimes(0.02), fault: 'malformed' },
    { match: sometimes(0.02), fault: 'outcome' },
    { resourceType: ['Observation', 'Condition', 'Procedure'], match: sometimes(0.02), fault: 'wrong-bundle' },
    { resourceType: ['Condition', 'FamilyMemberHistory'], match: sometimes(0.02), fault: 'endless-next' },
    { match: sometimes(0.05), delayMs: 200 },
  ];
}

function plan(name: string | undefined): FaultRule[] {
  if (name === undefined || name === 'none' || name === '') return [];
  if (name === 'flaky') return flakyPlan();
  if (name === 'hang') return [{ fault: 'hang' }];
  throw new Error(`unknown FHIR_FAULTS plan ${name} (none, flaky, hang)`);
}

const fhir = await startFhirServer({
  fixtures: ['Tamatha_Witting'],
  resources: benchResources(),
  latencyMs: Number(process.env['LATENCY_MS'] ?? 20),
  faults: plan(process.env['FHIR_FAULTS']),
});

// The request log is a live array: count it and let it go, so a long soak does not fill memory.
let served = 0;
const sweep = setInterval(() => {
  served += fhir.requests.length;
  fhir.clearRequests();
}, 1000);

interface Command {
  type: 'stats' | 'latency' | 'faults';
  ms?: number;
  plan?: string;
}

process.on('message', (msg: Command) => {
  if (msg.type === 'latency' && typeof msg.ms === 'number') fhir.setLatency(msg.ms);
  if (msg.type === 'faults') fhir.setFault(plan(msg.plan));
  if (msg.type === 'stats') {
    served += fhir.requests.length;
    fhir.clearRequests();
    process.send?.({ type: 'stats', requests: served, ...fhir.connections() });
  }
});

const stop = (): void => {
  clearInterval(sweep);
  void fhir.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.on('disconnect', stop);

process.stdout.write(
  `${JSON.stringify({ baseUrl: fhir.baseUrl, patientId: 'bench-patient', synthea: fhir.patients['Tamatha_Witting'] })}\n`,
);
