import { TOPICS } from '../../../src/core/index.js';

/** The service's ids are UUIDv7 (RFC 9562; src/app.ts says why), fresh on every answer. */
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** Paths of every null, empty string, empty array or empty object in a JSON value (CDS Hooks JSON rules). */
export function emptyMembers(value: unknown, path = '$'): string[] {
  if (value === null) return [path];
  if (typeof value === 'string') return value.trim() === '' ? [path] : [];
  if (Array.isArray(value)) {
    if (value.length === 0) return [path];
    return value.flatMap((v, i) => emptyMembers(v, `${path}[${i}]`));
  }
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [path];
    return entries.flatMap(([k, v]) => emptyMembers(v, `${path}.${k}`));
  }
  return [];
}

/**
 * Asserts what CDS Hooks 2.0 and the issue ask of every card: fresh uuids (v7), a short summary, a
 * known topic, suggestions with uuids, selectionBehavior and `create` actions for this patient,
 * override reasons with code/system/display, and no empty members anywhere.
 */
export function expectWellFormedCards(body: { cards: any[] }, patientId: string): void {
  expect(emptyMembers(body)).toEqual(body.cards.length === 0 ? ['$.cards'] : []);
  const uuids = new Set<string>();
  for (const card of body.cards) {
    expect(card.uuid).toMatch(UUID_V7);
    uuids.add(card.uuid);
    expect(typeof card.summary).toBe('string');
    expect(card.summary.length).toBeLessThan(140);
    expect(['info', 'warning', 'critical']).toContain(card.indicator);
    expect(typeof card.source.label).toBe('string');
    expect(TOPICS).toContain(card.source.topic.code);
    expect(typeof card.source.topic.system).toBe('string');
    if (card.suggestions !== undefined) {
      expect(['any', 'at-most-one']).toContain(card.selectionBehavior);
      for (const s of card.suggestions) {
        expect(s.uuid).toMatch(UUID_V7);
        uuids.add(s.uuid);
        expect(typeof s.label).toBe('string');
        for (const a of s.actions) {
          expect(a.type).toBe('create');
          expect(typeof a.description).toBe('string');
          expect(typeof a.resource.resourceType).toBe('string');
          expect(a.resource.subject).toEqual({ reference: `Patient/${patientId}` });
        }
      }
    }
    for (const r of card.overrideReasons ?? []) {
      expect(Object.keys(r).sort()).toEqual(['code', 'display', 'system']);
    }
  }
  const count = body.cards.reduce((n, c) => n + 1 + (c.suggestions?.length ?? 0), 0);
  expect(uuids.size).toBe(count);
}

export function topics(body: { cards: { source: { topic: { code: string } }; indicator: string }[] }): string[] {
  return body.cards.map((c) => `${c.source.topic.code}:${c.indicator}`).sort();
}
