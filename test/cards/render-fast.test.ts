/**
 * A card with no empty member is returned as built, without the prune pass that used to copy
 * every card. They must be exactly what the pruning renderer gave, for whatever
 * recommendation: the usual ones, and ones whose texts, ids, override reasons, guidelines and
 * suggested resources hold blanks, empty arrays or objects, nulls or holes. Constants shared
 * between cards are frozen.
 */
import fc from 'fast-check';
import type { FhirResource } from 'fhir/r4.js';
import { detailOf } from '../../src/cards/detail.js';
import { isFilled, isPruned, pruneEmpty } from '../../src/cards/prune.js';
import { renderCards, TOPIC_DISPLAY, TOPIC_SYSTEM, type RenderContext } from '../../src/cards/render.js';
import { summaryOf } from '../../src/cards/summary.js';
import type { Card, Link, Suggestion } from '../../src/cards/types.js';
import type { Recommendation, SuggestionDraft } from '../../src/core/index.js';
import { input, run } from '../core/support/arbitraries.js';
import { evaluateScenario } from '../core/support/builders.js';
import { jsonWithBlanks } from './support/json-with-blanks.js';
import { EVERY_TOPIC as PATIENTS } from './support/scenarios.js';

/** renderCard as it was written before: build, then prune. */
function renderByPruning(rec: Recommendation, ctx: RenderContext): Card {
  const suggestion = (s: SuggestionDraft): Suggestion => {
    const { resourceType, ...rest } = s.action.resource;
    const resource = { resourceType, ...rest, subject: { reference: ctx.patientReference } } as FhirResource;
    const out: Suggestion = {
      label: s.label,
      uuid: ctx.newId(),
      actions: [{ type: 'create', description: s.action.description, resource }],
    };
    if (s.isRecommended) out.isRecommended = true;
    return out;
  };
  const [primary] = rec.guidelines;
  const card: Card = {
    uuid: ctx.newId(),
    summary: summaryOf(rec),
    detail: detailOf(rec),
    indicator: rec.indicator,
    source: {
      label: primary?.label ?? 'aibl-cds',
      ...(primary && { url: primary.url }),
      topic: { system: TOPIC_SYSTEM, code: rec.topic, display: TOPIC_DISPLAY[rec.topic] },
    },
  };
  if (rec.suggestions.length) {
    card.suggestions = rec.suggestions.map(suggestion);
    card.selectionBehavior = rec.selectionBehavior ?? 'any';
  }
  if (rec.overrideReasons.length) card.overrideReasons = rec.overrideReasons.map((o) => ({ ...o }));
  const links: Link[] = rec.guidelines.map((g) => ({ label: g.label, url: g.url, type: 'absolute' }));
  if (links.length) card.links = links;
  return pruneEmpty(card);
}

function ids(blankEvery = 0): () => string {
  let n = 0;
  return () => {
    n += 1;
    return blankEvery > 0 && n % blankEvery === 0 ? (n % 2 ? '' : ' \t') : `id-${n}`;
  };
}

function expectSameCards(recs: Recommendation[], blankIdEvery = 0): Card[] {
  const before = JSON.stringify(recs);
  const ctx = { patientReference: 'Patient/p', newId: ids(blankIdEvery) };
  let expected: Card[];
  try {
    expected = recs.map((r) => renderByPruning(r, ctx));
  } catch (err) {
    // A recommendation the pruning renderer could not render either (a blanked `action`).
    expect(() => renderCards(recs, { patientReference: 'Patient/p', newId: ids(blankIdEvery) })).toThrow(
      (err as Error).constructor as ErrorConstructor,
    );
    return [];
  }
  const cards = renderCards(recs, { patientReference: 'Patient/p', newId: ids(blankIdEvery) });
  expect(JSON.stringify(cards)).toBe(JSON.stringify(expected));
  expect(cards).toEqual(expected);
  // Rendering changes nothing it was given.
  expect(JSON.stringify(recs)).toBe(before);
  return cards;
}

const recommendations = (seed: number, runs: number) => [
  ...PATIENTS.flatMap((s) => evaluateScenario(s).recommendations),
  ...fc.sample(input, { seed, numRuns: runs }).flatMap((i) => run(i).evaluation.recommendations),
];

const BLANK_TEXTS = ['', ' ', '\t\n', '\u00a0', '\ufeff', '\u2028'];
const HOLE = Symbol('hole');

/**
 * An empty value in place of `value`, of a kind its member may hold: a blank text for a text, an
 * empty array or one holding a blank (or a hole) for an array, an empty object or one holding a
 * blank for an object. Inside a suggested resource (FHIR content) also null and undefined.
 */
function blankFor(value: unknown, inResource: boolean, choice: number): unknown {
  const pick = <T>(options: T[]): T => options[choice % options.length]!;
  if (inResource && choice % 5 === 0) return pick([null, undefined]);
  if (typeof value === 'string') return pick(BLANK_TEXTS);
  if (Array.isArray(value)) return pick([[], [''], [null], HOLE]);
  if (typeof value === 'object' && value !== null) return pick([{}, { a: '' }, { a: [] }]);
  return inResource ? pick(BLANK_TEXTS) : value;
}

/** Every path into a value (objects and arrays), the root excluded. */
function pathsOf(value: unknown, prefix: (string | number)[] = []): (string | number)[][] {
  if (typeof value !== 'object' || value === null) return [];
  const out: (string | number)[][] = [];
  for (const [k, v] of Object.entries(value)) {
    const p = [...prefix, Array.isArray(value) ? Number(k) : k];
    out.push(p, ...pathsOf(v, p));
  }
  return out;
}

function valueAt(root: unknown, path: (string | number)[]): unknown {
  let at = root;
  for (const k of path)
    at = typeof at === 'object' && at !== null ? (at as Record<string | number, unknown>)[k] : undefined;
  return at;
}

function setAt(root: unknown, path: (string | number)[], value: unknown): void {
  let at = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) {
    const next = at[k];
    if (typeof next !== 'object' || next === null) return; // an earlier change replaced it
    at = next as Record<string | number, unknown>;
  }
  const last = path[path.length - 1]!;
  if (value !== HOLE) at[last] = value;
  else if (Array.isArray(at[last])) delete (at[last] as unknown[])[0];
}

describe('cards built without empty members equal the pruned cards', () => {
  const recs = recommendations(7, 400);

  test('the recommendations of random patients', () => {
    expect(recs.length).toBeGreaterThan(250);
    expect(new Set(recs.map((r) => r.topic)).size).toBe(Object.keys(TOPIC_DISPLAY).length);
    expectSameCards(recs);
  });

  test('blank ids', () => {
    expectSameCards(recs.slice(0, 100), 3);
  });

  test('copies of the recommendations (no shared constants), with any member blanked', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: recs.length - 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat()), { minLength: 1, maxLength: 3 }),
        (r, changes) => {
          const rec = structuredClone(recs[r]!);
          // Reorder one draft so that resourceType is not its first member.
          const draft = rec.suggestions[0]?.action.resource as Record<string, unknown> | undefined;
          if (draft && changes.length === 2) {
            const { resourceType, ...rest } = draft;
            rec.suggestions[0]!.action.resource = { ...rest, resourceType } as never;
          }
          const paths = pathsOf(rec).filter((p) =>
            ['suggestions', 'overrideReasons', 'guidelines', 'indicator', 'selectionBehavior'].includes(p[0] as string),
          );
          if (paths.length === 0) return;
          for (const [p, b] of changes) {
            const path = paths[p % paths.length]!;
            const inResource = path[2] === 'action' && path[3] === 'resource' && path.length > 4;
            setAt(rec, path, blankFor(valueAt(rec, path), inResource, b));
          }
          expectSameCards([rec]);
        },
      ),
      { numRuns: 3_000 },
    );
  });

  test('shared constants are frozen; cards, override reasons and suggested resources are fresh objects', () => {
    const some = recs.slice(0, 50);
    const cards = expectSameCards(some);
    cards.forEach((c, i) => {
      expect(Object.isFrozen(c)).toBe(false);
      expect(Object.isFrozen(c.source.topic)).toBe(true);
      for (const l of c.links ?? []) expect(Object.isFrozen(l)).toBe(true);
      (c.overrideReasons ?? []).forEach((o, j) => expect(o).not.toBe(some[i]!.overrideReasons[j]));
      (c.suggestions ?? []).forEach((s, j) =>
        expect(s.actions![0]!.resource).not.toBe(some[i]!.suggestions[j]!.action.resource),
      );
    });
  });
});

describe('isPruned', () => {
  test('true exactly when pruning gives the value back unchanged', () => {
    fc.assert(
      fc.property(jsonWithBlanks, (v) => {
        if (isPruned(v)) {
          const pruned = pruneEmpty(v);
          expect(pruned).toStrictEqual(v);
          expect(JSON.stringify(pruned)).toBe(JSON.stringify(v));
        }
        // Not needlessly conservative: for JSON data, true whenever pruning changes nothing.
        const json: unknown = JSON.parse(JSON.stringify(v) ?? 'null');
        expect(isPruned(json)).toBe(JSON.stringify(pruneEmpty(json)) === JSON.stringify(json));
      }),
      { numRuns: 5_000 },
    );
  });

  test('anything but plain data is left to pruneEmpty', () => {
    expect(isPruned(new Date())).toBe(false);
    expect(isPruned(new Map([[1, 2]]))).toBe(false);
    expect(isPruned({ a: new Date() })).toBe(false);
    expect(isPruned(Object.assign(Object.create(null) as object, { a: 1 }))).toBe(false);
    // eslint-disable-next-line no-sparse-arrays -- a hole is the case under test
    expect(isPruned([1, , 2])).toBe(false);
  });

  test('a polluted Object.prototype makes every object not pruned', () => {
    const proto = Object.prototype as Record<string, unknown>;
    proto['polluted'] = 'x';
    try {
      expect(isPruned({ a: 1 })).toBe(false);
      expect(isPruned('x')).toBe(false);
    } finally {
      delete proto['polluted'];
    }
    expect(isPruned({ a: 1 })).toBe(true);
  });

  test('isFilled is pruneEmpty keeping a string', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.string({ unit: 'binary' }),
          fc.constantFrom(' ', '\u00a0x', '\ufeff', '\u3000', ' \u2212'),
        ),
        (s) => {
          expect(isFilled(s)).toBe(pruneEmpty(s) !== undefined);
        },
      ),
      { numRuns: 5_000 },
    );
    expect(isFilled(undefined)).toBe(false);
    expect(isFilled(null)).toBe(false);
    expect(isFilled(3)).toBe(false);
  });
});
