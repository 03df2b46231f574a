/**
 * EHRs reject or mis-render empty members (issue 2: "no empty strings, arrays or nulls anywhere"):
 * drop empty strings, arrays, objects, nulls and undefined, bottom-up.
 */
export function pruneEmpty<T>(value: T): T {
  return prune(value) as T;
}

// Runs over every member of every card (suggested resources included), so it avoids the
// intermediate arrays of map/filter/Object.entries and String#trim's copy; the result is the same.
const NOT_BLANK = /\S/;

function prune(value: unknown): unknown {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'string') return NOT_BLANK.test(value) ? value : undefined;
  if (Array.isArray(value)) {
    const items: unknown[] = [];
    for (const v of value) {
      const p = prune(v);
      if (p !== undefined) items.push(p);
    }
    return items.length ? items : undefined;
  }
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    let kept = 0;
    for (const k of Object.keys(value)) {
      const p = prune((value as Record<string, unknown>)[k]);
      if (p !== undefined) {
        out[k] = p;
        kept++;
      }
    }
    return kept ? out : undefined;
  }
  return value;
}
