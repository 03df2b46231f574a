/**
 * recommendations → docs/clinical-logic.md: facts → recommendations → recommendations. Each rule reads like its row
 * in the table; the numbers
 * come from the policy (named there once, with their source). Comparisons are exactly as written:
 * "<" is strict, "≥"/"≤" inclusive, "within N months" includes the day N months ago.
 */
import { ge, le, lt } from './compare.js';
import { dayOf, isoDay, monthsBefore } from './dates.js';
import { GUIDELINES } from './guidelines.js';
import { OVERRIDE_REASONS } from './override-reasons.js';
import type { Policy } from './policy.js';
import { boneAgentOrder, calciumVitaminDOrder, dxaOrder, estradiolOrder } from './suggestions.js';
import {
  TOPICS,
  type BoneAgent,
  type Caution,
  type FactRef,
  type Facts,
  type GuidelineRef,
  type IgnoredKind,
  type Indicator,
  type Measurement,
  type Reason,
  type Recommendation,
  type Topic,
} from './types.js';

type Draft = Pick<Recommendation, 'indicator' | 'reasons' | 'facts' | 'suggestions'> &
  Partial<
    Pick<Recommendation, 'selectionBehavior' | 'riskFactors' | 'riskFactorCount' | 'cautions' | 'omittedAgents'>
  > & {
    guidelines: GuidelineRef[];
  };

const IGNORED_KINDS: Record<Topic, readonly IgnoredKind[]> = {
  'baseline-dxa': ['dxa'],
  'dxa-follow-up': ['dxa'],
  'bone-agent': ['t-score', 'egfr', 'calcium', 'vitamin-d', 'smoking', 'bone-agent'],
  'bmd-decline': ['bmd'],
  'estradiol-low': ['estradiol'],
  'estradiol-check': ['estradiol'],
  'calcium-vitamin-d': ['calcium-vitamin-d'],
};

const BONE_AGENT_ONLY_KEYS: ReadonlySet<string> = new Set(['boneAgentOrders', 'medicationAdministrations']);

function recommend(topic: Topic, facts: Facts, d: Draft): Recommendation {
  const rec: Recommendation = {
    topic,
    indicator: d.indicator,
    drugs: facts.drugs,
    newStart: facts.newStart,
    reasons: d.reasons,
    facts: d.facts,
    suggestions: d.suggestions,
    overrideReasons: OVERRIDE_REASONS[topic],
    guidelines: d.guidelines,
    // The bone-agent dose keys only inform the bone-agent card.
    notChecked:
      topic === 'bone-agent' ? facts.notChecked : facts.notChecked.filter((k) => !BONE_AGENT_ONLY_KEYS.has(k)),
  };
  if (d.suggestions.length) rec.selectionBehavior = d.selectionBehavior ?? 'any';
  // What this card would have used but left out is named on it (docs/clinical-logic.md#missing-data).
  const kinds = IGNORED_KINDS[topic];
  const ignored = facts.ignored?.filter((i) => kinds.includes(i.kind));
  if (ignored?.length) rec.ignored = ignored;
  for (const k of ['riskFactors', 'riskFactorCount', 'cautions', 'omittedAgents'] as const) {
    const v = d[k];
    if (v !== undefined && (!Array.isArray(v) || v.length > 0)) (rec as unknown as Record<string, unknown>)[k] = v;
  }
  return rec;
}

/** "Below" a threshold, honouring a reported comparator ("<5 pg/mL" is below 10); unrounded values. */
function below(m: Measurement, threshold: number): boolean {
  switch (m.comparator) {
    case '<':
      return le(m.value, threshold);
    case '>':
    case '>=':
      return false;
    default:
      return lt(m.value, threshold);
  }
}

function onAiFact(facts: Facts): FactRef[] {
  return facts.establishedOn ? [{ fact: 'on-ai', medication: facts.establishedOn }] : [];
}

// docs/clinical-logic.md#card-baseline-dxa baseline-dxa (new start) and dxa-follow-up
// (established): no DXA within dxaIntervalMonths.
function dxaRule(facts: Facts, policy: Policy): Recommendation | undefined {
  if (facts.dxaWithinInterval) return undefined;
  const refs: FactRef[] = facts.lastDxa
    ? [{ fact: 'last-dxa', provenance: facts.lastDxa }]
    : [{ fact: 'no-dxa', windowMonths: policy.dxaIntervalMonths }];
  // A heel, peripheral or VFA-only scan newer than the last axial one is listed, not counted.
  const other = facts.lastPeripheralDxa;
  if (other && (!facts.lastDxa || other.date > facts.lastDxa.date))
    refs.push({ fact: 'peripheral-dxa', provenance: other });
  const reasons: Reason[] = [
    { code: 'no-dxa-in-interval', threshold: policy.dxaIntervalMonths, unit: 'months' },
    { code: facts.newStart ? 'new-start' : 'established-on-ai' },
  ];
  return recommend(facts.newStart ? 'baseline-dxa' : 'dxa-follow-up', facts, {
    indicator: facts.newStart ? 'warning' : 'info',
    reasons,
    facts: [...refs, ...onAiFact(facts)],
    suggestions: [dxaOrder(facts.drugs, !facts.newStart)],
    guidelines: [GUIDELINES.hadji, GUIDELINES.asco],
  });
}

// docs/clinical-logic.md#card-calcium-vitamin-d calcium-vitamin-d: not onCalciumOrVitaminD.
function calciumVitaminDRule(facts: Facts, policy: Policy): Recommendation | undefined {
  if (facts.onCalciumOrVitaminD) return undefined;
  return recommend('calcium-vitamin-d', facts, {
    indicator: 'info',
    reasons: [{ code: 'not-on-calcium-vitamin-d' }],
    facts: onAiFact(facts),
    suggestions: [calciumVitaminDOrder(facts.drugs, policy)],
    guidelines: [GUIDELINES.asco, GUIDELINES.hadji],
  });
}

/** The bone-agent card's safety notes (docs/clinical-logic.md#card-bone-agent: renal, calcium, vitamin D, ONJ). */
function boneAgentCautions(facts: Facts, policy: Policy, renalOmission: boolean): Caution[] {
  const s = facts.safety;
  const p = policy.safety;
  const out: Caution[] = [];
  if (s.calcium && below(s.calcium, p.calciumBelowMgDl)) {
    out.push({ code: 'low-calcium', threshold: p.calciumBelowMgDl, measurement: s.calcium });
  } else if (s.hypocalcaemia) {
    out.push({ code: 'low-calcium', threshold: p.calciumBelowMgDl, finding: s.hypocalcaemia });
  } else if (!s.calcium) {
    out.push({ code: 'calcium-unknown', threshold: p.calciumBelowMgDl });
  }
  if (s.vitaminD && below(s.vitaminD, p.vitaminDBelowNgMl)) {
    out.push({ code: 'low-vitamin-d', threshold: p.vitaminDBelowNgMl, measurement: s.vitaminD });
  } else if (s.vitaminDDeficiency) {
    out.push({ code: 'low-vitamin-d', threshold: p.vitaminDBelowNgMl, finding: s.vitaminDDeficiency });
  } else if (!s.vitaminD) {
    out.push({ code: 'vitamin-d-unknown', threshold: p.vitaminDBelowNgMl });
  }
  if (renalOmission) {
    const c: Caution = { code: 'renal-omission', threshold: p.egfrBelow };
    if (s.egfr) c.measurement = s.egfr;
    if (s.ckd45) c.finding = s.ckd45;
    out.push(c);
  } else if (!s.egfr) {
    out.push({ code: 'egfr-unknown', threshold: p.egfrBelow });
  } else if (s.egfr.olderThanMonths !== undefined) {
    out.push({ code: 'egfr-old', threshold: p.egfrBelow, measurement: s.egfr });
  }
  out.push(s.onj ? { code: 'prior-onj', finding: s.onj } : { code: 'dental-check' });
  return out;
}

// docs/clinical-logic.md#card-bone-agent bone-agent: not onBoneAgent, and (minT < −2.0 or ≥ 2 risk factors).
function boneAgentRule(facts: Facts, policy: Policy): Recommendation | undefined {
  if (facts.onBoneAgent) return undefined;
  const ba = policy.boneAgent;
  const tLow = facts.minT !== undefined && lt(facts.minT.value, ba.tScoreBelow);
  const enoughRisk = facts.riskFactorCount >= ba.minRiskFactors;
  if (!tLow && !enoughRisk) return undefined;

  const reasons: Reason[] = [];
  const tCmp = facts.minT?.comparator ? { comparator: facts.minT.comparator } : {};
  if (tLow)
    reasons.push({ code: 't-score-below-threshold', threshold: ba.tScoreBelow, value: facts.minT!.value, ...tCmp });
  if (enoughRisk)
    reasons.push({ code: 'risk-factors-at-threshold', threshold: ba.minRiskFactors, value: facts.riskFactorCount });
  // critical when minT ≤ −2.5 or a fragility fracture is present
  const tCritical = facts.minT !== undefined && le(facts.minT.value, ba.criticalTScoreAtOrBelow);
  if (tCritical)
    reasons.push({
      code: 't-score-at-or-below-critical',
      threshold: ba.criticalTScoreAtOrBelow,
      value: facts.minT!.value,
      ...tCmp,
    });
  if (facts.fragilityFracture) reasons.push({ code: 'fragility-fracture' });
  const indicator: Indicator = tCritical || facts.fragilityFracture ? 'critical' : 'warning';

  // Omit zoledronic acid and alendronate when eGFR < 35 or CKD 4–5.
  const egfrLow = facts.safety.egfr !== undefined && below(facts.safety.egfr, policy.safety.egfrBelow);
  const omitted: NonNullable<Recommendation['omittedAgents']> = [];
  if (egfrLow || facts.safety.ckd45) {
    for (const agent of ['zoledronic-acid', 'alendronate'] as const) {
      omitted.push(
        egfrLow ? { agent, because: 'egfr-below', threshold: policy.safety.egfrBelow } : { agent, because: 'ckd-4-5' },
      );
    }
  }
  const options = (['denosumab', 'zoledronic-acid', 'alendronate'] as BoneAgent[]).filter(
    (a) => !omitted.some((o) => o.agent === a),
  );
  const suggestions = options.map((a) => boneAgentOrder(a, facts.drugs, policy, options.length === 1));

  const refs: FactRef[] = [];
  if (facts.minT) refs.push({ fact: 'min-t-score', measurement: facts.minT, windowMonths: policy.dxaIntervalMonths });
  if (facts.fragilityFracture) refs.push({ fact: 'fragility-fracture', finding: facts.fragilityFracture });
  if (facts.osteoporosis) refs.push({ fact: 'osteoporosis', finding: facts.osteoporosis });
  const s = facts.safety;
  if (s.calcium) refs.push({ fact: 'corrected-calcium', measurement: s.calcium });
  if (s.vitaminD) refs.push({ fact: 'vitamin-d', measurement: s.vitaminD });
  if (s.egfr) refs.push({ fact: 'egfr', measurement: s.egfr });
  if (s.ckd45) refs.push({ fact: 'ckd-4-5', finding: s.ckd45 });
  if (s.onj) refs.push({ fact: 'onj', finding: s.onj });

  return recommend('bone-agent', facts, {
    indicator,
    reasons,
    facts: refs,
    riskFactors: facts.riskFactors,
    riskFactorCount: facts.riskFactorCount,
    cautions: boneAgentCautions(facts, policy, omitted.length > 0),
    omittedAgents: omitted,
    suggestions,
    selectionBehavior: 'at-most-one',
    guidelines: [GUIDELINES.hadji, GUIDELINES.asco],
  });
}

// docs/clinical-logic.md#card-bmd-decline bmd-decline: bmdLossPerYear ≥ 5 % per year.
function bmdDeclineRule(facts: Facts, policy: Policy): Recommendation | undefined {
  const loss = facts.bmdLoss;
  if (!loss || !ge(loss.percentPerYear, policy.bmdDecline.percentPerYear)) return undefined;
  return recommend('bmd-decline', facts, {
    indicator: 'warning',
    reasons: [
      {
        code: 'bmd-loss-at-threshold',
        threshold: policy.bmdDecline.percentPerYear,
        value: loss.percentPerYear,
        unit: '%/yr',
      },
    ],
    facts: [
      { fact: 'bmd-loss', bmdLoss: loss },
      ...(facts.minT
        ? [{ fact: 'min-t-score', measurement: facts.minT, windowMonths: policy.dxaIntervalMonths } as FactRef]
        : []),
      ...onAiFact(facts),
    ],
    suggestions: [],
    guidelines: [GUIDELINES.hadji],
  });
}

// docs/clinical-logic.md#card-estradiol estradiol-low (male, latest estradiol within 12 months below 20 pg/mL;
// critical below 10)
// and estradiol-check (male, no estradiol within 6 months, and no estradiol-low).
// v2: not for a man treated for breast cancer — "review the AI dose" would undercut his cancer
// treatment (docs/clinical-logic.md#estradiol).
function estradiolRules(facts: Facts, policy: Policy): Recommendation | undefined {
  if (facts.sex !== 'male' || facts.breastCancer) return undefined;
  const p = policy.estradiol;
  const today = dayOf(facts.today)!;
  const e2 = facts.estradiol;
  const context: FactRef[] = [{ fact: 'sex', value: 'male' }];
  if (facts.onTestosterone) context.push({ fact: 'on-testosterone', medication: facts.onTestosterone });

  const recentForLow = e2 !== undefined && e2.date >= isoDay(monthsBefore(today, p.lowWindowMonths));
  if (recentForLow && below(e2, p.lowBelowPgMl)) {
    const critical = below(e2, p.criticalBelowPgMl);
    return recommend('estradiol-low', facts, {
      indicator: critical ? 'critical' : 'warning',
      reasons: [
        critical
          ? {
              code: 'estradiol-below-critical',
              threshold: p.criticalBelowPgMl,
              value: e2.value,
              unit: 'pg/mL',
              ...(e2.comparator && { comparator: e2.comparator }),
            }
          : {
              code: 'estradiol-below-low',
              threshold: p.lowBelowPgMl,
              value: e2.value,
              unit: 'pg/mL',
              ...(e2.comparator && { comparator: e2.comparator }),
            },
      ],
      facts: [{ fact: 'estradiol', measurement: e2 }, ...context, ...onAiFact(facts)],
      suggestions: [],
      guidelines: [GUIDELINES.burnettBowie],
    });
  }
  const recentForCheck = e2 !== undefined && e2.date >= isoDay(monthsBefore(today, p.checkWindowMonths));
  if (recentForCheck) return undefined;
  return recommend('estradiol-check', facts, {
    indicator: 'info',
    reasons: [{ code: 'no-estradiol-in-window', threshold: p.checkWindowMonths, unit: 'months' }],
    facts: [
      e2 ? { fact: 'estradiol', measurement: e2 } : { fact: 'no-estradiol', windowMonths: p.checkWindowMonths },
      ...context,
      ...onAiFact(facts),
    ],
    suggestions: [estradiolOrder(facts.drugs)],
    guidelines: [GUIDELINES.burnettBowie],
  });
}

const SEVERITY: Record<Indicator, number> = { critical: 0, warning: 1, info: 2 };

/** Every rule of docs/clinical-logic.md for one patient; most severe first, then in the rules' topic order. */
export function evaluateRules(facts: Facts, policy: Policy): Recommendation[] {
  if (facts.drugs.length === 0) return [];
  const recs = [
    dxaRule(facts, policy),
    boneAgentRule(facts, policy),
    bmdDeclineRule(facts, policy),
    estradiolRules(facts, policy),
    calciumVitaminDRule(facts, policy),
  ].filter((r): r is Recommendation => r !== undefined);
  return recs.sort(
    (a, b) => SEVERITY[a.indicator] - SEVERITY[b.indicator] || TOPICS.indexOf(a.topic) - TOPICS.indexOf(b.topic),
  );
}
