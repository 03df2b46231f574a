/** Text formatting shared by card summaries and details: numbers, units, sources, Markdown. */
import type {
  BmdLoss,
  ConditionFinding,
  DataKey,
  Measurement,
  MedicationUse,
  Provenance,
} from '../core/index.js';
import { concepts, SYSTEMS, VALUE_SET_NAMES, type SimpleCoding } from '../core/valuesets/index.js';

const MINUS = '\u2212';

/** A number as a clinician reads it: at most two decimals, a true minus sign. */
export function num(v: number): string {
  let s = String(v);
  if (!Number.isInteger(v)) {
    // A value with at most two decimals (most measurements) prints as itself: toFixed(2) names
    // the same number, so its round trip through a string is skipped. Exponent forms ("1e-7",
    // "1.5e-7") have no "." or more than two characters after it, and take the round trip.
    const dot = s.indexOf('.');
    if (dot === -1 || s.length - dot - 1 > 2) s = String(Number(v.toFixed(2)));
  }
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** A T-score threshold as guidelines write it: one decimal ("−2.0", not "−2"). */
export function score1(v: number): string {
  const s = v.toFixed(1);
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/**
 * A value stated as below a threshold: as `num`, with more decimals (up to four) when two would
 * print it at or above the threshold (19.997 pg/mL must not read "20 pg/mL, below 20").
 */
export function numBelow(v: number, threshold: number): string {
  for (let digits = 2; digits <= 4; digits += 1) {
    const rounded = Number(v.toFixed(digits));
    if (rounded < threshold || digits === 4) {
      const s = String(rounded);
      return s.startsWith('-') ? MINUS + s.slice(1) : s;
    }
  }
  return num(v);
}

const MD_SPECIAL = /[\\`*_[\]<>#|]/;
const MD_SPECIALS = /[\\`*_[\]<>#|]/g;

/** Escapes Markdown control characters in text that came from the record. */
export function md(text: string): string {
  // Most texts hold none: a test allocates nothing. `$&` is the character matched; a pattern,
  // unlike a callback, does not call back into JavaScript once per match.
  return MD_SPECIAL.test(text) ? text.replace(MD_SPECIALS, '\\$&') : text;
}

const SYSTEM_NAMES: Record<string, string> = {
  [SYSTEMS.loinc]: 'LOINC',
  [SYSTEMS.snomed]: 'SNOMED CT',
  [SYSTEMS.rxnorm]: 'RxNorm',
  [SYSTEMS.icd10cm]: 'ICD-10-CM',
  [SYSTEMS.cpt]: 'CPT',
  [SYSTEMS.atc]: 'ATC',
};

export function codeText(c: SimpleCoding | undefined): string | undefined {
  if (!c) return undefined;
  return `${SYSTEM_NAMES[c.system] ?? c.system} ${c.code} ${c.display}`;
}

/** "(Observation/123; LOINC 38264-8 DXA Hip [T-score] Bone density)". */
export function sourceText(p: { reference: string; code?: SimpleCoding }): string {
  return referenceText(p.reference, p.code);
}

/** `sourceText` from its parts, for callers that would otherwise build an object to call it. */
function referenceText(reference: string, coding: SimpleCoding | undefined): string {
  // codeText gives a non-empty text for every coding.
  return `(${md(reference)}${coding ? `; ${codeMarkdown(coding)}` : ''})`;
}

/**
 * `md(codeText(c))` of every value-set concept, worked out once at load: the codes a card cites
 * are the value sets' own, and escaping them (LOINC displays hold brackets) was a good part of the
 * cost of a detail. By system, then code, then display (a code may have other displays in other
 * sets); the text is a function of those three alone, so a hit is exactly what formatting gives.
 */
const CODE_MARKDOWN = new Map<string, Map<string, Map<string, string>>>();
for (const name of VALUE_SET_NAMES) {
  for (const c of concepts(name)) {
    let bySystem = CODE_MARKDOWN.get(c.system);
    if (!bySystem) CODE_MARKDOWN.set(c.system, (bySystem = new Map()));
    let byCode = bySystem.get(c.code);
    if (!byCode) bySystem.set(c.code, (byCode = new Map()));
    byCode.set(c.display, md(codeText(c)!));
  }
}

function codeMarkdown(c: SimpleCoding): string {
  return CODE_MARKDOWN.get(c.system)?.get(c.code)?.get(c.display) ?? md(codeText(c)!);
}

/** With `below`, the value is printed so that it does not read as the threshold it is below. */
export function valueText(m: Pick<Measurement, 'value' | 'unit' | 'comparator'>, below?: number): string {
  const cmp = m.comparator ? `${m.comparator} ` : '';
  const v = below === undefined ? num(m.value) : numBelow(m.value, below);
  return `${cmp}${v}${m.unit ? ` ${m.unit}` : ''}`;
}

export function siteText(m: Pick<Measurement, 'site' | 'laterality'>): string | undefined {
  if (!m.site) return undefined;
  return m.laterality ? `${m.site} (${m.laterality})` : m.site;
}

/** "−2.6 at total hip (left), 2024-03-02 (Observation/…)" with the reported value when converted. */
export function measurementText(m: Measurement, below?: number): string {
  let text = valueText(m, below);
  const site = siteText(m);
  if (site) text += ` at ${site}`;
  if (m.reported) text += ` (reported as ${num(m.reported.value)} ${md(m.reported.unit)})`;
  return `${text}, ${m.date} ${sourceText(m.source)}`;
}

export function provenanceText(p: Provenance & { date?: string }): string {
  return `${p.date ?? 'undated'} ${sourceText(p)}`;
}

export function medicationText(u: MedicationUse): string {
  const what = u.label ? md(u.label) : (u.ingredient ?? 'medication');
  const since = u.date ? `, ${u.resourceType === 'MedicationRequest' ? 'ordered' : 'recorded'} ${u.date}` : '';
  const how = u.matchedBy === 'text' ? '; recognised by name' : '';
  return `${what} (${u.status}${since}) ${referenceText(u.reference, u.coding || undefined)}${how}`;
}

export function findingText(f: ConditionFinding): string {
  const onset = f.onset ? `, onset ${f.onset}${f.onsetAge !== undefined ? ` (age ${f.onsetAge})` : ''}` : f.onsetAge !== undefined ? `, onset at age ${f.onsetAge}` : '';
  const how = f.matchedBy === 'text' ? '; recognised by name' : '';
  return `${md(f.label)}${onset} ${referenceText(f.reference, f.code || undefined)}${how}`;
}

export function bmdLossText(l: BmdLoss): string {
  // siteText without building its argument object.
  const site = l.site && l.laterality ? `${l.site} (${l.laterality})` : l.site;
  return (
    `${num(l.percentPerYear)} %/yr at ${site}: ${valueText(l.earlier)} on ${l.earlier.date} ${sourceText(l.earlier.source)} → ` +
    `${valueText(l.latest)} on ${l.latest.date} ${sourceText(l.latest.source)}, ${num(l.years)} years apart`
  );
}

export const DATA_KEY_LABELS: Record<DataKey, string> = {
  patient: 'patient demographics',
  dxa: 'DXA results',
  labs: 'lab results and vital signs',
  conditions: 'conditions',
  medicationRequests: 'medication orders',
  medicationStatements: 'medication statements',
  procedures: 'procedures',
  dxaOrders: 'completed DXA orders',
  familyHistory: 'family history',
};

export function drugPhrase(drugs: string[]): string {
  return drugs.length ? drugs.join(' and ') : 'the aromatase inhibitor';
}
