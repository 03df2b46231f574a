/**
 * Golden outputs of the whole clinical pipeline (facts → recommendations → cards), recorded before
 * the hot path was rewritten for speed: a faster core must give byte-identical answers.
 * Covers 600 seeded random inputs (the property-test generators), the benchmark request, and the
 * six Synthea patients through the offline evaluator for each AI drug and for patient-view.
 *
 * A deliberate change of clinical output is recorded again with
 *   UPDATE_GOLDEN=1 NODE_OPTIONS=--experimental-vm-modules npx jest test/core/golden
 * and the diff of test/core/golden/pipeline.json belongs in the same commit as the change.
 */
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { answerOrderSign } from '../../bench/pipeline.js';
import { benchOrderSignRequest } from '../../bench/request.js';
import { runEvaluate } from '../../src/cli/evaluate.js';
import { AI_DRUGS } from '../../src/core/index.js';
import { fixtureFiles } from '../support/fixtures.js';
import { input, run } from './support/arbitraries.js';

const GOLDEN = join(dirname(fileURLToPath(import.meta.url)), 'golden', 'pipeline.json');
const SEED = 20261127;
const RANDOM_RUNS = 600;
const NOW = '2026-06-01';

type Golden = Record<string, string>;

const hash = (value: unknown) => createHash('sha256').update(JSON.stringify(value)).digest('hex').slice(0, 32);

function randomCases(): Golden {
  const out: Golden = {};
  fc.sample(input, { seed: SEED, numRuns: RANDOM_RUNS }).forEach((i, n) => {
    out[`random-${String(n).padStart(3, '0')}`] = hash(run(i));
  });
  return out;
}

async function benchCase(): Promise<Golden> {
  let id = 0;
  const body = benchOrderSignRequest(new Date(`${NOW}T12:00:00Z`), 'golden-hook-instance');
  const { evaluation, cards } = await answerOrderSign(body, {
    now: new Date(`${NOW}T12:00:00Z`),
    newId: () => `id-${++id}`,
  });
  return { bench: hash({ evaluation, cards }) };
}

async function fixtureCases(): Promise<Golden> {
  const out: Golden = {};
  for (const [name, file] of fixtureFiles()) {
    for (const variant of [...AI_DRUGS, 'patient-view'] as const) {
      let text = '';
      const sink = new Writable({
        write(chunk: Buffer, _enc, done) {
          text += chunk.toString();
          done();
        },
      });
      const args = variant === 'patient-view' ? [file, '--hook', 'patient-view'] : [file, '--drug', variant];
      const code = await runEvaluate([...args, '--now', NOW, '--json'], sink);
      if (code !== 0) throw new Error(`evaluate ${name} ${variant} exited ${code}`);
      // The CLI numbers nothing: its uuids are random, so they are masked.
      const masked = text.replace(/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g, 'uuid');
      out[`${name}-${variant}`] = hash(masked);
    }
  }
  return out;
}

describe('golden outputs of the clinical pipeline', () => {
  let actual: Golden;
  beforeAll(async () => {
    actual = { ...(await benchCase()), ...(await fixtureCases()), ...randomCases() };
    if (process.env['UPDATE_GOLDEN'] === '1') writeFileSync(GOLDEN, JSON.stringify(actual, null, 1) + '\n');
  }, 120_000);

  test('every case gives the recorded answer', () => {
    const expected = JSON.parse(readFileSync(GOLDEN, 'utf8')) as Golden;
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    const changed = Object.keys(expected).filter((k) => actual[k] !== expected[k]);
    expect(changed).toEqual([]);
  });

  test('the cases are not trivial: the random inputs reach many different answers', () => {
    expect(new Set(Object.values(actual)).size).toBeGreaterThan(RANDOM_RUNS * 0.8);
  });
});
