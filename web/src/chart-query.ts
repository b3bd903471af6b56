// How a chart asks the API for its series: every line of a chart (and of its earlier window in
// compare mode) in one POST /api/v1/series/query, so a chart costs one round trip.
import { ApiError, fetchSeriesBatch, type Instance, type Series, type SeriesBatchQuery } from './api.ts';
import { alignSeries, type ChartData } from './series-math.ts';

/** What a chart loader gets: the instance, the shared time range, the point budget and where to send queries. */
export interface ChartContext {
  instance: Instance;
  from: number;
  to: number;
  maxPoints: number;
  signal: AbortSignal;
  batch: SeriesBatch;
  /** Read the window this long before (`1d`, `7d`), on this window's time axis. */
  offset?: string;
}

type Extra = Omit<SeriesBatchQuery, 'metric' | 'offset'>;

/**
 * Collects the queries a chart's loaders make while they start, then sends them together.
 * Loaders call `query` before their first await (an async function runs until then), so
 * `send()` right after starting them finds every query.
 */
export class SeriesBatch {
  private readonly queued: { q: SeriesBatchQuery; resolve: (s: Series[]) => void; reject: (e: unknown) => void }[] = [];

  constructor(private readonly instance: string, private readonly window: { from: number; to: number; maxPoints: number }, private readonly signal: AbortSignal) {}

  private sent = false;

  add(q: SeriesBatchQuery): Promise<Series[]> {
    const p = new Promise<Series[]>((resolve, reject) => this.queued.push({ q, resolve, reject }));
    // A query made after the batch went (a loader that awaited first) goes in a request of its own.
    if (this.sent) queueMicrotask(() => void this.send());
    return p;
  }

  /** One request for everything queued. A 404 (the instance is gone) is empty here: the page header reports it. */
  async send(): Promise<void> {
    this.sent = true;
    const queued = this.queued.splice(0);
    if (queued.length === 0) return;
    try {
      const res = await fetchSeriesBatch({ instance: this.instance, ...this.window, queries: queued.map((x) => x.q) }, this.signal);
      queued.forEach((x, i) => x.resolve(res.results[i]?.series ?? []));
    } catch (err) {
      if (err instanceof ApiError && err.status === 404) queued.forEach((x) => x.resolve([]));
      else queued.forEach((x) => x.reject(err));
    }
  }
}

/** One metric over the chart's range. */
export function query(ctx: ChartContext, metric: string, extra: Extra = {}): Promise<Series[]> {
  return ctx.batch.add({ metric, ...extra, ...(ctx.offset ? { offset: ctx.offset } : {}) });
}

/** Several metrics, each summed over its series (by=), as the named lines of one chart. */
export async function summed(ctx: ChartContext, lines: [label: string, metric: string][], fn: 'rate' | 'value'): Promise<ChartData> {
  const answers = await Promise.all(lines.map(([, metric]) => query(ctx, metric, { fn, by: '' })));
  return alignSeries(lines.map(([label], i) => ({ label, points: answers[i][0]?.points ?? [] })));
}
