/**
 * Every number of the rule set in one validated object. The defaults are the rule set's; a site overrides
 * any subset with a JSON file (deep-partial, merged over the defaults). Comparison direction
 * (strict or inclusive) is fixed by the rules, not by the policy.
 */
import { z } from 'zod';
import { VERIFICATIONS, type Verification } from './valuesets/index.js';

const months = z.number().int().min(0).max(600);
const positive = z.number().positive().finite();
const finite = z.number().finite();

const range = z
  .object({ low: positive, high: positive })
  .strict()
  .refine((r) => r.low <= r.high, { message: 'low must not exceed high' });

const regimen = z
  .object({
    dose: positive,
    doseUnit: z.string().min(1),
    route: z.enum(['oral', 'subcutaneous', 'intravenous']),
    every: z.number().int().positive(),
    everyUnit: z.enum(['d', 'wk', 'mo']),
  })
  .strict();

const verification = z.enum(VERIFICATIONS as [Verification, ...Verification[]]);

export const PolicySchema = z
  .object({
    /** docs/clinical-logic.md#dxa `dxaIntervalMonths`: DXA recency for minT, baseline-dxa and dxa-follow-up. */
    dxaIntervalMonths: months,
    bmdDecline: z
      .object({
        /** docs/clinical-logic.md#bmd-loss: the earlier BMD must be at least this long before the latest. */
        minGapMonths: months,
        /** docs/clinical-logic.md#card-bmd-decline bmd-decline: loss ≥ this %/year. */
        percentPerYear: positive,
      })
      .strict(),
    boneAgent: z
      .object({
        /** docs/clinical-logic.md#card-bone-agent bone-agent: minT < this. */
        tScoreBelow: finite,
        /** docs/clinical-logic.md#card-bone-agent bone-agent: ≥ this many risk factors. */
        minRiskFactors: z.number().int().min(1).max(7),
        /** docs/clinical-logic.md#card-bone-agent bone-agent: critical when minT ≤ this. */
        criticalTScoreAtOrBelow: finite,
        /**
         * docs/clinical-logic.md#bone-agent-status onBoneAgent (v2): a dose of a long-acting
         * agent this many months ago still
         * counts — denosumab 7 (dosed every 6 months), zoledronic acid 13 (every 6 or 12 months).
         * docs/clinical-logic.md#bone-agent-status
         */
        recentDoseMonths: z.object({
          denosumab: z.number().int().min(0).max(60),
          zoledronicAcid: z.number().int().min(0).max(60),
        }),
      })
      .strict(),
    riskFactors: z
      .object({
        /** Hadji risk factor 1: minT < this. */
        tScoreBelow: finite,
        /** Hadji risk factor 2: age > this. */
        ageAbove: z.number().int().min(0).max(130),
        /** Hadji risk factor 3: BMI < this (kg/m²). */
        bmiBelow: positive,
        /** docs/clinical-logic.md#risk-factors risk factor 3: BMI, weight and height within this many months. */
        bmiLookbackMonths: months,
        /** Hadji risk factor 5: fracture at this age or later (onset earlier excludes it). */
        fractureMinAge: z.number().int().min(0).max(130),
        /** Hadji risk factor 6: oral glucocorticoid ordered more than this many months ago. */
        glucocorticoidMonths: months,
      })
      .strict(),
    estradiol: z
      .object({
        /** docs/clinical-logic.md#card-estradiol estradiol-low: below this (pg/mL) → warning. */
        lowBelowPgMl: positive,
        /** docs/clinical-logic.md#card-estradiol estradiol-low: below this (pg/mL) → critical. */
        criticalBelowPgMl: positive,
        /** docs/clinical-logic.md#card-estradiol estradiol-low: the result must be within this many months. */
        lowWindowMonths: months,
        /** docs/clinical-logic.md#card-estradiol estradiol-check: no result within this many months. */
        checkWindowMonths: months,
        /** docs/clinical-logic.md#estradiol: pmol/L per pg/mL (E2 molar mass 272.38 g/mol). */
        pmolPerLPerPgMl: positive,
      })
      .strict()
      .refine((e) => e.criticalBelowPgMl <= e.lowBelowPgMl, {
        message: 'criticalBelowPgMl must not exceed lowBelowPgMl',
        path: ['criticalBelowPgMl'],
      }),
    safety: z
      .object({
        /** docs/clinical-logic.md#card-bone-agent: omit zoledronic acid and alendronate when eGFR < this. */
        egfrBelow: positive,
        /** docs/clinical-logic.md#card-bone-agent: warn to correct calcium below this (mg/dL, albumin-corrected). */
        calciumBelowMgDl: positive,
        /** docs/clinical-logic.md#card-bone-agent: warn to replete vitamin D below this (ng/mL). */
        vitaminDBelowNgMl: positive,
        /** Corrected Ca = Ca + factor × (reference − albumin g/dL) (clinical-codes-and-evidence.md §5b). */
        albuminReferenceGdl: positive,
        albuminFactor: positive,
        /** An albumin counts for the correction when measured within this many days of the calcium. */
        albuminPairingDays: z.number().int().min(0).max(365),
        /** Safety labs older than this are not used (the rule set gives no window: a site choice). */
        labLookbackMonths: months,
      })
      .strict(),
    regimens: z
      .object({
        /** docs/clinical-logic.md#card-calcium-vitamin-d calcium-vitamin-d: total calcium intake per day (mg). */
        calciumMgPerDay: range,
        /** docs/clinical-logic.md#card-calcium-vitamin-d calcium-vitamin-d: vitamin D3 per day (IU). */
        vitaminDIuPerDay: range,
        denosumab: regimen,
        zoledronicAcid: regimen,
        alendronate: regimen,
      })
      .strict(),
    terminology: z
      .object({
        /**
         * docs/clinical-logic.md#trigger: an AI order is recognised by an RxNorm code of an AI "at any level" — every
         * code of the aromatase-inhibitors set (only the three drugs' codes, as the reference lists
         * them) triggers by default, whatever its status; a site may narrow it.
         */
        triggerCodeStatuses: z.array(verification).min(1),
        /**
         * docs/clinical-logic.md#medication-classes: a medication class is recognised by code only for codes with
         * these statuses; otherwise by name.
         */
        medicationCodeStatuses: z.array(verification).min(1),
        /** Condition codes used with these statuses (the rule set names Z79.52 and Z87.310 itself). */
        conditionCodeStatuses: z.array(verification).min(1),
      })
      .strict(),
  })
  .strict()
  .refine((p) => p.boneAgent.criticalTScoreAtOrBelow <= p.boneAgent.tScoreBelow, {
    message: 'criticalTScoreAtOrBelow must not exceed tScoreBelow',
    path: ['boneAgent', 'criticalTScoreAtOrBelow'],
  });

export type Policy = z.infer<typeof PolicySchema>;

export type DeepPartial<T> = T extends readonly unknown[]
  ? T
  : T extends object
    ? { [K in keyof T]?: DeepPartial<T[K]> }
    : T;

/** The rule set's defaults. */
export const defaultPolicy: Policy = Object.freeze({
  dxaIntervalMonths: 24,
  bmdDecline: { minGapMonths: 9, percentPerYear: 5 },
  boneAgent: {
    tScoreBelow: -2.0,
    minRiskFactors: 2,
    criticalTScoreAtOrBelow: -2.5,
    recentDoseMonths: { denosumab: 7, zoledronicAcid: 13 },
  },
  riskFactors: {
    tScoreBelow: -1.5,
    ageAbove: 65,
    bmiBelow: 20,
    bmiLookbackMonths: 24,
    fractureMinAge: 50,
    glucocorticoidMonths: 6,
  },
  estradiol: {
    lowBelowPgMl: 20,
    criticalBelowPgMl: 10,
    lowWindowMonths: 12,
    checkWindowMonths: 6,
    pmolPerLPerPgMl: 3.671,
  },
  safety: {
    egfrBelow: 35,
    calciumBelowMgDl: 8.5,
    vitaminDBelowNgMl: 20,
    albuminReferenceGdl: 4.0,
    albuminFactor: 0.8,
    albuminPairingDays: 7,
    labLookbackMonths: 12,
  },
  regimens: {
    calciumMgPerDay: { low: 1000, high: 1200 },
    vitaminDIuPerDay: { low: 800, high: 1000 },
    denosumab: { dose: 60, doseUnit: 'mg', route: 'subcutaneous', every: 6, everyUnit: 'mo' },
    zoledronicAcid: { dose: 4, doseUnit: 'mg', route: 'intravenous', every: 6, everyUnit: 'mo' },
    alendronate: { dose: 70, doseUnit: 'mg', route: 'oral', every: 1, everyUnit: 'wk' },
  },
  terminology: {
    triggerCodeStatuses: ['verified', 'weak', 'unverified'],
    medicationCodeStatuses: ['verified', 'weak'],
    conditionCodeStatuses: ['verified', 'weak', 'unverified'],
  },
} satisfies Policy) as Policy;

export class PolicyError extends Error {
  /** Each invalid field as a dotted path with its problem. */
  readonly issues: { path: string; message: string }[];
  constructor(issues: { path: string; message: string }[]) {
    super(`invalid policy: ${issues.map((i) => `${i.path}: ${i.message}`).join('; ')}`);
    this.name = 'PolicyError';
    this.issues = issues;
  }
}

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x);
}

function merge(base: unknown, override: unknown): unknown {
  if (!isPlainObject(base) || !isPlainObject(override)) return override === undefined ? base : override;
  const out: Record<string, unknown> = { ...base };
  for (const [k, v] of Object.entries(override)) out[k] = merge(base[k], v);
  return out;
}

/**
 * Validates a site's policy overrides (a deep-partial object, e.g. parsed from AIBL_POLICY_FILE)
 * merged over the defaults. Unknown fields are errors, so a typo cannot silently keep a default.
 */
export function parsePolicy(json: unknown): Policy {
  if (json === undefined || json === null) return structuredClone(defaultPolicy);
  if (!isPlainObject(json)) throw new PolicyError([{ path: '(root)', message: 'must be a JSON object' }]);
  const result = PolicySchema.safeParse(merge(defaultPolicy, json));
  if (!result.success) {
    throw new PolicyError(
      result.error.issues.flatMap((i) => {
        const base = i.path.map(String);
        // An unknown field is reported at its own path, so the message names the field to fix.
        if (i.code === 'unrecognized_keys') {
          return i.keys.map((k) => ({ path: [...base, k].join('.'), message: 'unknown field' }));
        }
        return [{ path: base.length ? base.join('.') : '(root)', message: i.message }];
      }),
    );
  }
  return result.data;
}
