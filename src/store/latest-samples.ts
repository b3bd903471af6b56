import type { Sql } from 'postgres';
import { rawBuckets } from './timeseries.ts';

/** The newest raw sample of one series, with what names it. */
export interface LatestSample {
  seriesId: number;
  metric: string;
  kind: 'gauge' | 'counter';
  /** 'i': an instance's series; 'n': its node's (host metrics). */
  ownerKind: 'i' | 'n';
  /** Instance name, or node name. */
  owner: string;
  /** The instance's namespace and cluster (null for node series). */
  namespace: string | null;
  cluster: string | null;
  labels: Record<string, string>;
  value: number;
  ts: number;
}

/**
 * The newest sample of every series that has one at or after `since` (ms), read from raw rows:
 * the newest row of each series set, unnested. A series found in several sets (its set changed
 * when the message's series changed) keeps its newest sample.
 */
export async function latestSamples(sql: Sql, since: number): Promise<LatestSample[]> {
  const rows = await sql<{ series_id: number; metric: string; kind: 'gauge' | 'counter'; owner_kind: 'i' | 'n'; owner: string; namespace: string | null; cluster: string | null; labels: Record<string, string>; value: number; ts: number }[]>`
    with last as (
      select distinct on (r.set_id) r.set_id, r.ts, r.vals from sample_sets r
      where r.ts >= ${since}::bigint and (r.ts / 600000)::int >= ${rawBuckets(since, since + 1)[0]}::int
      order by r.set_id, r.ts desc
    )
    select s.id as series_id, m.name as metric, m.kind, s.owner_kind, coalesce(i.name, n.name) as owner,
      ns.name as namespace, c.name as cluster, s.labels, l.vals[u.pos] as value, l.ts
    from last l join series_sets ss on ss.id = l.set_id
      cross join lateral unnest(ss.series) with ordinality u(series_id, pos)
      join series s on s.id = u.series_id join metrics m on m.id = s.metric_id
      left join instances i on s.owner_kind = 'i' and i.id = s.owner_id
      left join clusters c on c.id = i.cluster_id left join namespaces ns on ns.id = c.namespace_id
      left join nodes n on s.owner_kind = 'n' and n.id = s.owner_id
    where coalesce(i.name, n.name) is not null`;
  const newest = new Map<number, LatestSample>();
  for (const r of rows) {
    const seen = newest.get(r.series_id);
    if (seen && seen.ts >= Number(r.ts)) continue;
    newest.set(r.series_id, {
      seriesId: r.series_id, metric: r.metric, kind: r.kind, ownerKind: r.owner_kind, owner: r.owner,
      namespace: r.namespace, cluster: r.cluster, labels: r.labels, value: r.value, ts: Number(r.ts),
    });
  }
  return [...newest.values()];
}

/** The newest sample of each series of these metrics of one owner, at or after `since` (ms). */
export async function latestOfMetrics(sql: Sql, owner: { kind: 'i' | 'n'; id: number }, metrics: string[], since: number):
Promise<{ seriesId: number; metric: string; labels: Record<string, string>; value: number; ts: number }[]> {
  const rows = await sql<{ series_id: number; metric: string; labels: Record<string, string>; value: number; ts: number }[]>`
    select distinct on (s.id) s.id as series_id, mt.name as metric, s.labels, r.vals[m.pos] as value, r.ts
    from series s join metrics mt on mt.id = s.metric_id
      join series_set_members m on m.series_id = s.id
      join sample_sets r on r.set_id = m.set_id
    where s.owner_kind = ${owner.kind} and s.owner_id = ${owner.id} and mt.name = any(${metrics}::text[]) and r.ts >= ${since}::bigint
      and (r.ts / 600000)::int >= ${rawBuckets(since, since + 1)[0]}::int
    order by s.id, r.ts desc`;
  return rows.map((r) => ({ seriesId: r.series_id, metric: r.metric, labels: r.labels, value: r.value, ts: Number(r.ts) }));
}
