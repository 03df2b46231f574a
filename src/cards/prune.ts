/**
 * EHRs reject or mis-render empty members, so no card holds an empty string, array or null:
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

/**
 * Whether `pruneEmpty` keeps this string: not blank. A first character that is visible ASCII
 * answers without running the pattern (which gives the same answer).
 */
export function isFilled(s: unknown): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  const c = s.charCodeAt(0);
  return (c > 32 && c < 127) || NOT_BLANK.test(s);
}

/** An object with no members of its own: `for…in` over it sees only inherited enumerable members. */
const NO_MEMBERS: object = Object.freeze({});

/**
 * True when `value` holds nothing that `pruneEmpty` would drop: then pruning would only copy it,
 * member for member in the same order, and the value itself can be used. Walks without
 * allocating.
 *
 * Conservative: anything but plain data (a Date, a Map, a class instance, an object without a
 * prototype: objects whose prototype is not Object.prototype, which pruning would change into
 * plain objects) counts as not pruned, and so does everything while
 * Object.prototype has an enumerable member (a polluted prototype), so that such values go
 * through `pruneEmpty` exactly as before.
 */
export function isPruned(value: unknown): boolean {
  for (const _ in NO_MEMBERS) return false;
  return plainAndFilled(value);
}

function plainAndFilled(value: unknown): boolean {
  switch (typeof value) {
    case 'string':
      return isFilled(value);
    case 'undefined':
      return false;
    case 'object':
      break;
    default:
      return true;
  }
  if (value === null) return false;
  if (Array.isArray(value)) {
    if (value.length === 0) return false;
    // Indexed, not for…of: a hole reads as undefined (dropped by pruneEmpty), and no iterator.
    for (let i = 0; i < value.length; i++) if (!plainAndFilled(value[i])) return false;
    return true;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return false;
  // for…in, not Object.keys: no array of keys per object. With nothing enumerable inherited (see
  // isPruned), it visits exactly the own enumerable members, in Object.keys order.
  let members = 0;
  for (const k in value) {
    if (!plainAndFilled((value as Record<string, unknown>)[k])) return false;
    members++;
  }
  return members > 0;
}
