/**
 * createEngine: SERVICE_WORKERS=0 answers on this thread, N ≥ 1 on N worker threads; each engine
 * closes what it made. Workers run service-worker.js from the transpiled sources (jest runs .ts).
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { defaultPolicy } from '../../src/core/index.js';
import { createEngine } from '../../src/engine/create-engine.js';
import { InProcessEngine } from '../../src/engine/engine.js';
import { WorkerEngine } from '../../src/engine/worker-engine.js';
import { WorkerPool } from '../../src/engine/worker-pool.js';
import type { ServiceCall } from '../../src/hooks/answer.js';
import { createLogger } from '../../src/logger.js';
import { transpiledSources } from '../store/support/transpile.js';
import { example } from '../http/support/app.js';

const logger = createLogger({ level: 'silent' });
const events = { log: () => undefined, fhirError: () => undefined };
let workerUrl: URL;

function call(): ServiceCall {
  return {
    serviceId: 'aibl-order-sign',
    body: new TextEncoder().encode(JSON.stringify(example('order-sign'))),
    charset: 'utf-8',
    auth: {},
    deadline: Date.now() + 1500,
  };
}

function topics(json: Uint8Array): string[] {
  return (JSON.parse(new TextDecoder().decode(json)) as { cards: { source: { topic: { code: string } } }[] }).cards.map(
    (c) => c.source.topic.code,
  );
}

beforeAll(() => {
  workerUrl = pathToFileURL(join(transpiledSources(), 'src', 'engine', 'service-worker.js'));
});

test('0 workers: the in-thread engine, which answers and closes its own FHIR agents', async () => {
  const engine = createEngine({ workers: 0, policy: defaultPolicy, logger });
  expect(engine).toBeInstanceOf(InProcessEngine);
  await engine.ready();
  const answer = await engine.answer(call(), events, new AbortController().signal);
  expect(answer.status).toBe(200);
  if (answer.status === 200) expect(topics(answer.json)).toEqual(['baseline-dxa', 'bone-agent', 'calcium-vitamin-d']);
  await engine.close();
  expect(() => (engine as InProcessEngine).fhirAgents.agentFor(new URL('http://127.0.0.1/fhir'))).toThrow('closed');
  await expect(engine.answer(call(), events, new AbortController().signal)).rejects.toThrow('closed');
  await expect(engine.ready()).rejects.toThrow('closed');
});

test.each([
  [1, WorkerEngine],
  [2, WorkerPool],
])('%i worker(s): answers on worker threads the same cards, and closing ends them', async (workers, kind) => {
  const engine = createEngine({ workers, policy: defaultPolicy, logger, worker: { workerUrl } });
  expect(engine).toBeInstanceOf(kind);
  await engine.ready();
  const answers = await Promise.all(
    Array.from({ length: 4 }, () => engine.answer(call(), events, new AbortController().signal)),
  );
  for (const a of answers) {
    expect(a.status).toBe(200);
    if (a.status === 200) expect(topics(a.json)).toEqual(['baseline-dxa', 'bone-agent', 'calcium-vitamin-d']);
  }
  await engine.close();
  await expect(engine.ready()).rejects.toThrow('closed');
});

test('a negative or fractional worker count is refused', () => {
  expect(() => createEngine({ workers: -1, policy: defaultPolicy, logger })).toThrow('workers');
  expect(() => createEngine({ workers: 1.5, policy: defaultPolicy, logger })).toThrow('workers');
});
