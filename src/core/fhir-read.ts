/**
 * Small, total readers over FHIR R4 shapes. Input comes from EHRs and may be partial or oddly
 * typed at run time whatever the TypeScript types say, so every reader tolerates junk.
 */
import type { CodeableConcept, Coding, Condition, Reference } from 'fhir/r4.js';
import { dayOf, type DayNumber } from './dates.js';
import { codeKey, type CodeKey } from './valuesets/index.js';

const NONE: readonly never[] = Object.freeze([]);

/**
 * The list a field holds (a lone value as a list of one). Read-only: it may be the field's own
 * array, or a shared empty one.
 */
export function asArray<T>(x: readonly T[] | T | undefined | null): readonly T[] {
  if (Array.isArray(x)) return x;
  return x === undefined || x === null ? NONE : [x as T];
}

export function isString(x: unknown): x is string {
  return typeof x === 'string' && x.length > 0;
}

function isObject(x: unknown): boolean {
  return typeof x === 'object' && x !== null;
}

/**
 * The codings of a concept that are objects. Read-only: when every entry is an object (the usual
 * case) this is the concept's own array, not a copy, because it is read for every coding of every
 * resource of a request.
 */
export function codingsOf(cc: CodeableConcept | undefined | null): readonly Coding[] {
  if (!cc || typeof cc !== 'object') return NONE;
  const list = cc.coding;
  if (Array.isArray(list)) return list.every(isObject) ? list : list.filter(isObject);
  return isObject(list) ? [list as unknown as Coding] : NONE;
}

/** Every human-readable text of a concept: its text and each coding's display, lower case. */
export function textsOf(cc: CodeableConcept | undefined | null): string[] {
  if (!cc || typeof cc !== 'object') return [];
  const out: string[] = [];
  if (isString(cc.text)) out.push(cc.text.toLowerCase());
  for (const c of codingsOf(cc)) if (isString(c.display)) out.push(c.display.toLowerCase());
  return out;
}

/**
 * A CodeableConcept read once for matching against several value sets (a Condition is matched
 * against about ten): the keys of its codings, in order, and its lower-case texts.
 */
export interface ReadConcept {
  keys: readonly CodeKey[];
  texts: readonly string[];
}

export function readConcept(cc: CodeableConcept | undefined | null): ReadConcept {
  const keys: CodeKey[] = [];
  for (const c of codingsOf(cc)) {
    const k = codeKey(c.system, c.code);
    if (k) keys.push(k);
  }
  return { keys, texts: textsOf(cc) };
}

export function codeOf(cc: CodeableConcept | undefined | null): string | undefined {
  for (const c of codingsOf(cc)) if (isString(c.code)) return c.code;
  return undefined;
}

/** A reference's target as `Type/id` when it names one (relative, absolute URL, or versioned). */
export function parseReference(ref: Reference | string | undefined): { type: string; id: string } | undefined {
  const s = typeof ref === 'string' ? ref : ref?.reference;
  if (!isString(s)) return undefined;
  const m = /(?:^|\/)([A-Z][A-Za-z]+)\/([A-Za-z0-9\-.]{1,64})(?:\/_history\/[^/]+)?$/.exec(s.trim());
  return m ? { type: m[1]!, id: m[2]! } : undefined;
}

/** `Type/id` of a resource, or its type alone when it has no id (an id-less resource still names its kind). */
export function referenceOf(r: { resourceType: string; id?: string | undefined }): string {
  return isString(r.id) ? `${r.resourceType}/${r.id}` : r.resourceType;
}

export function referenceString(ref: Reference | undefined): string | undefined {
  return isString(ref?.reference) ? ref.reference.trim() : undefined;
}

/** Whether the character at `i` is a word character of lower-case text: a–z or 0–9 (`/[a-z0-9]/`). */
function isWordChar(text: string, i: number): boolean {
  const c = text.charCodeAt(i);
  return (c >= 97 && c <= 122) || (c >= 48 && c <= 57);
}

/** Names a matcher checks: start of a word, so "cortisone" does not hit "hydrocortisone". */
export function containsWord(text: string, name: string): boolean {
  let from = 0;
  for (;;) {
    const i = text.indexOf(name, from);
    if (i < 0) return false;
    if (i === 0 || !isWordChar(text, i - 1)) return true;
    from = i + 1;
  }
}

/** Whether any of the texts contains the name at the start of a word (`containsWord`). */
export function anyContainsWord(texts: readonly string[], name: string): boolean {
  for (const t of texts) if (containsWord(t, name)) return true;
  return false;
}

/**
 * A whole word or phrase: bounded on both sides, so "po" is found in "1 tab po daily" but not
 * in "post-op" or "potassium".
 */
export function containsWholeWord(text: string, word: string): boolean {
  let from = 0;
  for (;;) {
    const i = text.indexOf(word, from);
    if (i < 0) return false;
    const end = i + word.length;
    const startOk = i === 0 || !isWordChar(text, i - 1);
    const endOk = end >= text.length || !isWordChar(text, end);
    if (startOk && endOk) return true;
    from = i + 1;
  }
}

const NEVER_COUNTS = new Set(['refuted', 'entered-in-error']);

/** docs/clinical-logic.md#facts: a Condition refuted or entered in error never counts. */
export function conditionCounts(c: Condition): boolean {
  for (const code of codingsOf(c.verificationStatus)) if (NEVER_COUNTS.has(String(code.code))) return false;
  return true;
}

const ACTIVE_CLINICAL = new Set(['active', 'recurrence', 'relapse']);

/** Active unless the record says otherwise (clinicalStatus absent is taken as current). */
export function conditionActive(c: Condition): boolean {
  const codes = codingsOf(c.clinicalStatus);
  if (codes.length === 0) return true;
  return codes.some((x) => ACTIVE_CLINICAL.has(String(x.code)));
}

export function conditionOnsetDay(c: Condition): DayNumber | undefined {
  return dayOf(c.onsetDateTime) ?? dayOf(c.onsetPeriod?.start) ?? dayOf(c.onsetPeriod?.end);
}

/** Onset given as an age (Condition.onsetAge in years), when the record uses that form. */
export function conditionOnsetAgeYears(c: Condition): number | undefined {
  const a = c.onsetAge;
  if (!a || typeof a.value !== 'number') return undefined;
  const unit = (a.code ?? a.unit ?? 'a').toLowerCase();
  if (unit === 'a' || unit.startsWith('yr') || unit.startsWith('year')) return a.value;
  if (unit === 'mo' || unit.startsWith('month')) return a.value / 12;
  return undefined;
}
