// Pure helpers of the Store page: names of the kinds of data and the chart of size over time.
import type { StoreKind, StoreSize } from './api.ts';
import type { ChartData } from './series-math.ts';

/** What each kind of data is, for people. */
export const KIND_LABELS: Record<StoreKind, string> = {
  raw: 'Raw samples',
  chunks: 'Compacted samples',
  rollups_1m: '1-minute rollups',
  rollups_1h: '1-hour rollups',
  statements: 'Query statistics',
  activity: 'Active sessions',
  events: 'Events',
  dictionary: 'Series dictionary',
  ingest: 'Ingest bookkeeping',
  other: 'Everything else',
};

/**
 * Size over time, one series per kind that ever held data, largest last so a stacked chart
 * keeps the small kinds readable at the bottom. The measurement of the answer is added as the
 * newest point when it is newer than the last snapshot: a chart of one snapshot still has a line.
 */
export function storeChartData(size: StoreSize): ChartData {
  const x = [...size.history.ts];
  const live = x.length === 0 || size.measured_at > x[x.length - 1];
  if (live) x.push(size.measured_at);
  const now = new Map(size.kinds.map((k) => [k.kind, k.bytes]));
  const series = size.kinds
    .map((k) => {
      const values = [...(size.history.kinds[k.kind] ?? size.history.ts.map(() => null))];
      if (live) values.push(now.get(k.kind) ?? null);
      return { kind: k.kind, values, peak: Math.max(0, ...values.map((v) => v ?? 0)) };
    })
    .filter((s) => s.peak > 0)
    .sort((a, b) => a.peak - b.peak);
  return { x, series: series.map((s) => ({ label: KIND_LABELS[s.kind], values: s.values })) };
}

/** The share of the database a kind takes, in percent; null when the total is 0. */
export function sharePercent(bytes: number, total: number): number | null {
  return total > 0 ? (bytes / total) * 100 : null;
}
