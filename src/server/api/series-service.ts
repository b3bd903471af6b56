import type { MetricDef } from '../../catalog/index.ts';
import { resolutionForStep, type InstanceRow, type Resolution, type SeriesFn, type Store } from '../../store/index.ts';
import { ApiError } from './errors.ts';
import { chooseStep, checkWindow } from './time.ts';

export const AGGS = ['sum', 'avg', 'max', 'min'] as const;
export type Agg = (typeof AGGS)[number];

export interface SeriesRequest {
  instance: string;
  metric: string;
  from: number;
  to: number;
  maxPoints: number;
  fn?: SeriesFn;
  /** Label names to group by; [] aggregates everything into one series; undefined keeps every series. */
  by?: string[];
  agg?: Agg;
  match?: Record<string, string>;
}

export interface SeriesResponse {
  instance: string;
  metric: string;
  kind: 'gauge' | 'counter';
  unit: string | null;
  fn: SeriesFn;
  from: number;
  to: number;
  step_ms: number;
  resolution: Resolution;
  series: { labels: Record<string, string>; points: [number, number | null][] }[];
}

const COMBINE: Record<Agg, (a: number, b: number) => number> = {
  sum: (a, b) => a + b, max: Math.max, min: Math.min, avg: (a, b) => a + b,
};

/** Answers range queries: picks the step, reads buckets, groups by labels, fills gaps with null. */
export class SeriesService {
  constructor(private readonly store: Store, private readonly catalog: Map<string, MetricDef>) {}

  async instance(name: string): Promise<InstanceRow> {
    const inst = await this.store.inventory.getInstance(name);
    if (!inst) throw new ApiError('PGFLEET_API_NOT_FOUND', `instance "${name}" is not known`);
    return inst;
  }

  async query(req: SeriesRequest, inst?: InstanceRow): Promise<SeriesResponse> {
    checkWindow(req.from, req.to);
    const instance = inst ?? await this.instance(req.instance);
    const stored = await this.store.timeseries.metricByName(req.metric);
    const known = this.catalog.get(req.metric);
    if (!stored && !known) {
      const near = [...this.catalog.keys()].filter((n) => n.startsWith(req.metric.split('.')[0])).slice(0, 5);
      throw new ApiError('PGFLEET_API_UNKNOWN_METRIC', `unknown metric "${req.metric}"${near.length ? `; did you mean ${near.join(', ')}?` : ' (GET /api/v1/catalog lists them)'}`);
    }
    const kind = stored?.kind ?? known!.kind;
    const fn: SeriesFn = req.fn ?? (kind === 'counter' ? 'rate' : 'value');
    const step = chooseStep(req.from, req.to, req.maxPoints, stored?.interval_ms ?? 1000);
    const first = Math.floor(req.from / step) * step;
    const base = { instance: instance.name, metric: req.metric, kind, unit: stored?.unit ?? known?.unit ?? null, fn, from: req.from, to: req.to, step_ms: step, resolution: resolutionForStep(step) };
    if (!stored) return { ...base, series: [] };

    const owners: { kind: 'i' | 'n'; id: number }[] = [{ kind: 'i', id: instance.id }];
    if (instance.node_id !== null) owners.push({ kind: 'n', id: instance.node_id });
    const all = await this.store.timeseries.findSeries(owners, stored.id);
    // A label this metric does not have is a mistake (a typo), not an empty answer.
    const labelsOf = new Set([...(known?.labels ?? []), ...all.flatMap((s) => Object.keys(s.labels))]);
    for (const [param, names] of [['by', req.by ?? []], ['match', Object.keys(req.match ?? {})]] as const) {
      const unknown = names.filter((n) => !labelsOf.has(n));
      if (unknown.length) {
        throw new ApiError('PGFLEET_API_BAD_PARAM', `${param}: ${req.metric} has no label ${unknown.map((n) => `"${n}"`).join(', ')}; its labels: ${[...labelsOf].sort().join(', ') || '(none)'}`);
      }
    }
    const match = Object.entries(req.match ?? {});
    const series = all.filter((s) => match.every(([k, v]) => s.labels[k] === v));
    const { buckets, resolution } = await this.store.timeseries.queryRange({ seriesIds: series.map((s) => s.id), from: first, to: req.to, stepMs: step, fn, kind });

    // Group: each output series combines the input series with the same projected labels.
    const out = combineSeries(series, buckets, (s) => {
      const labels = req.by === undefined ? s.labels : Object.fromEntries(req.by.filter((k) => k in s.labels).map((k) => [k, s.labels[k]]));
      return { key: JSON.stringify(Object.entries(labels).sort()), labels };
    }, req.agg ?? 'sum', { first, to: req.to, step }).map(({ labels, points }) => ({ labels, points }));
    out.sort((a, b) => JSON.stringify(a.labels).localeCompare(JSON.stringify(b.labels)));
    return { ...base, resolution, series: out };
  }

  /**
   * One line per owner (its matching series combined by `agg`) for many owners in one range
   * query: what the fleet page needs of every instance at once. Owners without data are absent;
   * an unknown metric gives an empty map.
   */
  async perOwner(q: { owners: { kind: 'i' | 'n'; id: number }[]; metric: string; from: number; to: number; maxPoints: number; fn?: SeriesFn; match?: Record<string, string>; agg?: Agg }):
  Promise<Map<string, [number, number | null][]>> {
    const stored = await this.store.timeseries.metricByName(q.metric);
    if (!stored || q.owners.length === 0) return new Map();
    const fn: SeriesFn = q.fn ?? (stored.kind === 'counter' ? 'rate' : 'value');
    const step = chooseStep(q.from, q.to, q.maxPoints, stored.interval_ms ?? 1000);
    const first = Math.floor(q.from / step) * step;
    const match = Object.entries(q.match ?? {});
    const series = (await this.store.timeseries.findSeries(q.owners, stored.id)).filter((s) => match.every(([k, v]) => s.labels[k] === v));
    const { buckets } = await this.store.timeseries.queryRange({ seriesIds: series.map((s) => s.id), from: first, to: q.to, stepMs: step, fn, kind: stored.kind });
    const lines = combineSeries(series, buckets, (s) => ({ key: ownerKey(s.ownerKind, s.ownerId), labels: {} }), q.agg ?? 'sum', { first, to: q.to, step });
    return new Map(lines.map((l) => [l.key, l.points]));
  }
}

/** The key of an owner in perOwner's answer. */
export function ownerKey(kind: 'i' | 'n', id: number): string {
  return `${kind}:${id}`;
}

/** Series grouped by `keyOf` and combined per bucket with `agg`; every bucket of the range present, null where no series had a value. */
function combineSeries<S extends { id: number }>(series: S[], buckets: Map<number, Map<number, number>>, keyOf: (s: S) => { key: string; labels: Record<string, string> },
  agg: Agg, range: { first: number; to: number; step: number }): { key: string; labels: Record<string, string>; points: [number, number | null][] }[] {
  const groups = new Map<string, { labels: Record<string, string>; values: Map<number, number>; counts: Map<number, number> }>();
  for (const s of series) {
    const { key, labels } = keyOf(s);
    let g = groups.get(key);
    if (!g) { g = { labels, values: new Map(), counts: new Map() }; groups.set(key, g); }
    for (const [b, v] of buckets.get(s.id) ?? []) {
      const have = g.values.get(b);
      g.values.set(b, have === undefined ? v : COMBINE[agg](have, v));
      g.counts.set(b, (g.counts.get(b) ?? 0) + 1);
    }
  }
  return [...groups].map(([key, g]) => {
    const points: [number, number | null][] = [];
    for (let b = range.first; b < range.to; b += range.step) {
      const v = g.values.get(b);
      points.push([b, v === undefined ? null : agg === 'avg' ? v / g.counts.get(b)! : v]);
    }
    return { key, labels: g.labels, points };
  });
}
