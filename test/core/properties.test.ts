/** Property tests: the engine never throws on well-typed resources and is deterministic. */
import fc from 'fast-check';
import { TOPICS } from '../../src/core/index.js';
import { input, run } from './support/arbitraries.js';

describe('properties of the clinical core', () => {
  test('never throws, and the cards keep the contract', () => {
    fc.assert(
      fc.property(input, (i) => {
        const { evaluation, cards } = run(i);
        const topics = evaluation.recommendations.map((r) => r.topic);
        expect(new Set(topics).size).toBe(topics.length);
        for (const t of topics) expect(TOPICS).toContain(t);
        for (const c of cards) {
          expect(c.summary.length).toBeLessThan(140);
          expect(JSON.stringify(c)).not.toMatch(/""|\[\]|\{\}|null/);
          if (c.suggestions) expect(c.selectionBehavior).toBeDefined();
        }
      }),
      { numRuns: 300 },
    );
  });

  test('deterministic: the same input gives the same facts, recommendations and cards', () => {
    fc.assert(
      fc.property(input, (i) => {
        const a = run(structuredClone(i));
        const b = run(structuredClone(i));
        expect(b).toEqual(a);
      }),
      { numRuns: 150 },
    );
  });
});
