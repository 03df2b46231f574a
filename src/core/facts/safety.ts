/**
 * docs/clinical-logic.md#safety: corrected calcium, 25-OH vitamin D, eGFR, and the conditions
 * that change the bone-agent choice.
 */
import { isoDay, monthsBefore, type DayNumber } from '../dates.js';
import { measure, type ObsPoint } from '../observations.js';
import type { Measurement, SafetyFacts } from '../types.js';
import * as units from '../units.js';
import { findCondition } from './conditions.js';
import type { Ctx } from './context.js';

/**
 * A safety lab (docs/clinical-logic.md#safety) from the latest day that has a usable result. Several
 * results that day (two eGFR equations, a repeat) → the lowest: the bone-agent checks all fire
 * below a threshold, so the worst value errs on the safe side whatever the resource ids.
 */
function worstOfLatestDay<T extends Measurement>(
  points: readonly ObsPoint[],
  read: (p: ObsPoint) => T | undefined,
  from?: DayNumber,
): T | undefined {
  let day: DayNumber | undefined;
  let worst: T | undefined;
  for (const p of points) {
    if (from !== undefined && p.day < from) break;
    if (day !== undefined && p.day < day) break;
    const m = read(p);
    if (!m) continue;
    day = p.day;
    if (!worst || m.value < worst.value) worst = m;
  }
  return worst;
}

/** One calcium result in mg/dL, albumin-corrected with the closest albumin within the pairing window. */
function correctedCalcium(ctx: Ctx, p: ObsPoint): SafetyFacts['calcium'] {
  const ca = measure(p, units.calciumMgDl);
  if (!ca) return undefined;
  if (p.concept.calciumKind === 'corrected') return { ...ca, corrected: true };
  const s = ctx.policy.safety;
  let albumin: Measurement | undefined;
  let bestGap = Infinity;
  for (const a of ctx.obs.get('albumin')) {
    const gap = Math.abs(a.day - p.day);
    if (gap > s.albuminPairingDays || gap >= bestGap) continue;
    const m = measure(a, units.albuminGdl);
    if (m) {
      albumin = m;
      bestGap = gap;
    }
  }
  if (!albumin) return { ...ca, corrected: false };
  const value = ca.value + s.albuminFactor * (s.albuminReferenceGdl - albumin.value);
  const out: NonNullable<SafetyFacts['calcium']> = { ...ca, value, corrected: true, albumin };
  out.reported = ca.reported ?? { value: ca.value, unit: ca.unit ?? 'mg/dL' };
  return out;
}

/**
 * the rule set sets no window for "omit when eGFR < 35": the latest eGFR counts whatever its age,
 * and is marked when older than the lab lookback so the card can say so.
 */
function egfr(ctx: Ctx, labsFrom: DayNumber): Measurement | undefined {
  const gfr = worstOfLatestDay(ctx.obs.get('egfr'), (p) => measure(p, units.egfrValue));
  if (gfr && gfr.date < isoDay(labsFrom)) gfr.olderThanMonths = ctx.policy.safety.labLookbackMonths;
  return gfr;
}

export function safetyFacts(ctx: Ctx): SafetyFacts {
  const labsFrom = monthsBefore(ctx.today, ctx.policy.safety.labLookbackMonths);
  const calcium = worstOfLatestDay(ctx.obs.get('calcium-serum'), (p) => correctedCalcium(ctx, p), labsFrom);
  const vitaminD = worstOfLatestDay(ctx.obs.get('vitamin-d-25oh'), (p) => measure(p, units.vitaminDNgMl), labsFrom);
  const gfr = egfr(ctx, labsFrom);
  const ckd45 = findCondition(ctx, 'ckd-4-5', { activeOnly: true });
  const onj = findCondition(ctx, 'onj', { activeOnly: false });
  const hypocalcaemia = findCondition(ctx, 'hypocalcaemia', { activeOnly: true });
  const vitaminDDeficiency = findCondition(ctx, 'vitamin-d-deficiency', { activeOnly: true });
  return {
    ...(calcium && { calcium }),
    ...(vitaminD && { vitaminD }),
    ...(gfr && { egfr: gfr }),
    ...(ckd45 && { ckd45 }),
    ...(onj && { onj }),
    ...(hypocalcaemia && { hypocalcaemia }),
    ...(vitaminDDeficiency && { vitaminDDeficiency }),
  };
}
