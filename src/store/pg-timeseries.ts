import type { Sql, TransactionSql } from 'postgres';
import { StoreError } from './errors.ts';
import type { MetricInfo, RangeQuery, RangeResult, SampleColumns, SeriesKey, StoredMetric, TimeseriesStore } from './timeseries.ts';

export const DAY_MS = 86_400_000;

/** Canonical text of a label set: keys sorted, so equal sets give equal keys. */
export function labelsKey(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify(keys.map((k) => [k, labels[k]]));
}

/** Tables partitioned by day of `ts` (ms): created ahead together, dropped by retention together. */
export const DAY_PARTITIONED = ['samples', 'statement_stats', 'activity_samples'] as const;

function partitionName(parent: string, dayStart: number): string {
  return `${parent}_${new Date(dayStart).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/**
 * Samples in day partitions of a plain PostgreSQL table, series in a dictionary
 * table cached in memory (series are never renumbered or deleted while cached).
 */
export class PgTimeseriesStore implements TimeseriesStore {
  private readonly seriesCache = new Map<string, number>();
  private metricsCache = new Map<string, StoredMetric>();
  private metricsLoadedAt = 0;

  constructor(private readonly sql: Sql) {}

  async ensureMetrics(metrics: MetricInfo[]): Promise<Map<string, StoredMetric>> {
    const changed = metrics.filter((m) => {
      const have = this.metricsCache.get(m.name);
      return !have || have.kind !== m.kind || (m.unit ?? null) !== (have.unit ?? null) || (m.interval_ms !== undefined && m.interval_ms !== have.interval_ms);
    });
    if (changed.length > 0 || this.metricsCache.size === 0) {
      const uniq = new Map(changed.map((m) => [m.name, m]));
      if (uniq.size > 0) {
        const list = [...uniq.values()];
        await this.sql`
          insert into metrics (name, kind, unit, interval_ms)
          select * from unnest(${list.map((m) => m.name)}::text[], ${list.map((m) => m.kind)}::text[],
                               ${list.map((m) => m.unit ?? null)}::text[], ${list.map((m) => m.interval_ms ?? null)}::int[])
          on conflict (name) do update set kind = excluded.kind, unit = excluded.unit,
            interval_ms = coalesce(excluded.interval_ms, metrics.interval_ms)`;
      }
      const rows = await this.sql<{ id: number; name: string; kind: 'gauge' | 'counter'; unit: string | null; interval_ms: number | null }[]>`
        select id, name, kind, unit, interval_ms from metrics`;
      this.metricsLoadedAt = Date.now();
      this.metricsCache = new Map(rows.map((r) => [r.name, {
        id: r.id, name: r.name, kind: r.kind, unit: r.unit ?? undefined, interval_ms: r.interval_ms ?? undefined,
      }]));
    }
    return this.metricsCache;
  }

  async metricByName(name: string): Promise<StoredMetric | undefined> {
    // Another process (a keeper) may have registered it since: reload, at most every 2 s.
    if (!this.metricsCache.has(name) && Date.now() - this.metricsLoadedAt > 2000) {
      this.metricsCache = new Map();
      await this.ensureMetrics([]);
    }
    return this.metricsCache.get(name);
  }

  async resolveSeries(keys: SeriesKey[]): Promise<number[]> {
    const cacheKeys = keys.map((k) => `${k.ownerKind}${k.ownerId}|${k.metricId}|${labelsKey(k.labels)}`);
    const missing = new Map<string, SeriesKey>();
    cacheKeys.forEach((ck, i) => { if (!this.seriesCache.has(ck)) missing.set(ck, keys[i]); });
    if (missing.size > 0) {
      const list = [...missing.values()];
      const cols = [
        list.map((k) => k.ownerKind), list.map((k) => k.ownerId), list.map((k) => k.metricId), list.map((k) => JSON.stringify(k.labels)),
      ] as const;
      await this.sql`
        insert into series (owner_kind, owner_id, metric_id, labels)
        select ok, oi, mi, l::jsonb from unnest(${cols[0]}::char[], ${cols[1]}::int[], ${cols[2]}::int[], ${cols[3]}::text[]) k(ok, oi, mi, l)
        on conflict do nothing`;
      const rows = await this.sql<{ id: number; owner_kind: 'i' | 'n'; owner_id: number; metric_id: number; labels: string }[]>`
        select s.id, s.owner_kind, s.owner_id, s.metric_id, s.labels::text as labels
        from series s join unnest(${cols[0]}::char[], ${cols[1]}::int[], ${cols[2]}::int[], ${cols[3]}::text[]) k(ok, oi, mi, l)
          on s.owner_kind = k.ok and s.owner_id = k.oi and s.metric_id = k.mi
            and md5(s.labels::text) = md5(k.l::jsonb::text) and s.labels = k.l::jsonb`;
      for (const r of rows) this.seriesCache.set(`${r.owner_kind}${r.owner_id}|${r.metric_id}|${labelsKey(JSON.parse(r.labels))}`, r.id);
    }
    return cacheKeys.map((ck) => {
      const id = this.seriesCache.get(ck);
      if (id === undefined) throw new Error(`series ${ck} was not created`);
      return id;
    });
  }

  async findSeries(owners: { kind: 'i' | 'n'; id: number }[], metricId: number) {
    if (owners.length === 0) return [];
    // jsonb read as text and parsed here: the result does not depend on the client's type parsers.
    const rows = await this.sql<{ id: number; labels: string }[]>`
      select id, labels::text as labels from series
      where (owner_kind, owner_id) in (select * from unnest(${owners.map((o) => o.kind)}::char[], ${owners.map((o) => o.id)}::int[]))
        and metric_id = ${metricId}
      order by id`;
    return rows.map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Record<string, string> }));
  }

  async writeSamples(tx: TransactionSql, rows: SampleColumns): Promise<void> {
    const n = rows.seriesId.length;
    if (n === 0) return;
    const stream = await tx`copy samples (series_id, ts, value) from stdin`.writable();
    let failed: Error | undefined;
    const done = new Promise<void>((resolve, reject) => {
      stream.once('error', (err) => { failed = err; reject(err); });
      stream.once('finish', resolve);
    });
    done.catch(() => {});
    const CHUNK = 4096;
    for (let i = 0; i < n && !failed; i += CHUNK) {
      let text = '';
      const end = Math.min(n, i + CHUNK);
      for (let j = i; j < end; j++) text += `${rows.seriesId[j]}\t${rows.ts[j]}\t${copyFloat(rows.value[j])}\n`;
      if (!stream.write(text)) await Promise.race([new Promise((r) => stream.once('drain', r)), done]);
    }
    stream.end();
    // postgres.js 3.4 never settles the stream when the server rejects COPY data after
    // CopyDone (porsager/postgres#1173), so a refusal shows as a stall: give up after a
    // generous time; the transaction then rolls back and the keeper isolates the batch.
    const limitMs = 30_000 + n / 10;
    let timer: NodeJS.Timeout | undefined;
    const stalled = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new StoreError('PGFLEET_STORE_COPY_STALLED',
        `COPY of ${n} samples did not complete in ${Math.round(limitMs / 1000)} s: PostgreSQL refused the data (postgres.js does not report the reason)`)), limitMs);
    });
    try { await Promise.race([done, stalled]); } finally { clearTimeout(timer); }
  }

  async queryRange(q: RangeQuery): Promise<RangeResult> {
    const out: RangeResult = new Map(q.seriesIds.map((id) => [id, new Map()]));
    if (q.seriesIds.length === 0) return out;
    const step = q.stepMs;
    const rows = q.fn === 'rate'
      ? await this.sql<{ series_id: number; b: string; v: number }[]>`
          select series_id, (ts / ${step}::bigint) * ${step}::bigint as b, avg(r)::float8 as v from (
            select series_id, ts,
              (case when d < 0 then value else d end) * 1000.0 / dt as r
            from (
              select series_id, ts, value, value - lag(value) over w as d, ts - lag(ts) over w as dt
              from samples
              where series_id = any(${q.seriesIds}::int[]) and ts >= ${q.from - Math.max(step, 120_000)}::bigint and ts < ${q.to}::bigint
              window w as (partition by series_id order by ts)
            ) x where dt > 0
          ) y where ts >= ${q.from}::bigint
          group by 1, 2`
      : await this.sql<{ series_id: number; b: string; v: number }[]>`
          select series_id, (ts / ${step}::bigint) * ${step}::bigint as b, avg(value)::float8 as v
          from samples
          where series_id = any(${q.seriesIds}::int[]) and ts >= ${q.from}::bigint and ts < ${q.to}::bigint
          group by 1, 2`;
    for (const r of rows) out.get(r.series_id)!.set(Number(r.b), r.v);
    return out;
  }

  async queryLast(seriesIds: number[], at: number, lookbackMs: number) {
    const out = new Map<number, { ts: number; value: number }>();
    if (seriesIds.length === 0) return out;
    const rows = await this.sql<{ series_id: number; ts: string; value: number }[]>`
      select distinct on (series_id) series_id, ts, value from samples
      where series_id = any(${seriesIds}::int[]) and ts <= ${at}::bigint and ts > ${at - lookbackMs}::bigint
      order by series_id, ts desc`;
    for (const r of rows) out.set(r.series_id, { ts: Number(r.ts), value: r.value });
    return out;
  }

  async ensurePartitions(from: number, to: number): Promise<string[]> {
    const days: number[] = [];
    for (let day = Math.floor(from / DAY_MS) * DAY_MS; day < to; day += DAY_MS) days.push(day);
    if (days.length === 0) return [];
    // Asked every batch, not cached: another process's retention may have dropped one.
    const missing = await this.sql<{ parent: string; day: number }[]>`
      select p as parent, d as day from unnest(${[...DAY_PARTITIONED]}::text[]) p, unnest(${days}::bigint[]) d
      where to_regclass(p || '_' || to_char(to_timestamp(d / 1000) at time zone 'UTC', 'YYYYMMDD')) is null`;
    const created: string[] = [];
    for (const { parent, day } of missing) {
      const name = partitionName(parent, day);
      // Two processes may race here; "already exists" from the loser is fine.
      try {
        await this.sql.unsafe(`create table if not exists ${name} partition of ${parent} for values from (${day}) to (${day + DAY_MS})`);
      } catch (err) {
        if (!/already exists/.test((err as Error).message)) throw err;
      }
      created.push(name);
    }
    return created;
  }

  async dropPartitionsBefore(before: number): Promise<string[]> {
    const dropped: string[] = [];
    for (const parent of DAY_PARTITIONED) {
      for (const p of await this.listPartitions(parent)) {
        if (p.to > before) continue;
        await this.sql.unsafe(`drop table if exists ${p.name}`);
        dropped.push(p.name);
      }
    }
    return dropped;
  }

  async partitionRange() {
    const parts = await this.listPartitions();
    if (parts.length === 0) return undefined;
    return { from: Math.min(...parts.map((p) => p.from)), to: Math.max(...parts.map((p) => p.to)) };
  }

  private async listPartitions(parent = 'samples'): Promise<{ name: string; from: number; to: number }[]> {
    const rows = await this.sql<{ name: string; bound: string }[]>`
      select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
      from pg_inherits i join pg_class c on c.oid = i.inhrelid
      where i.inhparent = ${parent}::regclass`;
    return rows.flatMap((r) => {
      const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
      return m ? [{ name: r.name, from: Number(m[1]), to: Number(m[2]) }] : [];
    });
  }
}

/** COPY text form of a float8: NaN and infinities spelled as PostgreSQL reads them. */
function copyFloat(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}
