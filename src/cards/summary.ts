/**
 * Card summaries: the action and its key number, naming the drug as ordered, under 140 characters
 * (CDS Hooks 2.0). Each topic has a full and a short wording; the short one is used when needed.
 */
import type { Recommendation } from '../core/index.js';
import { drugPhrase, num, numBelow, percent1, siteText } from './format.js';

export const SUMMARY_MAX = 139;

function reason(rec: Recommendation, code: Recommendation['reasons'][number]['code']) {
  return rec.reasons.find((r) => r.code === code);
}

function fact(rec: Recommendation, name: Recommendation['facts'][number]['fact']) {
  return rec.facts.find((f) => f.fact === name);
}

function wordings(rec: Recommendation): string[] {
  const drug = drugPhrase(rec.drugs);
  const when = rec.newStart ? `before ${drug}` : `on ${drug}`;
  const months = reason(rec, 'no-dxa-in-interval')?.threshold;
  // With a newer heel/peripheral/VFA-only scan on the card, say which DXA is missing.
  const dxa = fact(rec, 'peripheral-dxa') ? 'axial DXA' : 'DXA';
  switch (rec.topic) {
    case 'baseline-dxa': {
      const last = fact(rec, 'last-dxa')?.provenance?.date;
      // Never "no DXA on record" while one exists in another state (docs/clinical-logic.md#missing-data).
      if (!last && rec.ignored?.length)
        return [
          `No usable ${dxa} on record (${rec.ignored.length} left out): order a baseline DXA before starting ${drug}`,
          `Order a baseline DXA before ${drug}`,
        ];
      return last
        ? [
            `Last ${dxa} ${last}, over ${months} months ago: order a baseline DXA before starting ${drug}`,
            `Order a baseline DXA before ${drug}`,
          ]
        : [`No ${dxa} on record: order a baseline DXA before starting ${drug}`, `Order a baseline DXA before ${drug}`];
    }
    case 'dxa-follow-up': {
      const last = fact(rec, 'last-dxa')?.provenance?.date;
      if (!last && rec.ignored?.length)
        return [
          `No usable ${dxa} on record (${rec.ignored.length} left out) for a patient on ${drug}: order a DXA`,
          `Order a DXA on ${drug}`,
        ];
      return last
        ? [`Last ${dxa} ${last}, over ${months} months ago: repeat DXA on ${drug}`, `Repeat DXA on ${drug}`]
        : [`No ${dxa} on record for a patient on ${drug}: order a DXA`, `Order a DXA on ${drug}`];
    }
    // docs/clinical-logic.md#card-calcium-vitamin-d: a 25-OH vitamin D result is not a supplement; ≤ 120 characters.
    case 'calcium-vitamin-d':
      return [
        `No calcium or vitamin D supplement on record: start calcium and vitamin D3 with ${drug}`,
        `Start calcium and vitamin D3 with ${drug}`,
      ];
    case 'bone-agent': {
      const t = rec.facts.find((f) => f.fact === 'min-t-score')?.measurement;
      const tLow = reason(rec, 't-score-below-threshold');
      const n = rec.riskFactorCount ?? 0;
      const fracture = reason(rec, 'fragility-fracture');
      // docs/clinical-logic.md#card-bone-agent: alongside the AI, never before it or instead of it.
      const when = `alongside ${drug}`;
      if (tLow && t) {
        const site = siteText(t);
        const value = `${t.comparator ? `${t.comparator} ` : ''}${num(t.value)}`;
        return [
          `T-score ${value}${site ? ` at ${site}` : ''}: start a bone agent ${when}`,
          `T-score ${value}: start a bone agent ${when}`,
        ];
      }
      const lead = fracture ? `Fragility fracture, ${n} fracture risk factors` : `${n} fracture risk factors`;
      return [`${lead}: start a bone agent ${when}`, `${n} fracture risk factors: start a bone agent alongside the AI`];
    }
    case 'bmd-decline': {
      const loss = fact(rec, 'bmd-loss')?.bmdLoss;
      if (!loss) return [`BMD falling: review bone protection ${when}`];
      return [
        `BMD down ${percent1(loss.percentPerYear)} %/yr at ${loss.site} since ${loss.earlier.date}: review bone protection ${when}`,
        `BMD down ${percent1(loss.percentPerYear)} %/yr: review bone protection ${when}`,
      ];
    }
    case 'estradiol-low': {
      const e2 = fact(rec, 'estradiol')?.measurement;
      const r = reason(rec, 'estradiol-below-critical') ?? reason(rec, 'estradiol-below-low');
      const shown = e2 && r?.threshold !== undefined ? numBelow(e2.value, r.threshold) : e2 ? num(e2.value) : '';
      const value = e2 ? `${e2.comparator ? `${e2.comparator} ` : ''}${shown} pg/mL` : 'low';
      return [
        `Estradiol ${value} (below ${num(r?.threshold ?? 0)} pg/mL) in a man: review the ${drug} dose to protect bone`,
        `Estradiol ${value}: review the ${drug} dose`,
      ];
    }
    case 'estradiol-check': {
      const e2 = fact(rec, 'estradiol')?.measurement;
      const window = reason(rec, 'no-estradiol-in-window')?.threshold;
      const on = rec.newStart ? `starting ${drug}` : `on ${drug}`;
      return e2
        ? [
            `Last estradiol ${e2.date}, over ${window} months ago: check serum estradiol in this man ${on}`,
            `Check serum estradiol (man ${on})`,
          ]
        : [
            `No estradiol on record: check serum estradiol (sensitive assay) in this man ${on}`,
            `Check serum estradiol (man ${on})`,
          ];
    }
  }
}

export function summaryOf(rec: Recommendation): string {
  // The first non-empty wording that fits; else the last non-empty one, cut.
  let last: string | undefined;
  for (const s of wordings(rec)) {
    if (s.length === 0) continue;
    if (s.length <= SUMMARY_MAX) return s;
    last = s;
  }
  const text = last ?? rec.topic;
  return text.length <= SUMMARY_MAX ? text : `${text.slice(0, SUMMARY_MAX - 1)}…`;
}
