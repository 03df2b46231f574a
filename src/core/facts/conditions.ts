/**
 * docs/clinical-logic.md#facts condition facts: fragility fracture, osteoporosis, osteopenia, family hip fracture;
 * the matcher the safety facts share.
 */
import type { Condition, FamilyMemberHistory } from 'fhir/r4.js';
import { isoDay, wholeYears } from '../dates.js';
import {
  anyContainsWord,
  asArray,
  codingsOf,
  conditionActive,
  conditionCounts,
  conditionOnsetAgeYears,
  conditionOnsetDay,
  isString,
  readConcept,
  referenceOf,
  textsOf,
  type ReadConcept,
} from '../fhir-read.js';
import type { PatientRecord } from '../patient-record.js';
import type { ConditionFinding, Facts } from '../types.js';
import { lookupKey, matchNames, type Concept, type PrefixRule, type ValueSetName } from '../valuesets/index.js';
import type { Ctx } from './context.js';

/**
 * A Condition read once: whether it is active, and its code's keys and texts. Each request matches
 * every Condition against about ten value sets; reading the codes and texts once per Condition
 * instead of once per set was most of the cost of the condition facts.
 */
export interface ReadCondition {
  resource: Condition;
  active: boolean;
  code: ReadConcept;
}

export function readConditions(record: PatientRecord): ReadCondition[] {
  const out: ReadCondition[] = [];
  for (const c of asArray(record.conditions)) {
    if (!c || c.resourceType !== 'Condition' || !conditionCounts(c)) continue;
    out.push({ resource: c, active: conditionActive(c), code: readConcept(c.code) });
  }
  return out;
}

type Match = { hit?: Concept | PrefixRule; name?: string };

/** A concept in a value set: by a code whose verification status the policy trusts, else by a name in its text. */
function conditionMatch(ctx: Ctx, code: ReadConcept, vs: ValueSetName): Match | undefined {
  const statuses = ctx.policy.terminology.conditionCodeStatuses;
  for (const k of code.keys) {
    const hit = lookupKey(vs, k);
    if (hit && statuses.includes(hit.verification)) return { hit };
  }
  for (const n of matchNames(vs)) if (anyContainsWord(code.texts, n.name)) return { name: n.name };
  return undefined;
}

function onsetOf(ctx: Ctx, resource: Condition | FamilyMemberHistory): Pick<ConditionFinding, 'onset' | 'onsetAge'> {
  if (resource.resourceType !== 'Condition') return {};
  const onset = conditionOnsetDay(resource);
  if (onset !== undefined) {
    return { onset: isoDay(onset), ...(ctx.birth !== undefined && { onsetAge: wholeYears(ctx.birth, onset) }) };
  }
  const years = conditionOnsetAgeYears(resource);
  return years !== undefined ? { onsetAge: Math.floor(years) } : {};
}

function finding(ctx: Ctx, resource: Condition | FamilyMemberHistory, match: Match, label: string): ConditionFinding {
  const hit = match.hit;
  return {
    reference: referenceOf(resource),
    resourceType: resource.resourceType,
    label,
    matchedBy: hit ? 'code' : 'text',
    ...(hit && {
      code:
        'code' in hit
          ? { system: hit.system, code: hit.code, display: hit.display }
          : { system: hit.system, code: hit.prefix, display: hit.label },
    }),
    ...onsetOf(ctx, resource),
  };
}

function conditionLabel(c: Condition | undefined, fallback: string): string {
  const cc = c?.code;
  if (isString(cc?.text)) return cc.text;
  for (const x of codingsOf(cc)) if (isString(x.display)) return x.display;
  return fallback;
}

/** What the matched value-set entry is called: the code's display, a hierarchy's label, or the matched name. */
function matchedLabel(match: Match): string | undefined {
  if (match.hit) return 'code' in match.hit ? match.hit.display : match.hit.label;
  return match.name;
}

/** The first counted Condition in a value set (optionally only active ones). */
export function findCondition(
  ctx: Ctx,
  vs: ValueSetName,
  opts: { activeOnly: boolean; accept?: (f: ConditionFinding) => boolean },
): ConditionFinding | undefined {
  for (const c of ctx.conditions) {
    if (opts.activeOnly && !c.active) continue;
    const m = conditionMatch(ctx, c.code, vs);
    if (!m) continue;
    const f = finding(ctx, c.resource, m, conditionLabel(c.resource, matchedLabel(m) ?? vs));
    if (!opts.accept || opts.accept(f)) return f;
  }
  return undefined;
}

export function familyHipFracture(ctx: Ctx): ConditionFinding | undefined {
  const byCondition = findCondition(ctx, 'parental-hip-fracture', { activeOnly: false });
  if (byCondition) return byCondition;
  for (const h of asArray(ctx.record.familyHistory)) {
    if (!h || h.resourceType !== 'FamilyMemberHistory' || h.status === 'entered-in-error') continue;
    for (const cond of asArray(h.condition)) {
      const m = conditionMatch(ctx, readConcept(cond?.code), 'hip-fracture');
      if (m) {
        const relation = textsOf(h.relationship)[0];
        const what = conditionLabel({ code: cond.code } as Condition, matchedLabel(m) ?? 'hip fracture');
        return finding(ctx, h, m, relation ? `${what} (${relation})` : what);
      }
    }
  }
  return undefined;
}

export function conditionFacts(
  ctx: Ctx,
): Pick<Facts, 'fragilityFracture' | 'osteoporosis' | 'osteopenia' | 'breastCancer'> {
  // docs/clinical-logic.md#risk-factors factor 5: any clinicalStatus; onset before fractureMinAge excludes it,
  // unknown onset counts.
  const fracture = findCondition(ctx, 'fragility-fracture', {
    activeOnly: false,
    accept: (f) => f.onsetAge === undefined || f.onsetAge >= ctx.policy.riskFactors.fractureMinAge,
  });
  const op = findCondition(ctx, 'osteoporosis', { activeOnly: true });
  const opn = findCondition(ctx, 'osteopenia', { activeOnly: true });
  // docs/clinical-logic.md (v2): any clinical status counts (docs/clinical-logic.md#estradiol).
  const breast = findCondition(ctx, 'breast-cancer', { activeOnly: false });
  return {
    ...(fracture && { fragilityFracture: fracture }),
    ...(op && { osteoporosis: op }),
    ...(opn && { osteopenia: opn }),
    ...(breast && { breastCancer: breast }),
  };
}
