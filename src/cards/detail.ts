/**
 * The Markdown detail of a card: why it fired, the facts used (values, units, sites, dates and
 * the resources they came from), the risk factors counted, cautions, what could not be checked,
 * and the guideline with its link. GitHub Flavored Markdown, no HTML.
 */
import type { Caution, FactRef, IgnoredRecord, Reason, Recommendation, RiskFactor } from '../core/index.js';
import {
  bmdLossText,
  percent1,
  Sources,
  DATA_KEY_LABELS,
  drugPhrase,
  findingText,
  measurementText,
  md,
  medicationText,
  num,
  numBelow,
  provenanceText,
  score1,
  valueText,
} from './format.js';

function reasonText(r: Reason, rec: Recommendation): string {
  const drug = drugPhrase(rec.drugs);
  switch (r.code) {
    case 'no-dxa-in-interval':
      return `No DXA within the last ${num(r.threshold ?? 0)} months.`;
    case 'new-start':
      return `This ${drug} order is a new start: aromatase inhibitors accelerate bone loss, so fracture risk is assessed with a baseline DXA.`;
    case 'established-on-ai':
      return `The patient is already on ${drug}: bone density is reassessed while treatment continues.`;
    case 'not-on-calcium-vitamin-d':
      return `No calcium or vitamin D supplement on record. Everyone on ${drug} should take calcium and vitamin D, and exercise.`;
    case 't-score-below-threshold':
      return `Lowest T-score ${cmp(r)}${numBelow(r.value ?? 0, r.threshold ?? 0)} is below ${score1(r.threshold ?? 0)}.`;
    case 'risk-factors-at-threshold':
      return `${num(r.value ?? 0)} of 7 fracture risk factors are present (bone agent advised from ${num(r.threshold ?? 0)}).`;
    case 't-score-at-or-below-critical':
      return `T-score ${cmp(r)}${num(r.value ?? 0)} is at or below ${score1(r.threshold ?? 0)} (osteoporosis range).`;
    case 'fragility-fracture':
      return 'A fragility fracture is on record.';
    case 'bmd-loss-at-threshold':
      return `BMD is falling ${percent1(r.value ?? 0)} %/yr, at or above ${num(r.threshold ?? 0)} %/yr: look for secondary causes and start or intensify bone protection.`;
    case 'estradiol-below-critical':
      return `Estradiol ${cmp(r)}${numBelow(r.value ?? 0, r.threshold ?? 0)} pg/mL is below ${num(r.threshold ?? 0)} pg/mL (estradiol deficiency).`;
    case 'estradiol-below-low':
      return `Estradiol ${cmp(r)}${numBelow(r.value ?? 0, r.threshold ?? 0)} pg/mL is below ${num(r.threshold ?? 0)} pg/mL.`;
    case 'no-estradiol-in-window':
      return `No estradiol result within the last ${num(r.threshold ?? 0)} months.`;
  }
}

/** A reported comparator stays with its value everywhere (docs/clinical-logic.md#wording). */
function cmp(r: Reason): string {
  return r.comparator ? `${r.comparator} ` : '';
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/**
 * What each guideline itself says, quoted as evidence. These are the guidelines' own numbers, not
 * the site policy: the thresholds this card was decided on are printed by the reasons above.
 */
const TOPIC_ADVICE: Partial<Record<Recommendation['topic'], (rec: Recommendation) => string>> = {
  // docs/clinical-logic.md#card-bone-agent: started alongside the AI, never instead of it.
  'bone-agent': (rec) =>
    `Start the bone agent alongside ${drugPhrase(rec.drugs)}: do not delay or hold ${drugPhrase(rec.drugs)}. Bone-directed therapy is given for the duration of AI therapy when the T-score is below −2.0 or two or more risk factors are present (Hadji 2017); ASCO 2019 offers a bone agent at T-score ≤ −2.5. Zoledronic acid 4 mg every 6 months is the AIBL regimen of Hadji 2017. Stopping denosumab without a follow-on bisphosphonate risks rebound vertebral fractures.`,
  'estradiol-low': (rec) =>
    `In older men, anastrozole lowered estradiol and reduced spine BMD (−1.7 % vs +0.8 % on placebo over one year; Burnett-Bowie 2009). Review the ${drugPhrase(rec.drugs)} dose; immunoassays are unreliable at male estradiol levels, so confirm with a sensitive assay.`,
  'estradiol-check': (rec) =>
    `${capitalise(drugPhrase(rec.drugs))} lowers estradiol, which men need for bone (Burnett-Bowie 2009). Measure it with a sensitive assay (LC-MS/MS preferred).`,
};

function factLine(f: FactRef, src: Sources): string | undefined {
  switch (f.fact) {
    case 'age':
      return f.value !== undefined ? `Age: ${f.value} years` : undefined;
    case 'sex':
      return f.value !== undefined ? `Sex: ${f.value}` : undefined;
    case 'last-dxa':
      return f.provenance ? `Last DXA: ${provenanceText(f.provenance, src)}` : undefined;
    case 'no-dxa':
      return 'No axial DXA on record (DXA results at the spine, hip, femur or radius, completed axial DXA procedures or orders).';
    case 'peripheral-dxa':
      return f.provenance
        ? `Peripheral, VFA-only or unspecified-site DXA (does not replace an axial scan): ${provenanceText(f.provenance, src)}`
        : undefined;
    case 'min-t-score':
      return f.measurement
        ? `Lowest T-score${f.windowMonths !== undefined ? ` within ${f.windowMonths} months` : ''} (all sites and sides): ${measurementText(f.measurement, undefined, src)}`
        : undefined;
    case 't-score':
      return f.measurement ? `T-score: ${measurementText(f.measurement, undefined, src)}` : undefined;
    case 'bmd-loss':
      return f.bmdLoss ? `Largest annualised BMD loss: ${bmdLossText(f.bmdLoss, src)}` : undefined;
    case 'estradiol':
      return f.measurement ? `Latest estradiol: ${measurementText(f.measurement, undefined, src)}` : undefined;
    case 'no-estradiol':
      return 'No estradiol result on record.';
    case 'on-ai':
      return f.medication ? `Active aromatase inhibitor: ${medicationText(f.medication, src)}` : undefined;
    case 'on-calcium-vitamin-d':
      return f.medication ? `Calcium/vitamin D: ${medicationText(f.medication, src)}` : undefined;
    case 'on-testosterone':
      return f.medication ? `Testosterone: ${medicationText(f.medication, src)}` : undefined;
    case 'corrected-calcium': {
      const m = f.measurement as
        (FactRef['measurement'] & { corrected?: boolean; albumin?: FactRef['measurement'] }) | undefined;
      if (!m) return undefined;
      const albumin = m.albumin ? `; albumin ${valueText(m.albumin)} on ${m.albumin.date}` : '';
      return `Calcium${m.corrected ? ' (albumin-corrected)' : ' (not albumin-corrected)'}: ${measurementText(m, undefined, src)}${albumin}`;
    }
    case 'vitamin-d':
      return f.measurement ? `25-OH vitamin D: ${measurementText(f.measurement, undefined, src)}` : undefined;
    case 'egfr':
      return f.measurement
        ? `eGFR: ${measurementText(f.measurement, undefined, src)}${olderText(f.measurement)}`
        : undefined;
    case 'ckd-4-5':
      return f.finding ? `Chronic kidney disease stage 4–5 / dialysis: ${findingText(f.finding, src)}` : undefined;
    case 'onj':
      return f.finding ? `Osteonecrosis of the jaw: ${findingText(f.finding, src)}` : undefined;
    case 'hypocalcaemia':
      return f.finding ? `Hypocalcaemia: ${findingText(f.finding, src)}` : undefined;
    case 'vitamin-d-deficiency':
      return f.finding ? `Vitamin D deficiency: ${findingText(f.finding, src)}` : undefined;
    case 'fragility-fracture':
      return f.finding ? `Fragility fracture: ${findingText(f.finding, src)}` : undefined;
    case 'osteoporosis':
      return f.finding ? `Osteoporosis on the problem list: ${findingText(f.finding, src)}` : undefined;
    case 'osteopenia':
      return f.finding ? `Osteopenia on the problem list: ${findingText(f.finding, src)}` : undefined;
  }
}

/** " (older than 12 months)" for a result outside the lookback its rule normally uses. */
function olderText(m: { olderThanMonths?: number }): string {
  return m.olderThanMonths !== undefined ? ` (older than ${num(m.olderThanMonths)} months)` : '';
}

function riskFactorName(f: RiskFactor): string {
  const t = f.threshold;
  switch (f.id) {
    case 'low-t-score':
      return `T-score below ${score1(t ?? 0)}`;
    case 'age':
      return `age over ${num(t ?? 0)}`;
    case 'low-bmi':
      return `BMI below ${num(t ?? 0)} kg/m²`;
    case 'family-hip-fracture':
      return 'family history of hip fracture';
    case 'fragility-fracture':
      return `fragility fracture at age ${num(t ?? 0)} or later`;
    case 'glucocorticoids':
      return `oral glucocorticoid for more than ${num(t ?? 0)} months`;
    case 'smoking':
      return 'smoking, current or former';
  }
}

const NO_DATA: Record<RiskFactor['id'], string> = {
  'low-t-score': 'no T-score within the DXA interval',
  age: 'no birth date',
  'low-bmi': 'no BMI, or weight and height, within the lookback window',
  'family-hip-fracture': 'no data',
  'fragility-fracture': 'no data',
  glucocorticoids: 'no data',
  smoking: 'no smoking status recorded',
};

function riskFactorEvidence(f: RiskFactor, src: Sources): string | undefined {
  if (f.id === 'age' && f.value !== undefined) return `${f.value} years`;
  if (f.measurement) {
    const c = (f.measurement as { computedFrom?: { weight: { value: number }; height: { value: number } } })
      .computedFrom;
    const base = measurementText(f.measurement, undefined, src);
    return c ? `${base}, computed from weight ${num(c.weight.value)} kg and height ${num(c.height.value)} cm` : base;
  }
  if (f.smoking) return `${md(f.smoking.answer)}, ${provenanceText(f.smoking.source, src)}`;
  if (f.medication) return medicationText(f.medication, src);
  if (f.finding) return findingText(f.finding, src);
  return undefined;
}

/** Appends the risk factor section (heading, one line per factor, blank line) to `out`. */
function pushRiskFactorSection(rec: Recommendation, out: string[], src: Sources): void {
  const list = rec.riskFactors;
  if (!list) return;
  out.push(`**Fracture risk factors (Hadji 2017): ${rec.riskFactorCount ?? 0} of 7 present**`, '');
  for (const f of list) {
    const evidence = riskFactorEvidence(f, src);
    const state = f.present ? 'Present' : f.assessed ? 'Absent' : 'Not assessable';
    let why = '';
    if (!f.present && !f.assessed) {
      // An answer in no list is "not readable", never "absent" (docs/clinical-logic.md#risk-factors).
      why = f.smoking
        ? f.smoking.status === 'unknown'
          ? ' (the record says smoking status unknown)'
          : ' (answer not recognised: not counted either way)'
        : f.missing?.length
          ? ` (${f.missing.map((k) => DATA_KEY_LABELS[k]).join(', ')} not retrieved)`
          : ` (${NO_DATA[f.id]})`;
    }
    out.push(`- ${state}: ${riskFactorName(f)}${evidence ? ` — ${evidence}` : ''}${why}`);
  }
  out.push('');
}

function cautionLine(c: Caution, src: Sources): string {
  const t = num(c.threshold ?? 0);
  switch (c.code) {
    case 'low-calcium':
      return c.measurement
        ? `Correct low calcium first: ${measurementText(c.measurement, c.threshold, src)} is below ${t} mg/dL.`
        : `Correct low calcium first: hypocalcaemia is recorded ${c.finding ? findingText(c.finding, src) : ''}.`;
    case 'calcium-unknown':
      return `No recent calcium result: check calcium before starting (correct it if below ${t} mg/dL).`;
    case 'low-vitamin-d':
      return c.measurement
        ? `Replete vitamin D first: ${measurementText(c.measurement, c.threshold, src)} is below ${t} ng/mL.`
        : `Replete vitamin D first: vitamin D deficiency is recorded ${c.finding ? findingText(c.finding, src) : ''}.`;
    case 'vitamin-d-unknown':
      return `No recent 25-OH vitamin D result: check it before starting (replete if below ${t} ng/mL).`;
    case 'renal-omission': {
      const why = c.measurement
        ? `eGFR ${measurementText(c.measurement, c.threshold, src)}${olderText(c.measurement)} is below ${t} mL/min/1.73 m²`
        : `chronic kidney disease stage 4–5 or dialysis is recorded ${c.finding ? findingText(c.finding, src) : ''}`;
      return `Zoledronic acid and alendronate are not offered: ${why}. Monitor calcium closely if denosumab is used in severe kidney disease.`;
    }
    case 'egfr-unknown':
      return `No eGFR on record: check renal function before zoledronic acid or alendronate (not offered when eGFR is below ${t} mL/min/1.73 m²).`;
    case 'egfr-old':
      return c.measurement
        ? `Latest eGFR ${measurementText(c.measurement, undefined, src)} is older than ${num(c.measurement.olderThanMonths ?? 0)} months: recheck renal function before zoledronic acid or alendronate (not offered when eGFR is below ${t} mL/min/1.73 m²).`
        : `Latest eGFR is old: recheck renal function before zoledronic acid or alendronate (not offered when eGFR is below ${t} mL/min/1.73 m²).`;
    case 'prior-onj':
      return `Prior osteonecrosis of the jaw ${c.finding ? findingText(c.finding, src) : ''}: dental assessment before any bone agent.`;
    case 'dental-check':
      return 'Check dental health before starting (risk of osteonecrosis of the jaw).';
  }
}

/**
 * A caution line without a blank before a full stop or a run of blanks (left where a finding was
 * not there to print). Almost every line has neither: one test, which allocates nothing, spares
 * both replaces.
 */
function tidy(line: string): string {
  return UNTIDY.test(line) ? line.replace(/\s+\./g, '.').replace(/\s{2,}/g, ' ') : line;
}

/** Matches wherever `\s+\.` or `\s{2,}` would. */
const UNTIDY = /\s\.|\s\s/;

const IGNORED_NAMES: Record<IgnoredRecord['kind'], [string, string]> = {
  dxa: ['DXA result', 'DXA results'],
  't-score': ['T-score', 'T-scores'],
  bmd: ['BMD result', 'BMD results'],
  estradiol: ['estradiol result', 'estradiol results'],
  egfr: ['eGFR result', 'eGFR results'],
  calcium: ['calcium result', 'calcium results'],
  'vitamin-d': ['25-OH vitamin D result', '25-OH vitamin D results'],
  smoking: ['smoking status', 'smoking statuses'],
  'bone-agent': ['bone-agent order or statement', 'bone-agent orders or statements'],
  'calcium-vitamin-d': ['calcium or vitamin D order or statement', 'calcium or vitamin D orders or statements'],
};

const IGNORED_WHY: Record<IgnoredRecord['reason'], string> = {
  status: 'status',
  unreadable: 'value not readable',
  unit: 'unit not understood',
};

/**
 * "1 DXA result ignored: status preliminary (2025-01-15)" — one line per kind (docs/clinical-logic.md#missing-data).
 */
function ignoredLines(list: readonly IgnoredRecord[], src: Sources): string[] {
  const byKind = new Map<IgnoredRecord['kind'], IgnoredRecord[]>();
  for (const i of list) {
    const l = byKind.get(i.kind);
    if (l) l.push(i);
    else byKind.set(i.kind, [i]);
  }
  const out: string[] = [];
  for (const [kind, items] of byKind) {
    const [one, many] = IGNORED_NAMES[kind];
    const what = items.map((i) => `${IGNORED_WHY[i.reason]} ${md(i.detail)}${i.date ? ` (${i.date})` : ''}`).join('; ');
    for (const i of items) src.add(i.reference, i.code);
    out.push(`${items.length} ${items.length === 1 ? one : many} ignored: ${what}.`);
  }
  return out;
}

export function detailOf(rec: Recommendation): string {
  const src = new Sources();
  // One array of lines, joined once: the sections push into it rather than build their own.
  const out: string[] = ['**Why**', ''];
  for (const r of rec.reasons) out.push(`- ${reasonText(r, rec)}`);
  const advice = TOPIC_ADVICE[rec.topic]?.(rec);
  if (advice) out.push(`- ${advice}`);
  out.push('');

  let facts = 0;
  for (const f of rec.facts) {
    const line = factLine(f, src);
    if (line === undefined) continue;
    if (facts++ === 0) out.push('**Facts used**', '');
    out.push(`- ${line}`);
  }
  if (facts) out.push('');

  pushRiskFactorSection(rec, out, src);

  if (rec.cautions?.length) {
    out.push('**Before starting a bone agent**', '');
    for (const c of rec.cautions) out.push(`- ${tidy(cautionLine(c, src))}`);
    out.push('');
  }

  if (rec.ignored?.length) {
    out.push('**Left out** (on record, but not usable)', '');
    for (const line of ignoredLines(rec.ignored, src)) out.push(`- ${line}`);
    out.push('');
  }

  if (rec.notChecked.length) {
    out.push(
      `**Not checked** (could not be retrieved): ${rec.notChecked.map((k) => DATA_KEY_LABELS[k]).join(', ')}. This advice may miss facts held there.`,
      '',
    );
  }

  const guidelines = rec.guidelines;
  const primary = guidelines[0];
  if (primary) {
    out.push(`**Guideline:** [${primary.label}](${primary.url}). ${primary.citation}.`);
    for (let i = 1; i < guidelines.length; i++) {
      const g = guidelines[i]!;
      out.push(`See also [${g.label}](${g.url}).`);
    }
  }
  const sources = src.list();
  if (sources.length) {
    out.push('', '**Sources**', '');
    for (const line of sources) out.push(`- ${line}`);
  }
  return out.join('\n').trim();
}
