/**
 * Records that exist but were left out — a result whose status does not count, whose value is
 * not a number, whose unit the rule does not convert — named so that the card that would have
 * used them says so (docs/clinical-logic.md#reading-values, docs/clinical-logic.md#missing-data).
 * Only those at least as recent as the fact used (or all, when none was used) are named: an old
 * preliminary result behind a newer final one changes nothing.
 */
import { dayOf, isoDay, monthsBefore, type DayNumber } from '../dates.js';
import { type measure, unusable, type ObservationValueSet } from '../observations.js';
import type { Facts, IgnoredKind, IgnoredRecord } from '../types.js';
import * as units from '../units.js';
import type { Ctx } from './context.js';

/** At most this many per kind: the card names a few, never a page of them. */
const PER_KIND = 3;

type Normalise = Parameters<typeof measure>[1];

function ignoredOf(
  ctx: Ctx,
  vs: ObservationValueSet,
  kind: IgnoredKind,
  opts: {
    normalise?: Normalise;
    notBefore?: DayNumber;
    accept?: (c: import('../valuesets/index.js').Concept) => boolean;
  },
): IgnoredRecord[] {
  const found: (IgnoredRecord & { day: number })[] = [];
  const from = opts.notBefore ?? -Infinity;
  for (const s of ctx.obs.ignoredByStatus(vs)) {
    if ((s.day ?? Infinity) < from || (opts.accept && !opts.accept(s.concept))) continue;
    found.push({
      kind,
      reason: 'status',
      detail: s.status,
      reference: s.reference,
      ...(s.day !== undefined && { date: isoDay(s.day) }),
      code: { system: s.concept.system, code: s.concept.code, display: s.concept.display },
      day: s.day ?? -Infinity,
    });
  }
  if (opts.normalise) {
    for (const p of ctx.obs.get(vs)) {
      if (p.day < from) break;
      if (opts.accept && !opts.accept(p.concept)) continue;
      const why = unusable(p, opts.normalise);
      if (!why) continue;
      found.push({
        kind,
        ...why,
        reference: p.reference,
        date: isoDay(p.day),
        code: { system: p.concept.system, code: p.concept.code, display: p.concept.display },
        day: p.day,
      });
    }
  }
  found.sort((a, b) => b.day - a.day || a.reference.localeCompare(b.reference));
  const seen = new Set<string>();
  const out: IgnoredRecord[] = [];
  for (const { day: _day, ...r } of found) {
    if (seen.has(r.reference)) continue;
    seen.add(r.reference);
    out.push(r);
    if (out.length === PER_KIND) break;
  }
  return out;
}

const day = (date: string | undefined): DayNumber | undefined => dayOf(date);

export function ignoredFacts(
  ctx: Ctx,
  f: Pick<Facts, 'lastDxa' | 'minT' | 'estradiol' | 'smoking' | 'bmdLoss' | 'safety'>,
  medications: readonly IgnoredRecord[],
): Pick<Facts, 'ignored'> {
  const p = ctx.policy;
  const dxaFrom = monthsBefore(ctx.today, p.dxaIntervalMonths);
  const labsFrom = monthsBefore(ctx.today, p.safety.labLookbackMonths);
  const after = (d: string | undefined, floor?: DayNumber) => {
    const x = day(d);
    return x === undefined ? floor : floor === undefined ? x : Math.max(x, floor);
  };
  const dxaKinds: ObservationValueSet[] = ['dxa-bmd', 'dxa-t-score', 'dxa-z-score', 'dxa-procedures'];
  const dxa = dxaKinds.flatMap((vs) => ignoredOf(ctx, vs, 'dxa', { notBefore: after(f.lastDxa?.date) ?? -Infinity }));
  const list = [
    ...dxa.slice(0, PER_KIND),
    ...ignoredOf(ctx, 'dxa-t-score', 't-score', { normalise: (v) => units.score(v), notBefore: dxaFrom }),
    ...ignoredOf(ctx, 'dxa-bmd', 'bmd', {
      normalise: units.bmdGcm2,
      notBefore: after(f.bmdLoss?.latest.date) ?? -Infinity,
    }),
    ...ignoredOf(ctx, 'estradiol', 'estradiol', {
      normalise: (v, u) => units.estradiolPgMl(v, u, p.estradiol.pmolPerLPerPgMl),
      notBefore: after(f.estradiol?.date) ?? -Infinity,
    }),
    ...ignoredOf(ctx, 'egfr', 'egfr', {
      normalise: units.egfrValue,
      notBefore: after(f.safety.egfr?.date) ?? -Infinity,
    }),
    ...ignoredOf(ctx, 'calcium-serum', 'calcium', {
      normalise: units.calciumMgDl,
      notBefore: after(f.safety.calcium?.date, labsFrom) ?? labsFrom,
    }),
    ...ignoredOf(ctx, 'vitamin-d-25oh', 'vitamin-d', {
      normalise: units.vitaminDNgMl,
      notBefore: after(f.safety.vitaminD?.date, labsFrom) ?? labsFrom,
    }),
    ...ignoredOf(ctx, 'smoking-status', 'smoking', { notBefore: after(f.smoking?.date) ?? -Infinity }),
    ...medications,
  ];
  return list.length ? { ignored: list } : {};
}
