/** Text formatting shared by card summaries and details: numbers, units, sources, Markdown. */
import type { BmdLoss, ConditionFinding, DataKey, Measurement, MedicationUse, Provenance } from '../core/index.js';
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

/**
 * The records a card cites, listed once each at the end of its detail ("Sources"), so that the
 * lines above read in plain words: codes, resource ids and LOINC long names live here
 * (docs/clinical-logic.md#sources).
 */
export class Sources {
  private readonly lines = new Map<string, string>();

  add(reference: string, coding: SimpleCoding | undefined): void {
    const key = `${reference}|${coding?.system ?? ''}|${coding?.code ?? ''}`;
    if (!this.lines.has(key)) this.lines.set(key, `${md(reference)}${coding ? `: ${codeMarkdown(coding)}` : ''}`);
  }

  list(): string[] {
    return [...this.lines.values()];
  }
}

/**
 * "(Observation/123; LOINC 38264-8 DXA Hip [T-score] Bone density)", or nothing when the card
 * lists its sources apart.
 */
export function sourceText(p: { reference: string; code?: SimpleCoding }, sources?: Sources): string {
  if (sources) {
    sources.add(p.reference, p.code);
    return '';
  }
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

/** " (Observation/…)" inline, or nothing when the card lists its sources apart. */
function inlineSource(p: { reference: string; code?: SimpleCoding }, sources: Sources | undefined): string {
  const s = sourceText(p, sources);
  return s ? ` ${s}` : '';
}

/** "−2.6 at total hip (left), 2024-03-02 (Observation/…)" with the reported value when converted. */
export function measurementText(m: Measurement, below?: number, sources?: Sources): string {
  let text = valueText(m, below);
  const site = siteText(m);
  if (site) text += ` at ${site}`;
  if (m.reported) text += ` (reported as ${num(m.reported.value)} ${md(m.reported.unit)})`;
  return `${text}, ${m.date}${inlineSource(m.source, sources)}`;
}

export function provenanceText(p: Provenance & { date?: string }, sources?: Sources): string {
  return `${p.date ?? 'undated'}${inlineSource(p, sources)}`;
}

const MEDICATION_VERB: Record<MedicationUse['resourceType'], string> = {
  MedicationRequest: 'ordered',
  MedicationStatement: 'recorded',
  MedicationAdministration: 'given',
};

export function medicationText(u: MedicationUse, sources?: Sources): string {
  const what = u.label ? md(u.label) : (u.ingredient ?? 'medication');
  const since = u.date ? `, ${MEDICATION_VERB[u.resourceType]} ${u.date}` : '';
  const how = u.matchedBy === 'text' ? '; recognised by name' : '';
  return `${what} (${u.status}${since})${inlineSource({ reference: u.reference, ...(u.coding && { code: u.coding }) }, sources)}${how}`;
}

export function findingText(f: ConditionFinding, sources?: Sources): string {
  const onset = f.onset
    ? `, onset ${f.onset}${f.onsetAge !== undefined ? ` (age ${f.onsetAge})` : ''}`
    : f.onsetAge !== undefined
      ? `, onset at age ${f.onsetAge}`
      : '';
  const how = f.matchedBy === 'text' ? '; recognised by name' : '';
  return `${md(f.label)}${onset}${inlineSource({ reference: f.reference, ...(f.code && { code: f.code }) }, sources)}${how}`;
}

/** A loss to one decimal (docs/clinical-logic.md#wording). */
export function percent1(v: number): string {
  const s = v.toFixed(1);
  return s.startsWith('-') ? MINUS + s.slice(1) : s;
}

/** A BMD as reported, with the conversion when one was made ("930 mg/cm² = 0.930 g/cm²"). */
export function bmdText(m: Measurement): string {
  if (!m.reported) return valueText(m);
  const cmp = m.comparator ? `${m.comparator} ` : '';
  return `${cmp}${num(m.reported.value)} ${md(m.reported.unit)} = ${m.value.toFixed(3)} ${m.unit ?? 'g/cm²'}`;
}

export function bmdLossText(l: BmdLoss, sources?: Sources): string {
  // siteText without building its argument object.
  const site = l.site && l.laterality ? `${l.site} (${l.laterality})` : l.site;
  return (
    `${percent1(l.percentPerYear)} %/yr at ${site}: ${bmdText(l.earlier)} on ${l.earlier.date}${inlineSource(l.earlier.source, sources)} → ` +
    `${bmdText(l.latest)} on ${l.latest.date}${inlineSource(l.latest.source, sources)}, ${num(l.years)} years apart`
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
  boneAgentOrders: 'bone-agent orders of any status',
  medicationAdministrations: 'bone-agent doses given',
};

export function drugPhrase(drugs: string[]): string {
  return drugs.length ? drugs.join(' and ') : 'the aromatase inhibitor';
}
