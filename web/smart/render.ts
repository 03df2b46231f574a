/**
 * The bone-health view as DOM. Every figure comes from the BoneHealthView (the clinical core's
 * facts, history and cards); this file only lays them out. States without data say so in words.
 */
import DOMPurify from 'dompurify';
import { marked } from 'marked';
import type { DataKey, MedicationUse, RiskFactor, Topic } from '../../src/core/index.js';
import { DATA_KEY_LABELS, num, score1 } from '../../src/cards/format.js';
import { TOPIC_DISPLAY } from '../../src/cards/render.js';
import { lineChart, type Marker } from './charts.js';
import { h, table } from './dom.js';
import type { FetchFailure, GatheredRecord } from './record.js';
import type { BoneHealthView } from './view-model.js';

const MINUS = '\u2212';
const signed = (v: number, digits: number): string => (v < 0 ? MINUS : v > 0 ? '+' : '') + Math.abs(v).toFixed(digits);

const FAILURE_TEXT: Record<FetchFailure, string> = {
  refused: 'refused by the EHR (HTTP 403: not within the access this app was granted)',
  failed: 'the FHIR server could not answer the query',
  unavailable: 'the FHIR server could not be reached',
};

function riskFactorName(f: RiskFactor): string {
  const t = f.threshold ?? 0;
  switch (f.id) {
    case 'low-t-score':
      return `T-score below ${score1(t)}`;
    case 'age':
      return `Age over ${num(t)}`;
    case 'low-bmi':
      return `BMI below ${num(t)} kg/m²`;
    case 'family-hip-fracture':
      return 'Family history of hip fracture';
    case 'fragility-fracture':
      return `Fragility fracture at age ${num(t)} or later`;
    case 'glucocorticoids':
      return `Oral glucocorticoid for more than ${num(t)} months`;
    case 'smoking':
      return 'Smoking, current or former';
  }
}

function riskFactorEvidence(f: RiskFactor): string | undefined {
  if (f.id === 'age' && f.value !== undefined) return `${f.value} years`;
  if (f.measurement)
    return `${num(f.measurement.value)}${f.measurement.unit ? ` ${f.measurement.unit}` : ''} on ${f.measurement.date}`;
  if (f.smoking) return `${f.smoking.answer}, ${f.smoking.date}`;
  if (f.medication) return medicationText(f.medication);
  if (f.finding) return `${f.finding.label}${f.finding.onset ? `, onset ${f.finding.onset}` : ''}`;
  return undefined;
}

function medicationText(u: MedicationUse): string {
  const what = u.label ?? u.ingredient ?? 'medication';
  const verb = u.resourceType === 'MedicationRequest' ? 'ordered' : 'recorded';
  return u.date ? `${what}, ${verb} ${u.date}` : `${what} (${verb}, no date)`;
}

function section(id: string, title: string, ...children: (Node | string | undefined | false)[]): HTMLElement {
  return h('section', { 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h` }, title), ...children);
}

function notice(kind: 'info' | 'warning' | 'error', text: string, role?: string): HTMLElement {
  // The kind is written out: the colour of the box is never the only sign of it.
  const prefix = { info: 'Note', warning: 'Attention', error: 'Problem' }[kind];
  return h('p', { class: `notice ${kind}`, role }, h('strong', {}, `${prefix}: `), text);
}

function patientName(view: BoneHealthView, record: GatheredRecord & { ok: true }): string {
  const n = record.record.patient.name?.[0];
  const text = n?.text ?? [...(n?.given ?? []), n?.family].filter((x) => x).join(' ');
  return text || view.evaluation.facts.patient;
}

function trendSection(view: BoneHealthView): HTMLElement {
  const { history, evaluation } = view;
  const markers: Marker[] = [];
  if (history.aiStart) markers.push({ label: 'AI start', date: history.aiStart.date });
  markers.push({ label: 'Next DXA due', date: history.nextDxaDue });
  const due = evaluation.facts.lastDxa
    ? `Last DXA ${evaluation.facts.lastDxa.date}; next DXA due ${history.nextDxaDue}.`
    : `No DXA on record: a DXA is due now (${history.nextDxaDue}).`;
  const summary = h('p', { class: 'due' }, due);
  if (history.sites.length === 0) {
    return section(
      'trend',
      'Bone density over time',
      summary,
      notice('info', 'No DXA results on record for this patient, so there is no trend to draw.', 'status'),
    );
  }
  const tCanvas = h('canvas', { id: 't-chart', role: 'img', 'aria-describedby': 'dxa-table-note' });
  const bCanvas = h('canvas', { id: 'bmd-chart', role: 'img', 'aria-describedby': 'dxa-table-note' });
  const scans = history.sites.reduce((n, s) => n + s.scans.length, 0);
  tCanvas.setAttribute(
    'aria-label',
    `Chart of T-score over time at ${history.sites.length} site(s), ${scans} result(s); the table below holds the same values.`,
  );
  bCanvas.setAttribute(
    'aria-label',
    'Chart of bone mineral density (g/cm²) over time per site; the table below holds the same values.',
  );
  const rows: string[][] = [];
  for (const s of history.sites) {
    for (const scan of s.scans) {
      const change = s.changes.find((c) => c.to === scan.date);
      rows.push([
        scan.date,
        s.label,
        scan.tScore ? score1(scan.tScore.value) : '—',
        scan.bmd ? scan.bmd.value.toFixed(3) : '—',
        change ? `${signed(change.percentPerYear, 1)} %/yr since ${change.from}` : '—',
      ]);
    }
  }
  rows.sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]!.localeCompare(b[1]!)));
  const el = section(
    'trend',
    'Bone density over time',
    summary,
    h(
      'figure',
      {},
      h('div', { class: 'chart' }, tCanvas),
      h('figcaption', {}, 'T-score by site. Dashed line: AI start; dotted line: next DXA due.'),
    ),
    h(
      'figure',
      {},
      h('div', { class: 'chart' }, bCanvas),
      h('figcaption', {}, 'Bone mineral density (g/cm²) by site.'),
    ),
    h(
      'p',
      { id: 'dxa-table-note', class: 'visually-hidden' },
      'The DXA results table below lists every value drawn in the charts.',
    ),
    table('DXA results by scan', ['Date', 'Site', 'T-score', 'BMD (g/cm²)', 'Yearly change in BMD'], rows, 'dxa-table'),
  );
  queueMicrotask(() => {
    lineChart(tCanvas, {
      series: history.sites.map((s) => ({
        label: s.label,
        points: s.scans.flatMap((c) => (c.tScore ? [{ date: c.date, value: c.tScore.value }] : [])),
      })),
      markers,
      yTitle: 'T-score',
      digits: 1,
    });
    lineChart(bCanvas, {
      series: history.sites.map((s) => ({
        label: s.label,
        points: s.scans.flatMap((c) => (c.bmd ? [{ date: c.date, value: c.bmd.value }] : [])),
      })),
      markers,
      yTitle: 'BMD (g/cm²)',
      digits: 3,
    });
  });
  return el;
}

function riskSection(view: BoneHealthView): HTMLElement {
  const items = view.evaluation.facts.riskFactors.map((f) => {
    const state = f.present ? 'Present' : f.assessed ? 'Absent' : 'Not assessed';
    const evidence = riskFactorEvidence(f);
    const missing =
      !f.assessed && f.missing?.length ? `no ${f.missing.map((k) => DATA_KEY_LABELS[k]).join(', ')}` : undefined;
    return h(
      'li',
      { class: `risk ${state.toLowerCase().replace(' ', '-')}` },
      h('span', { class: 'badge' }, state),
      ' ',
      riskFactorName(f),
      evidence || missing ? h('span', { class: 'evidence' }, ` — ${evidence ?? missing}`) : undefined,
    );
  });
  return section(
    'risk',
    'Risk factors',
    h('p', {}, `${view.evaluation.facts.riskFactorCount} of ${view.evaluation.facts.riskFactors.length} present.`),
    h('ul', { class: 'risks' }, ...items),
  );
}

function treatmentSection(view: BoneHealthView): HTMLElement {
  const f = view.evaluation.facts;
  const { history } = view;
  const row = (term: string, value: string) => [h('dt', {}, term), h('dd', {}, value)];
  return section(
    'treatment',
    'Current treatment',
    h(
      'dl',
      {},
      ...row(
        'Aromatase inhibitor',
        history.aiStart
          ? `${history.aiStart.drug}, started ${history.aiStart.date}`
          : 'No active aromatase inhibitor order',
      ),
      ...row('Bone agent', f.onBoneAgent ? medicationText(f.onBoneAgent) : 'None on record'),
      ...row('Calcium and vitamin D', f.onCalciumOrVitaminD ? medicationText(f.onCalciumOrVitaminD) : 'None on record'),
      ...(f.onTestosterone ? row('Testosterone', medicationText(f.onTestosterone)) : []),
    ),
  );
}

function estradiolSection(view: BoneHealthView): HTMLElement | undefined {
  const f = view.evaluation.facts;
  if (f.sex !== 'male' || !f.onTestosterone) return undefined;
  const values = view.history.estradiol;
  if (values.length === 0) {
    return section('estradiol', 'Estradiol', notice('info', 'No estradiol result on record.', 'status'));
  }
  const canvas = h('canvas', {
    id: 'e2-chart',
    role: 'img',
    'aria-label': `Chart of estradiol over time, ${values.length} result(s); the table below holds the same values.`,
  });
  const el = section(
    'estradiol',
    'Estradiol',
    h(
      'figure',
      {},
      h('div', { class: 'chart' }, canvas),
      h('figcaption', {}, 'Estradiol (pg/mL) on the testosterone protocol.'),
    ),
    table(
      'Estradiol results',
      ['Date', 'Estradiol (pg/mL)'],
      values.map((m) => [m.date, `${m.comparator ?? ''}${num(m.value)}`]),
    ),
  );
  queueMicrotask(() => {
    lineChart(canvas, {
      series: [{ label: 'Estradiol', points: values.map((m) => ({ date: m.date, value: m.value })) }],
      markers: view.history.aiStart ? [{ label: 'AI start', date: view.history.aiStart.date }] : [],
      yTitle: 'pg/mL',
      digits: 1,
    });
  });
  return el;
}

function recommendationsSection(view: BoneHealthView, openedFrom: Topic | undefined): HTMLElement {
  const cards = view.cards;
  if (cards.length === 0) {
    const why =
      view.evaluation.facts.drugs.length === 0
        ? 'The service gives recommendations for patients on an aromatase inhibitor; no active order was found.'
        : 'None of the service’s rules applies to this patient now.';
    return section('recs', 'Recommendations now', notice('info', `No recommendation. ${why}`));
  }
  return section(
    'recs',
    'Recommendations now',
    ...cards.map((c) => {
      const topic = c.source.topic?.code as Topic | undefined;
      const detail = h('div', { class: 'detail' });
      detail.innerHTML = DOMPurify.sanitize(marked.parse(c.detail ?? '', { async: false }));
      return h(
        'article',
        { class: `card ${c.indicator}`, 'aria-labelledby': `card-${topic}` },
        h('h3', { id: `card-${topic}` }, c.summary),
        h(
          'p',
          { class: 'meta' },
          h(
            'span',
            { class: 'badge' },
            c.indicator === 'critical' ? 'Critical' : c.indicator === 'warning' ? 'Warning' : 'Information',
          ),
          ` ${topic ? TOPIC_DISPLAY[topic] : ''}`,
          topic !== undefined && topic === openedFrom
            ? h('strong', {}, ' (the card this view was opened from)')
            : undefined,
        ),
        detail,
      );
    }),
  );
}

export function renderView(
  root: HTMLElement,
  view: BoneHealthView,
  gathered: GatheredRecord & { ok: true },
  openedFrom: Topic | undefined,
): void {
  const f = view.evaluation.facts;
  const who = [f.age !== undefined ? `${f.age} years` : undefined, f.sex].filter((x) => x).join(', ');
  const notes: HTMLElement[] = [];
  const failed = Object.entries(gathered.failures) as [DataKey, FetchFailure][];
  if (failed.length > 0) {
    notes.push(
      notice(
        'warning',
        `Not checked: ${failed.map(([k, why]) => `${DATA_KEY_LABELS[k]} (${FAILURE_TEXT[why]})`).join('; ')}. What depends on them is shown as not assessed.`,
        'status',
      ),
    );
  }
  root.replaceChildren(
    h(
      'header',
      {},
      h('h1', {}, 'Bone health view'),
      h('p', { class: 'patient' }, `${patientName(view, gathered)}${who ? ` — ${who}` : ''}`),
    ),
    ...notes,
    trendSection(view),
    recommendationsSection(view, openedFrom),
    riskSection(view),
    treatmentSection(view),
    estradiolSection(view) ?? '',
    h(
      'p',
      { class: 'foot' },
      `Figures as of ${f.today}, from the EHR's FHIR server; this view sends no patient data to the decision-support service.`,
    ),
  );
}

/** A required input could not be read: say which and why, and offer to try again. */
export function renderFailure(root: HTMLElement, gathered: GatheredRecord & { ok: false }): void {
  const reasons = gathered.missing.map((k) => gathered.failures[k] ?? 'failed');
  const refused = reasons.includes('refused');
  const down = reasons.every((r) => r === 'unavailable');
  const title = refused ? 'Access refused' : down ? 'FHIR server unavailable' : 'Data could not be read';
  // The required inputs first, then any other query that failed with them.
  const keys = [
    ...gathered.missing,
    ...(Object.keys(gathered.failures) as DataKey[]).filter((k) => !gathered.missing.includes(k)),
  ];
  const what = keys.map((k) => `${DATA_KEY_LABELS[k]}: ${FAILURE_TEXT[gathered.failures[k] ?? 'failed']}`);
  const advice = refused
    ? 'The EHR did not grant this app read access to these data. Ask the EHR administrator to grant the scopes in the app’s registration, then launch the app again.'
    : 'Without these the bone health view cannot be shown. Try again in a moment.';
  root.replaceChildren(
    h('header', {}, h('h1', {}, 'Bone health view')),
    h(
      'section',
      { 'aria-labelledby': 'fail-h', class: 'failure' },
      h('h2', { id: 'fail-h' }, title),
      h('p', { role: 'alert' }, advice),
      h('ul', {}, ...what.map((w) => h('li', {}, w))),
      h('button', { type: 'button', id: 'retry' }, 'Try again'),
    ),
  );
  root.querySelector('#retry')?.addEventListener('click', () => window.location.reload());
}

export function renderMessage(root: HTMLElement, title: string, text: string): void {
  root.replaceChildren(
    h('header', {}, h('h1', {}, 'Bone health view')),
    h('h2', {}, title),
    notice('info', text, 'status'),
  );
}
