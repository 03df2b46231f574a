/** docs/clinical-logic.md#facts DXA facts: the last DXA (axial, and peripheral apart), T-scores, annual BMD loss. */
import type { Procedure, ServiceRequest } from 'fhir/r4.js';
import { DAYS_PER_YEAR, dayOf, isoDay, monthsBefore, type DayNumber } from '../dates.js';
import { asArray, codingsOf, referenceOf } from '../fhir-read.js';
import { measure, provenanceOf, type ObsPoint } from '../observations.js';
import type { BmdLoss, Facts, Measurement, Provenance } from '../types.js';
import * as units from '../units.js';
import { isConcept, lookup, type Concept } from '../valuesets/index.js';
import type { Ctx } from './context.js';

export const SITE_LABELS: Record<string, string> = {
  'lumbar-spine': 'lumbar spine',
  'total-hip': 'total hip',
  'femoral-neck': 'femoral neck',
  radius: 'radius (1/3)',
  calcaneus: 'calcaneus',
  any: 'unspecified site',
};

function withSite(m: Measurement, c: Concept): Measurement {
  if (c.dxaSite) m.site = SITE_LABELS[c.dxaSite] ?? c.dxaSite;
  if (c.laterality) m.laterality = c.laterality;
  return m;
}

function dxaDay(r: Procedure | ServiceRequest): DayNumber | undefined {
  if (r.resourceType === 'Procedure') {
    return dayOf(r.performedDateTime) ?? dayOf(r.performedPeriod?.start) ?? dayOf(r.performedPeriod?.end);
  }
  return dayOf(r.occurrenceDateTime) ?? dayOf(r.occurrencePeriod?.start) ?? dayOf(r.authoredOn);
}

type DatedProvenance = Provenance & { date: string; day: DayNumber };

/**
 * docs/clinical-logic.md#dxa minT sites: spine, total hip, femur/femoral neck, radius, either side (not the
 * calcaneus, nor an unspecified site).
 */
const MIN_T_SITES: ReadonlySet<string> = new Set(['lumbar-spine', 'total-hip', 'femoral-neck', 'radius']);

function atMinTSite(c: Concept): boolean {
  return c.dxaSite !== undefined && MIN_T_SITES.has(c.dxaSite);
}

/**
 * The DXA that baseline-dxa asks for is axial (docs/clinical-logic.md#dxa; evidence §5b R1: "no T-score and no
 * 77080/77085"): a result at a minT site, or a study whose code the value set marks axial.
 */
function countsAsDxa(c: Concept): boolean {
  return c.valueSet === 'dxa-procedures' ? c.dxaScope === 'axial' : atMinTSite(c);
}

/** The latest DXA that counts, and the latest heel, peripheral or VFA-only one (listed, never counted). */
function dxaHistory(ctx: Ctx): { axial?: DatedProvenance; other?: DatedProvenance } {
  const found: { axial?: DatedProvenance; other?: DatedProvenance } = {};
  const consider = (axial: boolean, day: DayNumber, p: Provenance) => {
    const key = axial ? 'axial' : 'other';
    const best = found[key];
    if (!best || day > best.day) found[key] = { ...p, date: isoDay(day), day };
  };
  for (const vs of ['dxa-bmd', 'dxa-t-score', 'dxa-z-score', 'dxa-procedures'] as const) {
    let axialSeen = false;
    let otherSeen = false;
    // Latest first: the first point of each kind is the one to consider.
    for (const p of ctx.obs.get(vs)) {
      const axial = countsAsDxa(p.concept);
      if (axial ? axialSeen : otherSeen) continue;
      consider(axial, p.day, provenanceOf(p));
      if (axial) axialSeen = true;
      else otherSeen = true;
      if (axialSeen && otherSeen) break;
    }
  }
  const done = [
    ...asArray(ctx.record.procedures).filter((p) => p?.resourceType === 'Procedure'),
    ...asArray(ctx.record.serviceRequests).filter((s) => s?.resourceType === 'ServiceRequest'),
  ];
  for (const r of done) {
    if (r.status !== 'completed') continue;
    const hits = codingsOf(r.code)
      .map((c) => lookup('dxa-procedures', c.system, c.code))
      .filter(isConcept);
    if (hits.length === 0) continue;
    const day = dxaDay(r);
    if (day === undefined) continue;
    const hit = hits.find(countsAsDxa) ?? hits[0]!;
    consider(countsAsDxa(hit), day, {
      reference: referenceOf(r),
      code: { system: hit.system, code: hit.code, display: hit.display },
      date: isoDay(day),
    });
  }
  return found;
}

function tScores(ctx: Ctx, from: DayNumber): Measurement[] {
  const out: Measurement[] = [];
  for (const p of ctx.obs.get('dxa-t-score')) {
    if (p.day < from) break;
    if (!atMinTSite(p.concept)) continue;
    const m = measure(p, (v) => units.score(v));
    if (m) out.push(withSite(m, p.concept));
  }
  // Lowest first; the later scan wins a tie, so "identical input → identical facts".
  return out.sort((a, b) => a.value - b.value || (a.date < b.date ? 1 : a.date > b.date ? -1 : 0));
}

/**
 * docs/clinical-logic.md#bmd-loss bmdLossPerYear, per BMD code at a minT site: latest vs the latest result at least
 * `minGapMonths` before it. Unrounded (rounding would move the ≥ 5 %/yr boundary).
 */
function bmdLosses(ctx: Ctx): BmdLoss[] {
  const byCode = new Map<string, ObsPoint[]>();
  for (const p of ctx.obs.get('dxa-bmd')) {
    if (!atMinTSite(p.concept)) continue;
    const k = p.concept.code;
    const list = byCode.get(k);
    if (list) list.push(p);
    else byCode.set(k, [p]);
  }
  const out: BmdLoss[] = [];
  const usable = (p: ObsPoint) => {
    const m = measure(p, units.bmdGcm2);
    return m !== undefined && m.value > 0 ? { p, m } : undefined;
  };
  for (const points of byCode.values()) {
    // Latest first: the first usable result is the latest; the earlier one is the first usable
    // result on or before the limit (only those are measured).
    let latest: { p: ObsPoint; m: Measurement } | undefined;
    for (const p of points) if ((latest = usable(p))) break;
    if (!latest) continue;
    const limit = monthsBefore(latest.p.day, ctx.policy.bmdDecline.minGapMonths);
    let earlier: { p: ObsPoint; m: Measurement } | undefined;
    for (const p of points) {
      if (p.day > limit) continue;
      if ((earlier = p === latest.p ? latest : usable(p))) break;
    }
    if (!earlier) continue;
    const years = (latest.p.day - earlier.p.day) / DAYS_PER_YEAR;
    const pct = ((earlier.m.value - latest.m.value) / earlier.m.value) * 100;
    const loss: BmdLoss = {
      site: SITE_LABELS[latest.p.concept.dxaSite ?? 'any'] ?? 'unspecified site',
      earlier: withSite(earlier.m, earlier.p.concept),
      latest: withSite(latest.m, latest.p.concept),
      years,
      percentPerYear: pct / years,
    };
    if (latest.p.concept.laterality) loss.laterality = latest.p.concept.laterality;
    out.push(loss);
  }
  return out.sort(
    (a, b) =>
      b.percentPerYear - a.percentPerYear ||
      (a.latest.source.code?.code ?? '').localeCompare(b.latest.source.code?.code ?? ''),
  );
}

/** Drops the day number kept for comparing. */
function dated(p: DatedProvenance | undefined): (Provenance & { date: string }) | undefined {
  if (!p) return undefined;
  const { day: _day, ...rest } = p;
  return rest;
}

export function dxaFacts(
  ctx: Ctx,
): Pick<Facts, 'lastDxa' | 'lastPeripheralDxa' | 'dxaWithinInterval' | 'tScores' | 'minT' | 'bmdLosses' | 'bmdLoss'> {
  const from = monthsBefore(ctx.today, ctx.policy.dxaIntervalMonths);
  const dxa = dxaHistory(ctx);
  const scores = tScores(ctx, from);
  const losses = bmdLosses(ctx);
  const last = dated(dxa.axial);
  const peripheral = dated(dxa.other);
  return {
    dxaWithinInterval: dxa.axial !== undefined && dxa.axial.day >= from,
    tScores: scores,
    bmdLosses: losses,
    ...(last && { lastDxa: last }),
    ...(peripheral && { lastPeripheralDxa: peripheral }),
    ...(scores[0] && { minT: scores[0] }),
    ...(losses[0] && { bmdLoss: losses[0] }),
  };
}
