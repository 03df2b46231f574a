/**
 * docs/clinical-logic.md#facts lab and vital facts: estradiol, BMI (direct or from weight and
 * height), smoking status.
 */
import { isoDay, monthsBefore, type DayNumber } from '../dates.js';
import { isString } from '../fhir-read.js';
import { measure, provenanceOf, type ObservationIndex } from '../observations.js';
import type { Facts, Measurement } from '../types.js';
import * as units from '../units.js';
import { lookup } from '../valuesets/index.js';
import type { Ctx } from './context.js';

export function latestMeasured(
  ctx: Ctx,
  vs: Parameters<ObservationIndex['get']>[0],
  normalise: Parameters<typeof measure>[1],
  from?: DayNumber,
): Measurement | undefined {
  for (const p of ctx.obs.get(vs)) {
    if (from !== undefined && p.day < from) return undefined;
    const m = measure(p, normalise);
    if (m) return m;
  }
  return undefined;
}

function bmi(ctx: Ctx): Facts['bmi'] {
  const from = monthsBefore(ctx.today, ctx.policy.riskFactors.bmiLookbackMonths);
  const direct = latestMeasured(ctx, 'bmi', units.bmiValue, from);
  if (direct) return direct;
  const weight = latestMeasured(ctx, 'body-weight', units.weightKg, from);
  const height = latestMeasured(ctx, 'body-height', units.heightCm, from);
  if (!weight || !height || height.value <= 0) return undefined;
  const value = weight.value / (height.value / 100) ** 2;
  const later = weight.date >= height.date ? weight : height;
  return { value, unit: 'kg/m²', date: later.date, source: later.source, computedFrom: { weight, height } };
}

const SMOKING_KINDS: ReadonlySet<string> = new Set(['current', 'former', 'never', 'unknown']);

/**
 * The latest smoking status with an answer. docs/clinical-logic.md#risk-factors factor 7 (v2): the US Core answers are
 * read by code; an answer in no list is "not readable", never "absent"
 * (docs/clinical-logic.md#risk-factors).
 */
function smoking(ctx: Ctx): Facts['smoking'] {
  const p = ctx.obs.get('smoking-status').find((x) => x.answer?.length);
  if (!p) return undefined;
  let status: NonNullable<Facts['smoking']>['status'] = 'unreadable';
  let answer = '';
  for (const a of p.answer ?? []) {
    const hit = lookup('smoker-answers', a.system, a.code);
    if (hit && 'code' in hit && hit.smoking && SMOKING_KINDS.has(hit.smoking)) {
      status = hit.smoking as typeof status;
      answer = hit.display;
      break;
    }
    if (!answer && isString(a.display)) answer = a.display;
  }
  if (!answer) answer = p.answer?.find((a) => isString(a.code))?.code ?? 'recorded';
  return { date: isoDay(p.day), source: provenanceOf(p), answer, status };
}

export function labFacts(ctx: Ctx): Pick<Facts, 'estradiol' | 'bmi' | 'smoking'> {
  const factor = ctx.policy.estradiol.pmolPerLPerPgMl;
  const e2 = latestMeasured(ctx, 'estradiol', (v, u) => units.estradiolPgMl(v, u, factor));
  const b = bmi(ctx);
  const s = smoking(ctx);
  return { ...(e2 && { estradiol: e2 }), ...(b && { bmi: b }), ...(s && { smoking: s }) };
}
