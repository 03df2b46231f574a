/**
 * The code lists of the clinical core, as versioned FHIR ValueSets (JSON beside this file). Every
 * code carries its verification status and source from clinical-codes-and-evidence.md; no code
 * lives anywhere else. Lookups are built once per value set and are read-only.
 */
import type { ValueSet, ValueSetComposeIncludeConcept, Extension } from 'fhir/r4.js';
import albumin from './albumin.json' with { type: 'json' };
import aromataseInhibitors from './aromatase-inhibitors.json' with { type: 'json' };
import bmi from './bmi.json' with { type: 'json' };
import bodyHeight from './body-height.json' with { type: 'json' };
import bodyWeight from './body-weight.json' with { type: 'json' };
import boneAgents from './bone-agents.json' with { type: 'json' };
import breastCancer from './breast-cancer.json' with { type: 'json' };
import calciumSerum from './calcium-serum.json' with { type: 'json' };
import calciumVitaminD from './calcium-vitamin-d.json' with { type: 'json' };
import ckd45 from './ckd-4-5.json' with { type: 'json' };
import codeSystems from './code-systems.json' with { type: 'json' };
import dxaBmd from './dxa-bmd.json' with { type: 'json' };
import dxaProcedures from './dxa-procedures.json' with { type: 'json' };
import dxaTScore from './dxa-t-score.json' with { type: 'json' };
import dxaZScore from './dxa-z-score.json' with { type: 'json' };
import egfr from './egfr.json' with { type: 'json' };
import estradiol from './estradiol.json' with { type: 'json' };
import fragilityFracture from './fragility-fracture.json' with { type: 'json' };
import hipFracture from './hip-fracture.json' with { type: 'json' };
import hypocalcaemia from './hypocalcaemia.json' with { type: 'json' };
import longTermGlucocorticoids from './long-term-glucocorticoids.json' with { type: 'json' };
import onj from './onj.json' with { type: 'json' };
import oralGlucocorticoids from './oral-glucocorticoids.json' with { type: 'json' };
import osteopenia from './osteopenia.json' with { type: 'json' };
import osteoporosis from './osteoporosis.json' with { type: 'json' };
import parentalHipFracture from './parental-hip-fracture.json' with { type: 'json' };
import smokerAnswers from './smoker-answers.json' with { type: 'json' };
import smokingStatus from './smoking-status.json' with { type: 'json' };
import testosterone from './testosterone.json' with { type: 'json' };
import vitaminD25oh from './vitamin-d-25oh.json' with { type: 'json' };
import vitaminDDeficiency from './vitamin-d-deficiency.json' with { type: 'json' };

const SOURCES = {
  'aromatase-inhibitors': aromataseInhibitors,
  'dxa-bmd': dxaBmd,
  'dxa-t-score': dxaTScore,
  'dxa-z-score': dxaZScore,
  'dxa-procedures': dxaProcedures,
  estradiol,
  bmi,
  'body-weight': bodyWeight,
  'body-height': bodyHeight,
  'smoking-status': smokingStatus,
  'smoker-answers': smokerAnswers,
  'vitamin-d-25oh': vitaminD25oh,
  'calcium-serum': calciumSerum,
  albumin,
  egfr,
  osteoporosis,
  osteopenia,
  'fragility-fracture': fragilityFracture,
  'hip-fracture': hipFracture,
  'parental-hip-fracture': parentalHipFracture,
  'long-term-glucocorticoids': longTermGlucocorticoids,
  'oral-glucocorticoids': oralGlucocorticoids,
  'bone-agents': boneAgents,
  'calcium-vitamin-d': calciumVitaminD,
  testosterone,
  'ckd-4-5': ckd45,
  onj,
  hypocalcaemia,
  'vitamin-d-deficiency': vitaminDDeficiency,
  'breast-cancer': breastCancer,
} as const;

export type ValueSetName = keyof typeof SOURCES;
export const VALUE_SET_NAMES = Object.keys(SOURCES) as ValueSetName[];

export const SYSTEMS = {
  rxnorm: 'http://www.nlm.nih.gov/research/umls/rxnorm',
  loinc: 'http://loinc.org',
  snomed: 'http://snomed.info/sct',
  icd10cm: 'http://hl7.org/fhir/sid/icd-10-cm',
  cpt: 'http://www.ama-assn.org/go/cpt',
  atc: 'http://www.whocc.no/atc',
  ucum: 'http://unitsofmeasure.org',
} as const;

export type Verification = 'verified' | 'weak' | 'unverified';
export const VERIFICATIONS: readonly Verification[] = ['verified', 'weak', 'unverified'];

export interface SimpleCoding {
  system: string;
  code: string;
  display: string;
}

/** One code of a value set with the annotations the rules read. */
export interface Concept extends SimpleCoding {
  valueSet: ValueSetName;
  verification: Verification;
  source: string;
  /** Medication sets: the ingredient this code stands for (e.g. `anastrozole`, `zoledronic-acid`). */
  ingredient?: string;
  /** RxNorm term type (IN, SCD, SBD, BN, GPCK). */
  tty?: string;
  /** DXA sets: `lumbar-spine` | `total-hip` | `femoral-neck` | `radius` | `calcaneus` | `any`. */
  dxaSite?: string;
  laterality?: 'left' | 'right';
  /** The UCUM unit the code is normally reported in. */
  unit?: string;
  /** smoker-answers: `current` | `former`. */
  smoking?: string;
  /** calcium-serum: `total` | `corrected`. */
  calciumKind?: string;
  /** bone-agents: the suggested regimen this product is the draft order for. */
  regimen?: string;
  /** dxa-procedures: `axial` | `peripheral` | `vertebral-fracture-assessment` (only axial dates the last DXA). */
  dxaScope?: string;
  /** Evidence seen outside the reference document; it never changes `verification`. */
  localEvidence?: string;
}

/** A hierarchy of codes given by its prefix (ICD-10-CM `M80`, `S72`, `M85.8`). */
export interface PrefixRule {
  valueSet: ValueSetName;
  system: string;
  prefix: string;
  label: string;
  verification: Verification;
  source: string;
}

/** A word or ingredient name that recognises the class in free text (docs/clinical-logic.md#medication-classes). */
export interface MatchName {
  name: string;
  ingredient?: string;
  source: string;
}

interface Compiled {
  resource: ValueSet;
  concepts: Concept[];
  /** Concepts by canonical system, then normalised code. */
  byCode: CodeMap<Concept>;
  prefixes: PrefixRule[];
  /** Each prefix rule's prefix, normalised like a code (same positions as `prefixes`). */
  normalisedPrefixes: string[];
  names: MatchName[];
  /** Free-text words that mark a product as not taken by mouth (oral-glucocorticoids). */
  nonOralWords: string[];
  /** Abbreviations with the same meaning (`iv`, `im`), matched only as whole words. */
  nonOralAbbreviations: string[];
}

const EXT = 'urn:aibl-cds:extension:';

const aliasToSystem = new Map<string, string>();
for (const [system, aliases] of Object.entries(codeSystems.aliases as Record<string, string[]>)) {
  for (const alias of aliases) aliasToSystem.set(alias, system);
}

/** The canonical system URI for a coding's system (OIDs map to their URL). */
export function canonicalSystem(system: string | undefined): string {
  // EHR data reaches the core unvalidated beyond its shape: a non-string system matches nothing.
  if (typeof system !== 'string' || system === '') return '';
  const trimmed = system.trim();
  return aliasToSystem.get(trimmed) ?? trimmed;
}

/** Whether upper-casing can change the text: a lower-case ASCII letter, or any non-ASCII character. */
function hasLowerCase(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if ((c >= 97 && c <= 122) || c > 127) return true;
  }
  return false;
}

/** Codes compare case-insensitively; ICD-10-CM also without its dot (EHRs send both `M81.0` and `M810`). */
function normaliseCode(system: string, code: string): string {
  const trimmed = code.trim();
  // Most codes (LOINC, SNOMED, RxNorm) have no lower case: skip the copy `toUpperCase` would make.
  const c = hasLowerCase(trimmed) ? trimmed.toUpperCase() : trimmed;
  return system === SYSTEMS.icd10cm && c.includes('.') ? c.replace(/\./g, '') : c;
}

/** Maps by canonical system, then normalised code: a lookup reads the coding's own strings and builds no key. */
type CodeMap<T> = Map<string, Map<string, T>>;

function codeMapGet<T>(map: CodeMap<T>, system: string, code: string): T | undefined {
  return map.get(system)?.get(code);
}

function codeMapEntry<T>(map: CodeMap<T>, system: string): Map<string, T> {
  let bySystem = map.get(system);
  if (!bySystem) map.set(system, (bySystem = new Map()));
  return bySystem;
}

function extValue(exts: Extension[] | undefined, name: string): string | undefined {
  const e = exts?.find((x) => x.url === EXT + name);
  return e?.valueCode ?? e?.valueString;
}

function compile(name: ValueSetName): Compiled {
  const resource = SOURCES[name] as unknown as ValueSet;
  const concepts: Concept[] = [];
  const prefixes: PrefixRule[] = [];
  for (const include of resource.compose?.include ?? []) {
    const system = include.system ?? '';
    for (const c of (include.concept ?? []) as ValueSetComposeIncludeConcept[]) {
      const concept: Concept = {
        valueSet: name,
        system,
        code: c.code,
        display: c.display ?? c.code,
        verification: (extValue(c.extension, 'verification') ?? 'unverified') as Verification,
        source: extValue(c.extension, 'source') ?? '',
      };
      const optional = {
        ingredient: extValue(c.extension, 'ingredient'),
        tty: extValue(c.extension, 'tty'),
        dxaSite: extValue(c.extension, 'dxa-site'),
        laterality: extValue(c.extension, 'laterality') as Concept['laterality'],
        unit: extValue(c.extension, 'unit'),
        smoking: extValue(c.extension, 'smoking'),
        calciumKind: extValue(c.extension, 'calcium-kind'),
        regimen: extValue(c.extension, 'regimen'),
        dxaScope: extValue(c.extension, 'dxa-scope'),
        localEvidence: extValue(c.extension, 'local-evidence'),
      };
      for (const [k, v] of Object.entries(optional)) {
        if (v !== undefined) (concept as unknown as Record<string, unknown>)[k] = v;
      }
      concepts.push(concept);
    }
    for (const f of include.filter ?? []) {
      prefixes.push({
        valueSet: name,
        system,
        prefix: f.value,
        label: extValue(f.extension, 'label') ?? f.value,
        verification: (extValue(f.extension, 'verification') ?? 'unverified') as Verification,
        source: extValue(f.extension, 'source') ?? '',
      });
    }
  }
  const names: MatchName[] = [];
  const nonOralWords: string[] = [];
  const nonOralAbbreviations: string[] = [];
  for (const e of resource.extension ?? []) {
    if (e.url === EXT + 'match-name') {
      const sub = (n: string) => e.extension?.find((x) => x.url === n);
      const n = sub('name')?.valueString;
      if (n) {
        const m: MatchName = { name: n.toLowerCase(), source: sub('source')?.valueString ?? '' };
        const ing = sub('ingredient')?.valueCode;
        if (ing) m.ingredient = ing;
        names.push(m);
      }
    } else if (e.url === EXT + 'non-oral-word' && e.valueString) {
      nonOralWords.push(e.valueString.toLowerCase());
    } else if (e.url === EXT + 'non-oral-abbreviation' && e.valueString) {
      nonOralAbbreviations.push(e.valueString.toLowerCase());
    }
  }
  const byCode: CodeMap<Concept> = new Map();
  for (const c of concepts) codeMapEntry(byCode, c.system).set(normaliseCode(c.system, c.code), c);
  const normalisedPrefixes = prefixes.map((p) => normaliseCode(p.system, p.prefix));
  return { resource, concepts, byCode, prefixes, normalisedPrefixes, names, nonOralWords, nonOralAbbreviations };
}

// Derived once from the static JSON: constant data, not mutable state.
const compiled = new Map<ValueSetName, Compiled>(VALUE_SET_NAMES.map((n) => [n, compile(n)]));

// Every explicit concept by its normalised code, across all value sets (in VALUE_SET_NAMES order):
// filing one coding under every set it belongs to is then one Map read, not one per set.
const conceptsByCode: CodeMap<Concept[]> = new Map();
for (const c of compiled.values()) {
  for (const [system, byCode] of c.byCode) {
    const bySystem = codeMapEntry(conceptsByCode, system);
    for (const [code, concept] of byCode) {
      const list = bySystem.get(code);
      if (list) list.push(concept);
      else bySystem.set(code, [concept]);
    }
  }
}

function get(name: ValueSetName): Compiled {
  const c = compiled.get(name);
  if (!c) throw new Error(`unknown value set: ${String(name)}`);
  return c;
}

/** The ValueSet resource as shipped (FHIR R4 shape). */
export function valueSet(name: ValueSetName): ValueSet {
  return get(name).resource;
}

/** The explicit codes of a value set, optionally limited to some verification statuses. */
export function codings(name: ValueSetName, statuses?: readonly Verification[]): SimpleCoding[] {
  return concepts(name, statuses).map(({ system, code, display }) => ({ system, code, display }));
}

export function concepts(name: ValueSetName, statuses?: readonly Verification[]): Concept[] {
  const all = get(name).concepts;
  return statuses ? all.filter((c) => statuses.includes(c.verification)) : all;
}

/** Code hierarchies given by prefix (for FHIR search these need `:below` or a broad query). */
export function prefixes(name: ValueSetName): PrefixRule[] {
  return get(name).prefixes;
}

/** Names that recognise the class in free text (lower case). */
export function matchNames(name: ValueSetName): MatchName[] {
  return get(name).names;
}

export function nonOralWords(name: ValueSetName): string[] {
  return get(name).nonOralWords;
}

export function nonOralAbbreviations(name: ValueSetName): string[] {
  return get(name).nonOralAbbreviations;
}

/** `system|code` search tokens of a value set (FHIR token search syntax). */
export function searchTokens(name: ValueSetName): string[] {
  return get(name).concepts.map((c) => `${c.system}|${c.code}`);
}

/**
 * A coding's system and code, normalised once (canonical system; code trimmed, upper case, ICD-10-CM
 * without its dot). A reader that matches one coding against several value sets makes its key once
 * and looks it up in each (`lookupKey`), instead of normalising the same code again for every set.
 */
export interface CodeKey {
  readonly system: string;
  readonly code: string;
}

/** The key of a coding, or undefined when its system or code is not a non-empty string (unvalidated EHR data). */
export function codeKey(system: unknown, code: unknown): CodeKey | undefined {
  if (typeof system !== 'string' || typeof code !== 'string' || !system || !code) return undefined;
  const sys = canonicalSystem(system);
  return { system: sys, code: normaliseCode(sys, code) };
}

/** `lookup` for a coding already keyed: the value set's explicit code, else its first matching prefix rule. */
export function lookupKey(name: ValueSetName, k: CodeKey): Concept | PrefixRule | undefined {
  const c = get(name);
  const hit = codeMapGet(c.byCode, k.system, k.code);
  if (hit) return hit;
  for (let i = 0; i < c.prefixes.length; i++) {
    const p = c.prefixes[i]!;
    if (p.system === k.system && k.code.startsWith(c.normalisedPrefixes[i]!)) return p;
  }
  return undefined;
}

/** O(1) lookup of one coding in a value set, then its prefix rules. */
export function lookup(
  name: ValueSetName,
  system: string | undefined,
  code: string | undefined,
): Concept | PrefixRule | undefined {
  const k = codeKey(system, code);
  return k ? lookupKey(name, k) : undefined;
}

const NO_CONCEPTS: readonly Concept[] = Object.freeze([]);

/**
 * The explicit concepts of every value set that name this coding (what `lookup` finds by code in
 * each set, without prefix rules), in one read.
 */
export function conceptsFor(system: string | undefined, code: string | undefined): readonly Concept[] {
  if (typeof system !== 'string' || typeof code !== 'string' || !system || !code) return NO_CONCEPTS;
  const sys = canonicalSystem(system);
  return codeMapGet(conceptsByCode, sys, normaliseCode(sys, code)) ?? NO_CONCEPTS;
}

export function isConcept(x: Concept | PrefixRule | undefined): x is Concept {
  return x !== undefined && 'code' in x;
}

/** The verification status of a lookup result (concept or prefix rule). */
export function verificationOf(x: Concept | PrefixRule): Verification {
  return x.verification;
}

/** The concept that stands for a suggested regimen (bone-agents `regimen` extension). */
export function regimenConcept(regimen: string): Concept | undefined {
  return get('bone-agents').concepts.find((c) => c.regimen === regimen);
}
