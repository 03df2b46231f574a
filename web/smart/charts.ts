/**
 * The trend charts. Series differ by point shape and line dash as well as colour, and the two
 * dates marked on the time axis (AI start, next DXA due) carry their names as text, so no reading
 * depends on colour. Every chart sits beside a table holding the same values.
 */
import {
  Chart,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
  type ChartDataset,
  type Plugin,
  type PointStyle,
} from 'chart.js';

Chart.register(LineController, LineElement, PointElement, LinearScale, Legend, Tooltip);

// Okabe–Ito palette: distinguishable with the common colour-vision deficiencies.
const COLOURS = ['#0072B2', '#D55E00', '#009E73', '#CC79A7', '#E69F00', '#56B4E9'];
const SHAPES: PointStyle[] = ['circle', 'triangle', 'rect', 'rectRot', 'star', 'crossRot'];
const DASHES = [[], [6, 4], [2, 3], [10, 3, 2, 3], [1, 5], [8, 8]];

const DAY_MS = 86_400_000;
export const dayNumber = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / DAY_MS;
const isoOf = (day: number): string => new Date(Math.round(day) * DAY_MS).toISOString().slice(0, 10);

export interface Series {
  label: string;
  points: { date: string; value: number }[];
}

export interface Marker {
  label: string;
  date: string;
}

/** Vertical dated lines with their label written beside them. */
const markerPlugin: Plugin<'line', { markers?: Marker[] }> = {
  id: 'dateMarkers',
  afterDatasetsDraw(chart, _args, options) {
    const x = chart.scales['x'];
    const area = chart.chartArea;
    if (!x || !options.markers) return;
    const ctx = chart.ctx;
    options.markers.forEach((m, i) => {
      const px = x.getPixelForValue(dayNumber(m.date));
      if (px < area.left - 1 || px > area.right + 1) return;
      ctx.save();
      ctx.strokeStyle = '#333';
      ctx.lineWidth = 1.5;
      ctx.setLineDash(i === 0 ? [4, 4] : [1, 3]);
      ctx.beginPath();
      ctx.moveTo(px, area.top);
      ctx.lineTo(px, area.bottom);
      ctx.stroke();
      ctx.setLineDash([]);
      ctx.fillStyle = '#1a1a1a';
      ctx.font = '12px system-ui, sans-serif';
      const text = `${m.label} ${m.date}`;
      const width = ctx.measureText(text).width;
      const left = px + 4 + width > area.right ? px - 4 - width : px + 4;
      // Above the plot, in the padding kept for the labels, so no label hides a data point.
      ctx.fillText(text, left, area.top - 6 - i * 16);
      ctx.restore();
    });
  },
};

export function lineChart(
  canvas: HTMLCanvasElement,
  opts: { series: Series[]; markers: Marker[]; yTitle: string; digits: number },
): Chart<'line', { x: number; y: number }[]> {
  const datasets: ChartDataset<'line', { x: number; y: number }[]>[] = opts.series.map((s, i) => ({
    label: s.label,
    data: s.points.map((p) => ({ x: dayNumber(p.date), y: p.value })),
    borderColor: COLOURS[i % COLOURS.length],
    backgroundColor: COLOURS[i % COLOURS.length],
    pointStyle: SHAPES[i % SHAPES.length],
    pointRadius: 6,
    pointHoverRadius: 8,
    borderDash: DASHES[i % DASHES.length],
    borderWidth: 2,
  }));
  const days = [
    ...opts.series.flatMap((s) => s.points.map((p) => dayNumber(p.date))),
    ...opts.markers.map((m) => dayNumber(m.date)),
  ];
  const min = Math.min(...days) - 60;
  const max = Math.max(...days) + 60;
  return new Chart<'line', { x: number; y: number }[]>(canvas, {
    type: 'line',
    data: { datasets },
    plugins: [markerPlugin as Plugin<'line'>],
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      parsing: false,
      layout: { padding: { top: opts.markers.length * 16 + 4 } },
      scales: {
        x: { type: 'linear', min, max, ticks: { callback: (v) => isoOf(Number(v)).slice(0, 7), maxTicksLimit: 8 } },
        y: { title: { display: true, text: opts.yTitle } },
      },
      plugins: {
        legend: { position: 'bottom', labels: { usePointStyle: true } },
        tooltip: {
          callbacks: {
            title: (items: { parsed: { x: number | null } }[]) => (items[0] ? isoOf(items[0].parsed.x ?? 0) : ''),
            label: (item: { dataset: { label?: string }; parsed: { y: number | null } }) =>
              `${item.dataset.label ?? ''}: ${(item.parsed.y ?? 0).toFixed(opts.digits)}`,
          },
        },
        dateMarkers: { markers: opts.markers },
      } as Record<string, unknown>,
    },
  });
}
