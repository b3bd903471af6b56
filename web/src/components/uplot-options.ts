// Builds uPlot options for a time chart: units on the axis and legend, stacking, select-to-zoom.
import uPlot from 'uplot';
import { formatTick, formatValue, type ValueUnit } from '../format.ts';
import { nonNullCount, type ChartData } from '../series-math.ts';
import { themeColour } from '../theme.ts';

export const CHART_HEIGHT = 190;

/** Line colours, in series order; distinct on a white background. */
export const PALETTE = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#65a30d', '#475569', '#ea580c'];

export interface PlotSpec {
  unit: ValueUnit;
  stacked: boolean;
  /** 'zero': y starts at 0; 'auto': fits the data (used for ratios near 100 %). */
  yBase: 'zero' | 'auto';
  /** The raw (unstacked) data, read when formatting legend values. */
  raw: () => ChartData;
  /** The x range in seconds: always the requested window, even where there is no data. */
  xRange: () => [number, number];
  /** Called with ms bounds when the user drags a region. */
  onZoom: (from: number, to: number) => void;
  /** Series from this index on are the same lines earlier (compare mode): dashed, never stacked. */
  compareFrom?: number;
}

function alpha(hex: string, a: number): string {
  const n = parseInt(hex.slice(1), 16);
  return `rgba(${(n >> 16) & 255}, ${(n >> 8) & 255}, ${n & 255}, ${a})`;
}

/** Tick steps for byte units: powers of two within each 1024 multiple, so ticks read 256 KiB, 512 KiB, 1 MiB. */
const BYTE_INCRS: number[] = [];
for (let k = 0; k < 6; k++) for (let p = 0; p < 10; p++) BYTE_INCRS.push(2 ** p * 1024 ** k);

/** Tick steps for counts (backends): whole numbers only. */
const COUNT_INCRS: number[] = [];
for (let k = 0; k < 10; k++) for (const m of [1, 2, 5]) COUNT_INCRS.push(m * 10 ** k);

/** Sizes the y axis to its longest label (uPlot's axis autosize recipe), at least 50 px. */
const yAxisSize: uPlot.Axis.Size = (u, values, axisIdx, cycleNum) => {
  const axis = u.axes[axisIdx];
  if (cycleNum > 1) return (axis as { _size?: number })._size ?? 50;
  const longest = (values ?? []).reduce((acc, v) => (v.length > acc.length ? v : acc), '');
  let size = (axis.ticks?.size ?? 10) + (axis.gap ?? 5) + 4;
  if (longest !== '') {
    // After init uPlot keeps an axis font as [css font, px size], whatever the declared type says.
    u.ctx.font = (axis.font as unknown as [string, number] | undefined)?.[0] ?? '12px system-ui';
    size += u.ctx.measureText(longest).width / devicePixelRatio;
  }
  return Math.max(50, Math.ceil(size));
};

/** The last non-null value of series i, for the legend when the cursor is off the chart. */
function latest(data: ChartData, i: number): number | null {
  const values = data.series[i]?.values ?? [];
  for (let k = values.length - 1; k >= 0; k--) if (values[k] !== null) return values[k];
  return null;
}

/** At most this many values in a series: draw them as dots as well as a line. */
const SPARSE_POINTS = 60;

/** uPlot options for a chart of `labels`, `width` CSS pixels wide. */
export function buildOptions(labels: string[], width: number, spec: PlotSpec): uPlot.Options {
  const fmt = (v: number | null): string => formatValue(v, spec.unit);
  const compareFrom = spec.compareFrom ?? labels.length;
  const axis = themeColour('--chart-axis', '#555');
  const grid = themeColour('--chart-grid', '#eee');
  const series: uPlot.Series[] = [
    {},
    ...labels.map((label, i): uPlot.Series => {
      const earlier = i >= compareFrom;
      // An earlier line takes the colour of the line it repeats.
      const color = PALETTE[(earlier ? i - compareFrom : i) % PALETTE.length];
      return {
        label,
        stroke: earlier ? alpha(color, 0.75) : color,
        width: earlier ? 1.2 : 1.5,
        dash: earlier ? [5, 4] : undefined,
        fill: spec.stacked && !earlier ? alpha(color, 0.35) : undefined,
        // Sparse series (a long range over young data) are drawn as dots too, or a lone point is invisible.
        points: { show: (u: uPlot, si: number) => nonNullCount(u.data[si] ?? []) <= SPARSE_POINTS, size: 5 },
        spanGaps: false,
        // The legend shows the raw value under the cursor, or the latest one; in a stack a missing
        // value drawn as 0 reads 0.
        value: (u, _v, si, idx) => {
          if (idx === null) return fmt(latest(spec.raw(), i));
          const raw = spec.raw().series[i]?.values[idx] ?? null;
          return fmt(raw === null && spec.stacked && u.data[si]?.[idx] != null ? 0 : raw);
        },
      };
    }),
  ];
  const bands: uPlot.Band[] = spec.stacked ? labels.slice(1, compareFrom).map((_, i) => ({ series: [i + 2, i + 1] })) : [];

  return {
    width,
    height: CHART_HEIGHT,
    series,
    bands,
    legend: { live: true },
    cursor: {
      // Charts share the time axis, not the value axis: no horizontal cursor line.
      y: false,
      drag: { x: true, y: false, setScale: false },
      sync: { key: 'pgfleet-instance' },
      points: { size: 6 },
    },
    scales: {
      x: { time: true, range: () => spec.xRange() },
      y: {
        range: (_u, min, max) => {
          if (min === null || max === null || !Number.isFinite(min) || !Number.isFinite(max)) return [0, 1];
          if (spec.yBase === 'auto') {
            const pad = Math.max((max - min) * 0.1, Math.abs(max) * 0.001, 0.01);
            const top = spec.unit === 'percent' ? Math.min(100, max + pad) : max + pad;
            return [Math.max(0, min - pad), top];
          }
          const lo = Math.min(0, min);
          return [lo, max > lo ? max * 1.08 : lo + 1];
        },
      },
    },
    axes: [
      { stroke: axis, grid: { stroke: grid, width: 1 }, ticks: { stroke: grid, width: 1 } },
      {
        stroke: axis,
        size: yAxisSize,
        incrs: spec.unit === 'bytes' || spec.unit === 'bytesPerSec' ? BYTE_INCRS : spec.unit === 'count' ? COUNT_INCRS : undefined,
        grid: { stroke: grid, width: 1 },
        ticks: { stroke: grid, width: 1 },
        values: (_u, splits, _axis, _space, incr) => splits.map((v) => formatTick(v, spec.unit, incr)),
      },
    ],
    hooks: {
      setSelect: [
        (u) => {
          const { left, width: w } = u.select;
          if (w < 3) return;
          const a = u.posToVal(left, 'x');
          const b = u.posToVal(left + w, 'x');
          u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
          spec.onZoom(a * 1000, b * 1000);
        },
      ],
    },
  };
}
