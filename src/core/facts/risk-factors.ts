/**
 * docs/clinical-logic.md#facts: the seven Hadji risk factors, each present, absent, or not assessable from the data.
 */
import { monthsBefore } from '../dates.js';
import { lt } from '../compare.js';
import { classify } from '../medication.js';
import type { DataKey } from '../patient-record.js';
import type { Facts, RiskFactor } from '../types.js';
import { familyHipFracture, findCondition } from './conditions.js';
import type { Ctx } from './context.js';
import { medicationDay, medicationUse } from './medications.js';

function missingOf(ctx: Ctx, keys: DataKey[]): DataKey[] {
  return keys.filter((k) => ctx.notChecked.has(k));
}

function factor(
  id: RiskFactor['id'],
  present: boolean,
  assessed: boolean,
  extra: Partial<RiskFactor> = {},
): RiskFactor {
  const f: RiskFactor = { id, present, assessed: present || assessed, ...extra };
  if (f.missing && f.missing.length === 0) delete f.missing;
  return f;
}

function glucocorticoids(ctx: Ctx): Pick<RiskFactor, 'medication' | 'finding'> | undefined {
  const cutoff = monthsBefore(ctx.today, ctx.policy.riskFactors.glucocorticoidMonths);
  for (const r of ctx.activeUses) {
    const day = medicationDay(r);
    // "more than 6 months ago": strictly before the cutoff day.
    if (day === undefined || day >= cutoff) continue;
    const m = classify(r, 'oral-glucocorticoids', ctx.meds, ctx.policy.terminology.medicationCodeStatuses);
    if (m) return { medication: medicationUse(ctx, r, m) };
  }
  const z = findCondition(ctx, 'long-term-glucocorticoids', { activeOnly: true });
  return z ? { finding: z } : undefined;
}

function riskFactorList(
  ctx: Ctx,
  f: Pick<Facts, 'minT' | 'age' | 'bmi' | 'smoking' | 'fragilityFracture'>,
): RiskFactor[] {
  const rf = ctx.policy.riskFactors;
  const gc = glucocorticoids(ctx);
  const family = familyHipFracture(ctx);
  const list: RiskFactor[] = [];
  list.push(
    f.minT
      ? factor('low-t-score', lt(f.minT.value, rf.tScoreBelow), true, {
          threshold: rf.tScoreBelow,
          measurement: f.minT,
        })
      : factor('low-t-score', false, false, { threshold: rf.tScoreBelow, missing: missingOf(ctx, ['dxa']) }),
  );
  list.push(
    f.age !== undefined
      ? factor('age', f.age > rf.ageAbove, true, { threshold: rf.ageAbove, value: f.age })
      : factor('age', false, false, { threshold: rf.ageAbove }),
  );
  list.push(
    f.bmi
      ? factor('low-bmi', lt(f.bmi.value, rf.bmiBelow), true, { threshold: rf.bmiBelow, measurement: f.bmi })
      : factor('low-bmi', false, false, { threshold: rf.bmiBelow, missing: missingOf(ctx, ['labs']) }),
  );
  const familyMissing = missingOf(ctx, ['conditions', 'familyHistory']);
  list.push(
    family
      ? factor('family-hip-fracture', true, true, { finding: family })
      : factor('family-hip-fracture', false, familyMissing.length === 0, { missing: familyMissing }),
  );
  const fractureMissing = missingOf(ctx, ['conditions']);
  list.push(
    f.fragilityFracture
      ? factor('fragility-fracture', true, true, { finding: f.fragilityFracture, threshold: rf.fractureMinAge })
      : factor('fragility-fracture', false, fractureMissing.length === 0, {
          threshold: rf.fractureMinAge,
          missing: fractureMissing,
        }),
  );
  const gcMissing = missingOf(ctx, ['medicationRequests', 'medicationStatements', 'conditions']);
  list.push(
    gc
      ? factor('glucocorticoids', true, true, { ...gc, threshold: rf.glucocorticoidMonths })
      : factor('glucocorticoids', false, gcMissing.length === 0, {
          threshold: rf.glucocorticoidMonths,
          missing: gcMissing,
        }),
  );
  list.push(
    f.smoking
      ? factor(
          'smoking',
          f.smoking.status === 'current' || f.smoking.status === 'former',
          f.smoking.status === 'never',
          {
            smoking: f.smoking,
          },
        )
      : factor('smoking', false, false, { missing: missingOf(ctx, ['labs']) }),
  );
  return list;
}

export function riskFactorFacts(
  ctx: Ctx,
  f: Pick<Facts, 'minT' | 'age' | 'bmi' | 'smoking' | 'fragilityFracture'>,
): Pick<Facts, 'riskFactors' | 'riskFactorCount'> {
  const riskFactors = riskFactorList(ctx, f);
  return { riskFactors, riskFactorCount: riskFactors.filter((x) => x.present).length };
}
