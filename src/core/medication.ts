/**
 * Medication classes (docs/clinical-logic.md#medication-classes): a product belongs to a class by an RxNorm code whose
 * verification status the policy trusts, and otherwise by an ingredient name in its text, coding
 * display or Medication.ingredient. The medication may be a CodeableConcept, a contained
 * Medication, or a Medication resolved from medicationReference.
 */
import type {
  CodeableConcept,
  Medication,
  MedicationAdministration,
  MedicationRequest,
  MedicationStatement,
  Reference,
} from 'fhir/r4.js';
import {
  anyContainsWord,
  asArray,
  codingsOf,
  containsWholeWord,
  containsWord,
  isString,
  parseReference,
  readConcept,
  textsOf,
} from './fhir-read.js';
import {
  isConcept,
  lookupKey,
  type CodeKey,
  matchNames,
  nonOralAbbreviations,
  nonOralWords,
  type Verification,
  type SimpleCoding,
} from './valuesets/index.js';

export const MEDICATION_CLASSES = [
  'aromatase-inhibitors',
  'bone-agents',
  'calcium-vitamin-d',
  'oral-glucocorticoids',
  'testosterone',
] as const;
export type MedicationClass = (typeof MEDICATION_CLASSES)[number];

export interface ClassMatch {
  valueSet: MedicationClass;
  ingredient?: string;
  matchedBy: 'code' | 'text';
  /** The value-set coding that matched (code match). */
  coding?: SimpleCoding;
  /** The name that matched (text match). */
  name?: string;
}

type MedicationUse = MedicationRequest | MedicationStatement | MedicationAdministration;

/** What describes a product, read once per order or statement (see `MedicationIndex.describe`). */
interface Description {
  /** The keys of every coding of the order's own concept, the Medication's code and its ingredients, in that order. */
  keys: readonly CodeKey[];
  /** Their lower-case texts, and the displays of the medication and ingredient references. */
  texts: readonly string[];
  /** The lower-case texts of the Medication's form (and of referenced ingredient Medications'). */
  forms: readonly string[];
}

/**
 * Known Medication resources by id, for medicationReference resolution. One index serves one
 * request: it also keeps each order's description, because the same order is classified for
 * several classes (AI, bone agent, calcium/vitamin D, testosterone, glucocorticoid).
 */
export class MedicationIndex {
  private readonly byId = new Map<string, Medication>();
  private readonly descriptions = new Map<MedicationUse, Description>();
  constructor(medications: readonly Medication[] = []) {
    for (const m of medications) {
      if (m && typeof m === 'object' && isString(m.id) && !this.byId.has(m.id)) this.byId.set(m.id, m);
    }
  }

  /** The Medication a reference names: contained (`#id`), `Medication/<id>` (any base), or `urn:uuid:<id>`. */
  resolve(ref: Reference | undefined, holder?: { contained?: unknown[] }): Medication | undefined {
    const s = ref?.reference;
    if (!isString(s)) return undefined;
    const r = s.trim();
    if (r.startsWith('#')) {
      const id = r.slice(1);
      return asArray(holder?.contained).find(
        (c): c is Medication =>
          typeof c === 'object' &&
          c !== null &&
          (c as Medication).resourceType === 'Medication' &&
          (c as Medication).id === id,
      );
    }
    if (r.startsWith('urn:uuid:')) return this.byId.get(r.slice('urn:uuid:'.length));
    const parsed = parseReference(r);
    return parsed && parsed.type === 'Medication' ? this.byId.get(parsed.id) : undefined;
  }

  has(id: string): boolean {
    return this.byId.has(id);
  }

  /** The description of an order or statement, made on first use. */
  describe(use: MedicationUse): Description {
    let d = this.descriptions.get(use);
    if (!d) this.descriptions.set(use, (d = describe(use, this)));
    return d;
  }
}

/** Every concept that describes the product: the order's own, the Medication's code and its ingredients. */
function describe(use: MedicationUse, index: MedicationIndex): Description {
  const ref = use.medicationReference;
  const concepts: CodeableConcept[] = [];
  const texts: string[] = [];
  const forms: string[] = [];
  if (use.medicationCodeableConcept) concepts.push(use.medicationCodeableConcept);
  if (isString(ref?.display)) texts.push(ref.display.toLowerCase());
  const addMedication = (med: Medication | undefined, depth: number) => {
    if (!med || depth > 2) return;
    if (med.code) concepts.push(med.code);
    forms.push(...textsOf(med.form));
    for (const ing of asArray(med.ingredient)) {
      if (ing?.itemCodeableConcept) concepts.push(ing.itemCodeableConcept);
      const itemRef = ing?.itemReference;
      if (isString(itemRef?.display)) texts.push(itemRef.display.toLowerCase());
      if (itemRef?.reference) addMedication(index.resolve(itemRef, med) ?? index.resolve(itemRef, use), depth + 1);
    }
  };
  if (ref) addMedication(index.resolve(ref, use), 0);
  const keys: CodeKey[] = [];
  for (const cc of concepts) {
    const read = readConcept(cc);
    keys.push(...read.keys);
    texts.push(...read.texts);
  }
  return { keys, texts, forms };
}

function routeTexts(use: MedicationUse): string[] {
  const dosages =
    'dosageInstruction' in use ? asArray(use.dosageInstruction) : asArray((use as MedicationStatement).dosage);
  const out: string[] = [];
  for (const d of dosages) {
    if (!d || typeof d !== 'object') continue;
    out.push(...textsOf(d.route));
    if (isString(d.text)) out.push(d.text.toLowerCase());
  }
  return out;
}

/**
 * Route words that mean "by mouth", matched as whole words ("po" must not hit "post-op",
 * "powder" or "potassium"). The reference lists no route code, so the route is read as text.
 */
const ORAL_ROUTE_WORDS = ['oral', 'orally', 'by mouth', 'po', 'p.o.'];

/** Oral unless the route says otherwise or the product text names a non-oral form. */
function takenByMouth(use: MedicationUse, texts: readonly string[], forms: readonly string[]): boolean {
  const routes = routeTexts(use);
  if (routes.some((t) => ORAL_ROUTE_WORDS.some((w) => containsWholeWord(t, w)))) return true;
  const words = nonOralWords('oral-glucocorticoids');
  const abbreviations = nonOralAbbreviations('oral-glucocorticoids');
  return ![...texts, ...forms, ...routes].some(
    (t) => words.some((w) => containsWord(t, w)) || abbreviations.some((a) => containsWholeWord(t, a)),
  );
}

/** Whether a medication order/statement belongs to a class, and how it was recognised. */
export function classify(
  use: MedicationUse,
  cls: MedicationClass,
  index: MedicationIndex,
  codeStatuses: readonly Verification[],
): ClassMatch | undefined {
  if (!use || typeof use !== 'object') return undefined;
  const { keys, texts, forms } = index.describe(use);
  for (const key of keys) {
    const hit = lookupKey(cls, key);
    if (isConcept(hit) && codeStatuses.includes(hit.verification)) {
      const m: ClassMatch = {
        valueSet: cls,
        matchedBy: 'code',
        coding: { system: hit.system, code: hit.code, display: hit.display },
      };
      if (hit.ingredient) m.ingredient = hit.ingredient;
      return m;
    }
  }
  for (const n of matchNames(cls)) {
    if (anyContainsWord(texts, n.name)) {
      if (cls === 'oral-glucocorticoids' && !takenByMouth(use, texts, forms)) return undefined;
      const m: ClassMatch = { valueSet: cls, matchedBy: 'text', name: n.name };
      if (n.ingredient) m.ingredient = n.ingredient;
      return m;
    }
  }
  return undefined;
}

/** A readable name of the product for cards (order text, coding display, or referenced Medication). */
export function productLabel(use: MedicationUse, index: MedicationIndex): string | undefined {
  const cc = use.medicationCodeableConcept ?? index.resolve(use.medicationReference, use)?.code;
  if (isString(cc?.text)) return cc.text;
  for (const c of codingsOf(cc)) if (isString(c.display)) return c.display;
  return isString(use.medicationReference?.display) ? use.medicationReference.display : undefined;
}
