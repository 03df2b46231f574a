/**
 * What a FHIR fallback read must not leave behind: once a gathering is over, nothing it fetched
 * may stay reachable. (A leak found by the soak test: undici keeps each request's AbortSignal in a
 * global FinalizationRegistry until the request is collected, and fhir-kit-client hangs the
 * Request on the parsed body; a listener on the deadline's signal that reached the results closed
 * that loop, so every fallback call kept its FHIR responses forever.)
 */
import v8 from 'node:v8';
import vm from 'node:vm';
import { FhirAgents, gatherPatientData } from '../../src/fhir/gather.js';
import { startFhirServer, type TestFhirServer } from '../support/fhir-server.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

let fhir: TestFhirServer;
let agents: FhirAgents;
let patientId: string;

beforeAll(async () => {
  fhir = await startFhirServer({ fixtures: ['Tamatha_Witting'] });
  patientId = fhir.patients['Tamatha_Witting']!;
  agents = new FhirAgents();
});
afterAll(async () => {
  // Also when beforeAll failed half-way: report its error, not a TypeError from here.
  agents?.close();
  await fhir?.close();
});

/** Runs `n` gatherings and returns weak references to one fetched resource of each. */
async function gatherings(n: number, deadlineMs: number): Promise<WeakRef<object>[]> {
  const refs: WeakRef<object>[] = [];
  for (let i = 0; i < n; i++) {
    const result = await gatherPatientData({ patientId, fhirServer: fhir.baseUrl, deadlineMs }, { agents });
    if (!result.ok) throw new Error('the gathering failed');
    const observation = result.record.observations[0];
    if (observation === undefined) throw new Error('no observation fetched');
    refs.push(new WeakRef(observation));
  }
  return refs;
}

async function collect(): Promise<void> {
  // Two rounds with a turn of the event loop between them, so finalizers queued by the first run.
  for (let i = 0; i < 2; i++) {
    await new Promise((r) => setImmediate(r));
    gc();
  }
}

test('fetched resources are collectable once the gathering is over', async () => {
  const refs = await gatherings(5, 1500);
  await collect();
  expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
});

test('also when the deadline was close to passing (a slow server)', async () => {
  fhir.setLatency(30);
  try {
    const refs = await gatherings(3, 200);
    await collect();
    expect(refs.filter((r) => r.deref() !== undefined)).toHaveLength(0);
  } finally {
    fhir.setLatency(0);
  }
});

test('heap use does not grow with the number of fallback gatherings', async () => {
  await gatherings(20, 1500);
  await collect();
  const before = process.memoryUsage().heapUsed;
  await gatherings(100, 1500);
  await collect();
  const grown = process.memoryUsage().heapUsed - before;
  // Each gathering reads ~1 MB of FHIR JSON; 100 kept would be far above this bound.
  expect(grown).toBeLessThan(8 * 1024 * 1024);
});
