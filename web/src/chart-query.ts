// How a chart asks the API for its series: the shared range, the point budget, empty on 404.
import { ApiError, fetchSeries, type Instance, type Series, type SeriesQuery } from './api.ts';
import { alignSeries, type ChartData } from './series-math.ts';

/** What a chart loader gets: the instance, the shared time range and the chart's point budget. */
export interface ChartContext {
  instance: Instance;
  from: number;
  to: number;
  maxPoints: number;
  signal: AbortSignal;
}

type Extra = Omit<SeriesQuery, 'instance' | 'from' | 'to' | 'maxPoints' | 'metric'>;

/** One metric over the chart's range. A 404 (the instance is gone) is empty here: the page header reports it. */
export async function query(ctx: ChartContext, metric: string, extra: Extra = {}): Promise<Series[]> {
  try {
    const res = await fetchSeries(
      { instance: ctx.instance.id, metric, from: ctx.from, to: ctx.to, maxPoints: ctx.maxPoints, ...extra },
      ctx.signal,
    );
    return res.series;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/** Several metrics, each summed over its series (by=), as the named lines of one chart. */
export async function summed(ctx: ChartContext, lines: [label: string, metric: string][], fn: 'rate' | 'value'): Promise<ChartData> {
  const answers = await Promise.all(lines.map(([, metric]) => query(ctx, metric, { fn, by: '' })));
  return alignSeries(lines.map(([label], i) => ({ label, points: answers[i][0]?.points ?? [] })));
}
