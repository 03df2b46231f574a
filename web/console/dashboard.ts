/**
 * The committee's numbers for a period, from GET /analytics/summary: per topic, the top override
 * reasons and a daily trend. The chart has its numbers beside it as a table.
 */
import {
  CategoryScale,
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from 'chart.js';
import { call, describeAnalyticsFailure } from './api.js';
import { h as el } from '../shared/dom.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, CategoryScale, Legend, Tooltip);

interface TopicSummary {
  serviceId: string;
  topic: string;
  issued: number;
  accepted: number;
  overridden: number;
  acceptanceRate: number | null;
  overrideReasons: { system?: string; code?: string; display?: string; count: number }[];
}

interface DayCount {
  day: string;
  issued: number;
  accepted: number;
  overridden: number;
}

interface Summary {
  topics: TopicSummary[];
  daily?: DayCount[];
}

export const TOKEN_KEY = 'aibl-cds.analytics-token';
const DAY_MS = 86_400_000;
/** Beyond this the chart's points would be too dense to read; the tables still hold everything. */
const MAX_CHART_DAYS = 400;

let chart: Chart | undefined;

const percent = (n: number | null) => (n === null ? '—' : `${Math.round(n * 100)} %`);

/** The days from..to (both included, UTC), with the store's counts and zeros between. */
export function fillDays(from: string, to: string, daily: DayCount[]): DayCount[] {
  const byDay = new Map(daily.map((d) => [d.day, d]));
  const out: DayCount[] = [];
  for (
    let t = Date.parse(`${from}T00:00:00Z`);
    t <= Date.parse(`${to}T00:00:00Z`) && out.length <= MAX_CHART_DAYS;
    t += DAY_MS
  ) {
    const day = new Date(t).toISOString().slice(0, 10);
    out.push(byDay.get(day) ?? { day, issued: 0, accepted: 0, overridden: 0 });
  }
  return out;
}

function table(caption: string, head: string[], rows: (string | number)[][], numeric: boolean[]): HTMLTableElement {
  const t = el('table', {}, el('caption', {}, caption));
  t.append(
    el(
      'thead',
      {},
      el('tr', {}, ...head.map((h, i) => el('th', { scope: 'col', ...(numeric[i] ? { class: 'num' } : {}) }, h))),
    ),
  );
  t.append(
    el(
      'tbody',
      {},
      ...rows.map((r) =>
        el(
          'tr',
          {},
          ...r.map((c, i) =>
            i === 0 ? el('th', { scope: 'row' }, String(c)) : el('td', numeric[i] ? { class: 'num' } : {}, String(c)),
          ),
        ),
      ),
    ),
  );
  return t;
}

function reasonLabel(r: TopicSummary['overrideReasons'][number]): string {
  if (r.display) return r.display;
  if (r.code) return r.code;
  return 'No coded reason (comment only)';
}

export async function loadDashboard(opts: {
  from: string;
  to: string;
  token: string;
  result: HTMLElement;
  error: HTMLElement;
  status: HTMLElement;
}): Promise<void> {
  opts.error.textContent = '';
  opts.status.textContent = 'Loading…';
  const query = new URLSearchParams({ from: opts.from, to: opts.to });
  const answer = await call(
    `/analytics/summary?${query}`,
    opts.token ? { headers: { Authorization: `Bearer ${opts.token}` } } : {},
  );
  opts.status.textContent = '';
  chart?.destroy();
  chart = undefined;
  opts.result.replaceChildren();
  if (answer.status !== 200) {
    opts.error.textContent = describeAnalyticsFailure(answer);
    return;
  }
  const summary = answer.body as Summary;
  const topics = summary.topics ?? [];
  const sum = (k: 'issued' | 'accepted' | 'overridden') => topics.reduce((n, t) => n + t[k], 0);
  const decided = sum('accepted') + sum('overridden');
  opts.status.textContent = `Numbers for ${opts.from} to ${opts.to} (UTC).`;
  opts.result.append(
    el(
      'ul',
      { class: 'totals', 'aria-label': 'Totals for the period' },
      el('li', {}, el('strong', {}, String(sum('issued'))), 'cards issued'),
      el('li', {}, el('strong', {}, String(sum('accepted'))), 'accepted'),
      el('li', {}, el('strong', {}, String(sum('overridden'))), 'overridden'),
      el('li', {}, el('strong', {}, percent(decided === 0 ? null : sum('accepted') / decided)), 'acceptance rate'),
    ),
  );
  if (topics.length === 0) {
    opts.result.append(el('p', { class: 'status' }, 'No cards were issued and no feedback arrived in this period.'));
    return;
  }

  opts.result.append(
    table(
      'Cards by topic',
      ['Topic', 'Service', 'Issued', 'Accepted', 'Overridden', 'Acceptance rate', 'Override rate'],
      topics.map((t) => {
        const d = t.accepted + t.overridden;
        return [
          t.topic,
          t.serviceId,
          t.issued,
          t.accepted,
          t.overridden,
          percent(t.acceptanceRate),
          percent(d === 0 ? null : t.overridden / d),
        ];
      }),
      [false, false, true, true, true, true, true],
    ),
  );

  const reasons = topics
    .flatMap((t) => t.overrideReasons.map((r) => ({ topic: t.topic, label: reasonLabel(r), count: r.count })))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label))
    .slice(0, 10);
  opts.result.append(
    reasons.length === 0
      ? el('p', { class: 'status' }, 'No overrides in this period.')
      : table(
          'Top override reasons',
          ['Reason', 'Topic', 'Overridden cards'],
          reasons.map((r) => [r.label, r.topic, r.count]),
          [false, false, true],
        ),
  );

  const days = fillDays(opts.from, opts.to, summary.daily ?? []);
  const canvas = el('canvas', {
    role: 'img',
    'aria-label': 'Daily trend of cards issued, accepted and overridden; the numbers are in the table below the chart.',
  });
  opts.result.append(el('h2', {}, 'Daily trend'), el('div', { class: 'chart-box' }, canvas));
  opts.result.append(
    el(
      'details',
      {},
      el('summary', {}, 'Daily numbers as a table'),
      table(
        'Per day (UTC)',
        ['Day', 'Issued', 'Accepted', 'Overridden'],
        days.map((d) => [d.day, d.issued, d.accepted, d.overridden]),
        [false, true, true, true],
      ),
    ),
  );
  // Each series differs in colour, line dash and point shape, so the chart reads without colour too.
  chart = new Chart(canvas, {
    type: 'line',
    data: {
      labels: days.map((d) => d.day),
      datasets: [
        {
          label: 'Issued',
          data: days.map((d) => d.issued),
          borderColor: '#12324f',
          backgroundColor: '#12324f',
          pointStyle: 'circle',
          pointRadius: 3,
        },
        {
          label: 'Accepted',
          data: days.map((d) => d.accepted),
          borderColor: '#1e6b34',
          backgroundColor: '#1e6b34',
          borderDash: [6, 3],
          pointStyle: 'rect',
          pointRadius: 4,
        },
        {
          label: 'Overridden',
          data: days.map((d) => d.overridden),
          borderColor: '#b3261e',
          backgroundColor: '#b3261e',
          borderDash: [2, 2],
          pointStyle: 'triangle',
          pointRadius: 5,
        },
      ],
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      scales: { y: { beginAtZero: true, ticks: { precision: 0 } } },
      plugins: { legend: { labels: { usePointStyle: true } } },
    },
  });
}
