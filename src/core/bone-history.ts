/**
 * The bone-health view's figures over time (the SMART app draws them): DXA T-scores and BMD per
 * site, the yearly change between consecutive scans, estradiol results, when the AI started and
 * when the next DXA is due. Read with the same observation index, unit rules and site labels as
 * the facts, so a value the view shows is the value a card cites.
 */
import { DAYS_PER_YEAR, dayOf, isoDay, monthsBefore, type DayNumber } from './dates.js';
import { asArray } from './fhir-read.js';
import { SITE_LABELS } from './facts/dxa.js';
import { MedicationIndex } from './medication.js';
import { measure, ObservationIndex, type ObsPoint } from './observations.js';
import type { PatientRecord } from './patient-record.js';
import type { Policy } from './policy.js';
import { aiDrugOf, type AiDrug } from './trigger.js';
import type { Facts, Measurement } from './types.js';
import * as units from './units.js';

export interface DxaScan {
  /** YYYY-MM-DD */
  date: string;
  tScore?: Measurement;
  /** g/cm². */
  bmd?: Measurement;
}

/** The yearly BMD change from one scan to the next at the same site (negative: a loss). */
export interface BmdChange {
  from: string;
  to: string;
  years: number;
  /** (later − earlier) / earlier × 100 / years, unrounded. */
  percentPerYear: number;
}

export interface DxaSiteSeries {
  /** `total hip (left)`, `lumbar spine`, … */
  label: string;
  site: string;
  laterality?: 'left' | 'right';
  /** Oldest first; one entry per day with a T-score or a BMD at this site. */
  scans: DxaScan[];
  changes: BmdChange[];
}

export interface BoneHistory {
  sites: DxaSiteSeries[];
  /** The earliest start of an active AI order, and its drug. */
  aiStart?: { date: string; drug: AiDrug; reference: string };
  /**
   * When the next DXA is due: the last axial DXA plus `dxaIntervalMonths`, or today when there is
   * none (the baseline is due now).
   */
  nextDxaDue: string;
  /** Estradiol results in pg/mL, oldest first. */
  estradiol: Measurement[];
}

function siteKey(p: ObsPoint): string | undefined {
  const site = p.concept.dxaSite;
  if (site === undefined) return undefined;
  return p.concept.laterality ? `${site}:${p.concept.laterality}` : site;
}

function seriesOf(map: Map<string, DxaSiteSeries>, p: ObsPoint): DxaSiteSeries | undefined {
  const key = siteKey(p);
  if (key === undefined) return undefined;
  let series = map.get(key);
  if (!series) {
    const site = SITE_LABELS[p.concept.dxaSite!] ?? p.concept.dxaSite!;
    const laterality = p.concept.laterality;
    series = { label: laterality ? `${site} (${laterality})` : site, site, scans: [], changes: [] };
    if (laterality) series.laterality = laterality;
    map.set(key, series);
  }
  return series;
}

function scanOn(series: DxaSiteSeries, date: string): DxaScan {
  let scan = series.scans.find((s) => s.date === date);
  if (!scan) series.scans.push((scan = { date }));
  return scan;
}

export function boneHistory(record: PatientRecord, facts: Facts, policy: Policy): BoneHistory {
  const obs = new ObservationIndex(asArray(record.observations));
  const bySite = new Map<string, DxaSiteSeries>();
  // Latest first: the first value of a day is the one the facts would read for that day.
  for (const p of obs.get('dxa-t-score')) {
    const series = seriesOf(bySite, p);
    const m = series && measure(p, (v) => units.score(v));
    if (!series || !m) continue;
    const scan = scanOn(series, m.date);
    scan.tScore ??= m;
  }
  for (const p of obs.get('dxa-bmd')) {
    const series = seriesOf(bySite, p);
    const m = series && measure(p, units.bmdGcm2);
    if (!series || !m || m.value <= 0) continue;
    const scan = scanOn(series, m.date);
    scan.bmd ??= m;
  }
  const sites = [...bySite.values()];
  for (const series of sites) {
    series.scans.sort((a, b) => (a.date < b.date ? -1 : a.date > b.date ? 1 : 0));
    const withBmd = series.scans.filter((s) => s.bmd !== undefined);
    for (let i = 1; i < withBmd.length; i++) {
      const earlier = withBmd[i - 1]!;
      const later = withBmd[i]!;
      const years = (dayOf(later.date)! - dayOf(earlier.date)!) / DAYS_PER_YEAR;
      const pct = ((later.bmd!.value - earlier.bmd!.value) / earlier.bmd!.value) * 100;
      series.changes.push({ from: earlier.date, to: later.date, years, percentPerYear: pct / years });
    }
  }
  sites.sort((a, b) => a.label.localeCompare(b.label));

  const today = dayOf(facts.today)!;
  const last = facts.lastDxa ? dayOf(facts.lastDxa.date) : undefined;
  // monthsBefore with a negative count moves forward in time, clamped to the month's last day.
  const nextDxaDue: DayNumber = last === undefined ? today : monthsBefore(last, -policy.dxaIntervalMonths);

  const history: BoneHistory = {
    sites,
    nextDxaDue: isoDay(nextDxaDue),
    estradiol: obs
      .get('estradiol')
      .map((p) => measure(p, (v, u) => units.estradiolPgMl(v, u, policy.estradiol.pmolPerLPerPgMl)))
      .filter((m): m is Measurement => m !== undefined)
      .reverse(),
  };
  const start = aiStart(record, policy);
  if (start) history.aiStart = start;
  return history;
}

function aiStart(record: PatientRecord, policy: Policy): BoneHistory['aiStart'] {
  const meds = new MedicationIndex(asArray(record.medications));
  let best: { day: DayNumber; drug: AiDrug; reference: string } | undefined;
  for (const r of asArray(record.medicationRequests)) {
    if (!r || r.resourceType !== 'MedicationRequest' || r.status !== 'active') continue;
    const day = dayOf(r.authoredOn);
    const ai = day === undefined ? undefined : aiDrugOf(r, meds, policy);
    if (!ai || day === undefined) continue;
    if (!best || day < best.day)
      best = { day, drug: ai.drug, reference: r.id ? `MedicationRequest/${r.id}` : 'MedicationRequest' };
  }
  return best && { date: isoDay(best.day), drug: best.drug, reference: best.reference };
}
