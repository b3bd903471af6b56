// Pure helpers that turn API series into what a chart draws: aligned columns, derived series, stacks.
import type { Point, Series } from './api.ts';

export type Values = (number | null)[];

/** One drawn line. */
export interface ChartSeries {
  label: string;
  values: Values;
  /** The same line over an earlier window (compare mode): drawn dashed, never stacked, always after the others. */
  earlier?: boolean;
}

/** Columns sharing one time axis (ms since epoch), as uPlot wants them. */
export interface ChartData {
  x: number[];
  series: ChartSeries[];
}

/** A named list of points, before alignment. */
export interface NamedPoints {
  label: string;
  points: Point[];
}

/**
 * Aligns several point lists on the union of their timestamps; a missing point is null.
 * Series of one request share the server's step, so the union is usually that grid. With 'last'
 * a later point of the same time replaces an earlier one (a null never replaces a value).
 */
export function alignSeries(inputs: NamedPoints[], repeated: 'last' | 'sum' = 'last'): ChartData {
  const stamps = new Set<number>();
  for (const s of inputs) for (const [t] of s.points) stamps.add(t);
  const x = [...stamps].sort((a, b) => a - b);
  const index = new Map(x.map((t, i) => [t, i]));
  const series = inputs.map((s) => {
    const values: Values = new Array<number | null>(x.length).fill(null);
    for (const [t, v] of s.points) {
      const i = index.get(t)!;
      // 'sum': a list that holds several series' points adds the values of one time.
      values[i] = repeated === 'sum' && v !== null && values[i] !== null ? values[i]! + v : v ?? values[i];
    }
    return { label: s.label, values };
  });
  return { x, series };
}

/** The label of a series: its label values joined ("active", "replica1 / 10.0.0.2"), or the fallback. */
export function seriesLabel(labels: Record<string, string>, fallback: string): string {
  const parts = Object.values(labels).filter((v) => v !== '');
  return parts.length > 0 ? parts.join(' / ') : fallback;
}

/** Named point lists of an API answer, one per series. */
export function namedSeries(series: Series[], fallback: string): NamedPoints[] {
  return series.map((s) => ({ label: seriesLabel(s.labels, fallback), points: s.points }));
}

/** Point-wise combination; null when either side is null or `f` returns a non-finite number. */
export function combine(a: Values, b: Values, f: (x: number, y: number) => number | null): Values {
  return a.map((x, i) => {
    const y = b[i];
    if (x === null || y === null || y === undefined) return null;
    const r = f(x, y);
    return r === null || !Number.isFinite(r) ? null : r;
  });
}

/** Cache hit ratio in percent per point: hit / (hit + read) × 100; null when both are 0 or null. */
export function hitRatioPercent(hit: Values, read: Values): Values {
  return hit.map((h, i) => {
    const r = read[i] ?? null;
    if (h === null && r === null) return null;
    const total = (h ?? 0) + (r ?? 0);
    return total > 0 ? ((h ?? 0) / total) * 100 : null;
  });
}

/** The last non-null value of a point list, or null. */
export function lastValue(points: Point[]): number | null {
  for (let i = points.length - 1; i >= 0; i--) {
    const v = points[i][1];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}

/** How many non-null values the chart draws. */
export function countPoints(data: ChartData): number {
  let n = 0;
  for (const s of data.series) for (const v of s.values) if (v !== null && Number.isFinite(v)) n++;
  return n;
}

/**
 * Running sums for a stacked chart: series i becomes the sum of series 0..i, so each line is the
 * top of its band. Where some series have a value, a missing one counts as 0 (a state with no
 * backend is not reported), which keeps the bands closed; where none has, the gap stays a gap.
 */
export function stackValues(series: ChartSeries[]): Values[] {
  const n = series[0]?.values.length ?? 0;
  const present = Array.from({ length: n }, (_, i) => series.some((s) => s.values[i] !== null));
  const acc: number[] = new Array<number>(n).fill(0);
  return series.map((s) =>
    s.values.map((v, i) => {
      if (!present[i]) return null;
      acc[i] += v ?? 0;
      return acc[i];
    }),
  );
}

/**
 * A single empty bucket between two values is jitter (a sample landed in the next bucket),
 * not an outage: it becomes undefined, which uPlot draws through; longer runs of null stay gaps.
 */
export function bridgeSingleGaps(values: Values): (number | null | undefined)[] {
  return values.map((v, i) => (v === null && i > 0 && i < values.length - 1 && values[i - 1] !== null && values[i + 1] !== null ? undefined : v));
}

/** Non-null values in a series: few of them are drawn as dots, or a lone point would not show. */
export function nonNullCount(values: ArrayLike<number | null | undefined>): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== null && values[i] !== undefined) n++;
  return n;
}

/**
 * A chart's data with the same chart over an earlier window (already shifted onto this window's
 * time axis) added as dashed lines: the union of both time axes, the earlier lines after the
 * current ones, labelled with `suffix`.
 */
export function withEarlier(current: ChartData, earlier: ChartData, suffix: string): ChartData {
  const x = [...new Set([...current.x, ...earlier.x])].sort((a, b) => a - b);
  const at = (d: ChartData) => {
    const index = new Map(d.x.map((t, i) => [t, i]));
    return (values: Values): Values => x.map((t) => { const i = index.get(t); return i === undefined ? null : values[i]; });
  };
  const cur = at(current);
  const old = at(earlier);
  return {
    x,
    series: [
      ...current.series.map((s) => ({ ...s, values: cur(s.values) })),
      ...earlier.series.map((s) => ({ label: `${s.label} ${suffix}`, values: old(s.values), earlier: true })),
    ],
  };
}
