import type { Sql, TransactionSql } from 'postgres';
import { copyIn, sampleSetsBinary } from './copy.ts';
import { decodeChunk } from './chunk/index.ts';
import { LruMap } from './lru-map.ts';
import { numberArray } from './pg-array.ts';
import { DAY_MS, INGEST_TABLES, dropPartitionsBefore, ensurePartitions, type PartitionedTable } from './partitions.ts';
import { ROLLUP_GRACE_MS, ROLLUP_LATE_SLACK_MS } from './rollups.ts';
import {
  RESOLUTION_MS, rawBuckets, type MetricInfo, type RangeAnswer, type RangeQuery, type RangeResult, type Resolution, type Retention,
  type SeriesKey, type SeriesSet, type SetRows, type StoredMetric, type TimeseriesStore,
} from './timeseries.ts';

/** One series in one step: the sum and its weight, or the last value, its time and set. */
interface StepAcc { sum: number; weight: number; last: number; lastTs: number; lastSet: number; rows?: Set<number> }

/** Series (and sets) kept in each cache, the least recently used forgotten first: about 30 MB of keys. */
const MAX_CACHED = 200_000;

/** Canonical text of a label set: keys sorted, so equal sets give equal keys. */
export function labelsKey(labels: Record<string, string>): string {
  const keys = Object.keys(labels).sort();
  return JSON.stringify(keys.map((k) => [k, labels[k]]));
}

/**
 * Samples by series set in day partitions of plain PostgreSQL tables, rolled up and
 * compacted by the worker; series and sets in dictionary tables cached in memory
 * (they are never renumbered or deleted while cached). Layout: docs/storage.md.
 */
export class PgTimeseriesStore implements TimeseriesStore {
  // Asked for only when a collector's message changes shape (the keeper remembers shapes):
  // bounded, so a large fleet's dictionary is not held in memory for nothing.
  private readonly seriesCache = new LruMap<string, number>(MAX_CACHED);
  private readonly setCache = new LruMap<string, number>(MAX_CACHED);
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
    // Ids found here, so that entries the cache forgets while this call fills it are not needed again.
    const found = new Map<string, number>();
    cacheKeys.forEach((ck, i) => {
      const id = this.seriesCache.get(ck);
      if (id !== undefined) found.set(ck, id); else missing.set(ck, keys[i]);
    });
    if (missing.size > 0) {
      const list = [...missing.values()];
      const cols = [
        list.map((k) => k.ownerKind), list.map((k) => k.ownerId), list.map((k) => k.metricId), list.map((k) => JSON.stringify(k.labels)),
      ] as const;
      // New series come back from the insert; only those that existed already are looked up. In the
      // unique key's order, as the sets below: batches in flight (a keeper's, other keepers') that
      // register the same new series wait for each other instead of deadlocking.
      const created = await this.sql<{ id: number; owner_kind: 'i' | 'n'; owner_id: number; metric_id: number; labels: string }[]>`
        insert into series (owner_kind, owner_id, metric_id, labels)
        select ok, oi, mi, l::jsonb from unnest(${cols[0]}::char[], ${cols[1]}::int[], ${cols[2]}::int[], ${cols[3]}::text[]) k(ok, oi, mi, l)
        order by ok, oi, mi, md5(l::jsonb::text)
        on conflict do nothing
        returning id, owner_kind, owner_id, metric_id, labels::text as labels`;
      const cacheRow = (r: (typeof created)[number]) => {
        const ck = `${r.owner_kind}${r.owner_id}|${r.metric_id}|${labelsKey(JSON.parse(r.labels))}`;
        this.seriesCache.set(ck, r.id);
        found.set(ck, r.id);
      };
      for (const r of created) cacheRow(r);
      if (created.length < list.length) {
        const old = [...missing].filter(([ck]) => !found.has(ck)).map(([, k]) => k);
        const rows = await this.sql<{ id: number; owner_kind: 'i' | 'n'; owner_id: number; metric_id: number; labels: string }[]>`
          select s.id, s.owner_kind, s.owner_id, s.metric_id, s.labels::text as labels
          from series s join unnest(${old.map((k) => k.ownerKind)}::char[], ${old.map((k) => k.ownerId)}::int[], ${old.map((k) => k.metricId)}::int[],
                                    ${old.map((k) => JSON.stringify(k.labels))}::text[]) k(ok, oi, mi, l)
            on s.owner_kind = k.ok and s.owner_id = k.oi and s.metric_id = k.mi
              and md5(s.labels::text) = md5(k.l::jsonb::text) and s.labels = k.l::jsonb`;
        for (const r of rows) cacheRow(r);
      }
    }
    return cacheKeys.map((ck) => {
      const id = found.get(ck);
      if (id === undefined) throw new Error(`series ${ck} was not created`);
      return id;
    });
  }

  async findSeries(owners: { kind: 'i' | 'n'; id: number }[], metricId: number) {
    if (owners.length === 0) return [];
    // jsonb read as text and parsed here: the result does not depend on the client's type parsers.
    const rows = await this.sql<{ id: number; labels: string; owner_kind: 'i' | 'n'; owner_id: number }[]>`
      select id, labels::text as labels, owner_kind, owner_id from series
      where (owner_kind, owner_id) in (select * from unnest(${owners.map((o) => o.kind)}::char[], ${owners.map((o) => o.id)}::int[]))
        and metric_id = ${metricId}
      order by id`;
    return rows.map((r) => ({ id: r.id, labels: JSON.parse(r.labels) as Record<string, string>, ownerKind: r.owner_kind, ownerId: r.owner_id }));
  }

  async resolveSets(sets: SeriesSet[]): Promise<number[]> {
    const keys = sets.map((s) => s.series.join(','));
    const missing = new Map<string, SeriesSet>();
    const found = new Map<string, number>();
    keys.forEach((k, i) => {
      const id = this.setCache.get(k);
      if (id !== undefined) found.set(k, id); else missing.set(k, sets[i]);
    });
    if (missing.size > 0) {
      const list = [...missing.values()];
      // Arrays of arrays do not pass through unnest: each set travels as text ('{1,2,3}').
      const series = list.map((s) => numberArray(s.series));
      await this.sql`
        insert into series_sets (owner_kind, owner_id, series, counters, interval_ms)
        select ok, oi, s::int[], c::boolean[], iv
        from unnest(${list.map((s) => s.ownerKind)}::char[], ${list.map((s) => s.ownerId)}::int[], ${series}::text[],
                    ${list.map((s) => `{${s.counters.map((c) => (c ? 't' : 'f')).join(',')}}`)}::text[],
                    ${list.map((s) => s.intervalMs ?? null)}::int[]) k(ok, oi, s, c, iv)
        order by series_set_key(s::int[])
        on conflict do nothing`;
      const rows = await this.sql<{ id: number; series: string }[]>`
        select id, array_to_string(series, ',') as series from series_sets
        where series_set_key(series) = any(select series_set_key(s::int[]) from unnest(${series}::text[]) s)`;
      // Members are written by whoever asks, not only by the creator: idempotent, and a
      // process that died between the two statements leaves nothing half done for long.
      const ids = rows.map((r) => r.id);
      await this.sql`
        insert into series_set_members (series_id, set_id, pos)
        select m.series_id, s.id, m.pos from series_sets s, unnest(s.series) with ordinality m(series_id, pos)
        where s.id = any(${ids}::int[])
        on conflict do nothing`;
      for (const r of rows) { this.setCache.set(r.series, r.id); found.set(r.series, r.id); }
    }
    return keys.map((k) => {
      const id = found.get(k);
      if (id === undefined) throw new Error(`series set ${k.slice(0, 80)} was not created`);
      return id;
    });
  }

  async writeSets(tx: TransactionSql, rows: SetRows, now = Date.now()): Promise<void> {
    const n = rows.setId.length;
    if (n === 0) return;
    await copyIn(tx, 'copy sample_sets (set_id, ts, vals) from stdin with (format binary)', n, [sampleSetsBinary(rows)]);
    // A sample in a bucket the rollup job may have closed already reopens that bucket.
    // One mark per bucket (ON CONFLICT DO UPDATE may not touch a row twice in one statement),
    // and keepers mark in one order (resolution, set, bucket), so two batches cannot deadlock on marks.
    const redo = { res: [] as string[], setId: [] as number[], ts: [] as number[] };
    for (const [res, width] of ROLLUP_WIDTHS) {
      // A worker whose clock is up to the slack ahead of this one may have closed it already.
      const closedBefore = now - ROLLUP_GRACE_MS[res] + ROLLUP_LATE_SLACK_MS;
      const marks: [number, number][] = [];
      for (let i = 0; i < n; i++) {
        const bucket = Math.floor(rows.ts[i] / width) * width;
        if (bucket + width <= closedBefore) marks.push([rows.setId[i], bucket]);
      }
      marks.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
      for (let k = 0; k < marks.length; k++) {
        if (k > 0 && marks[k][0] === marks[k - 1][0] && marks[k][1] === marks[k - 1][1]) continue;
        redo.res.push(res); redo.setId.push(marks[k][0]); redo.ts.push(marks[k][1]);
      }
    }
    if (redo.res.length > 0) {
      await tx`insert into rollup_redo (resolution, set_id, ts)
        select * from unnest(${redo.res}::text[], ${redo.setId}::int[], ${redo.ts}::bigint[])
        on conflict (resolution, set_id, ts) do update set id = nextval('rollup_redo_id')`;
    }
  }

  async queryRange(q: RangeQuery): Promise<RangeAnswer> {
    const resolution = q.resolution ?? resolutionForStep(q.stepMs);
    const buckets: RangeResult = new Map(q.seriesIds.map((id) => [id, new Map()]));
    const answer = { resolution, buckets };
    if (q.seriesIds.length === 0) return answer;
    // A gauge's rate needs consecutive samples; rollups keep increases for counters only.
    if (resolution === 'raw' || (q.fn === 'rate' && q.kind !== 'counter')) {
      await this.rawBuckets(q, q.seriesIds, q.from, q.to, buckets);
      return answer;
    }
    const width = RESOLUTION_MS[resolution];
    const table = resolution === '1m' ? 'rollups_1m' : 'rollups_1h';
    // Series found in a set the rollup leaves out (1m: collected every minute or slower, where
    // a 1-minute rollup would be as large as the samples) are read raw over the whole range.
    const [members, [state]] = await Promise.all([
      this.sql<{ series_id: number; set_id: number; pos: number; rolled: boolean }[]>`
        select m.series_id, m.set_id, m.pos, ${resolution === '1h'}::boolean or coalesce(s.interval_ms, 0) < ${width} as rolled
        from series_set_members m join series_sets s on s.id = m.set_id
        where m.series_id = any(${q.seriesIds}::int[])`,
      this.sql<{ done_to: number }[]>`select done_to from rollup_state where resolution = ${resolution}`,
    ]);
    const notRolled = new Set(members.filter((m) => !m.rolled).map((m) => m.series_id));
    const picks = members.filter((m) => !notRolled.has(m.series_id));
    const rolledIds = new Set(picks.map((m) => m.series_id));
    const fromRollup = [...rolledIds];
    const rawOnly = q.seriesIds.filter((id) => !rolledIds.has(id));
    // Buckets after the rollup's end come from raw samples; the cut is step-aligned, so no bucket mixes both.
    const cut = Math.max(q.from, Math.min(q.to, Math.floor((state?.done_to ?? 0) / q.stepMs) * q.stepMs));
    if (fromRollup.length > 0 && cut > q.from) await this.rollupBuckets(q, table, width, cut, picks, buckets);
    if (fromRollup.length > 0 && cut < q.to) await this.rawBuckets(q, fromRollup, cut, q.to, buckets);
    if (rawOnly.length > 0) await this.rawBuckets(q, rawOnly, q.from, q.to, buckets);
    return answer;
  }

  /**
   * Step buckets of the members `picks` from a rollup table over [q.from, cut). The database
   * gives one row per set and bucket holding only the picked members (a row holds up to 50),
   * and the steps are summed up here: a GROUP BY over one row per member and bucket sorted
   * or hashed ~29,000 rows for a 24-hour chart of 20 series, 3–6 times the cost of the rest.
   */
  private async rollupBuckets(q: RangeQuery, table: string, width: number, cut: number,
    picks: { series_id: number; set_id: number; pos: number }[], out: RangeResult): Promise<void> {
    const sql = this.sql;
    // A series may be a member of several sets (its collector's output changed shape): its
    // steps take the rows of all of them.
    const perSeries = new Map<number, Map<number, StepAcc>>();
    const setsOf = new Map<number, number>();
    for (const m of picks) setsOf.set(m.series_id, (setsOf.get(m.series_id) ?? 0) + 1);
    const bySet = new Map<number, { pos: number[]; acc: Map<number, StepAcc>[]; shared: boolean[] }>();
    for (const m of picks) {
      let acc = perSeries.get(m.series_id);
      if (!acc) { acc = new Map(); perSeries.set(m.series_id, acc); }
      const s = bySet.get(m.set_id) ?? { pos: [] as number[], acc: [] as Map<number, StepAcc>[], shared: [] as boolean[] };
      s.pos.push(m.pos); s.acc.push(acc); s.shared.push(setsOf.get(m.series_id)! > 1); bySet.set(m.set_id, s);
    }
    const sets = [...bySet.keys()];
    // Counters: the rate from the increases, or the last value; gauges: the average.
    const mode = q.kind !== 'counter' ? 'avg' : q.fn === 'rate' ? 'rate' : 'last';
    const col = mode === 'last' ? 'lst' : 'av';
    const rows = await sql<{ set_id: number; ts: number; n: number; v: (number | null)[] }[]>`
      select r.set_id, r.ts::float8 as ts, r.n,
        array(select r.${sql(col)}[u.i] from unnest(p.pos::int[]) with ordinality u(i, o) order by u.o) as v
      from unnest(${sets}::int[], ${sets.map((id) => numberArray(bySet.get(id)!.pos))}::text[]) p(set_id, pos)
        join ${sql(table)} r on r.set_id = p.set_id
      where r.set_id = any(${sets}::int[]) and r.ts >= ${q.from}::bigint and r.ts < ${cut}::bigint`;
    const step = q.stepMs;
    for (const r of rows) {
      const s = bySet.get(r.set_id)!;
      const bucket = Math.floor(r.ts / step) * step;
      for (let k = 0; k < s.acc.length; k++) {
        const v = r.v[k];
        let a = s.acc[k].get(bucket);
        if (!a) {
          a = { sum: 0, weight: 0, last: 0, lastTs: -Infinity, lastSet: 0, rows: s.shared[k] && mode === 'rate' ? new Set() : undefined };
          s.acc[k].set(bucket, a);
        }
        // Rollup rows hold no missing values today (every raw row holds every member, a
        // counter's increase is 0 when there is none); one would leave its row out of the step.
        if (mode === 'last') {
          // The bucket's last row. Where the collector changed shape, two sets have a row for
          // the bucket, and the higher set id wins: the newer set, unless the collector changed
          // back to an older shape within the bucket (docs/storage.md#queries).
          if (r.ts > a.lastTs || (r.ts === a.lastTs && r.set_id > a.lastSet)) { a.lastTs = r.ts; a.lastSet = r.set_id; a.last = v ?? 0; a.weight = v === null ? 0 : 1; }
        } else if (v === null) {
          continue;
        } else if (mode === 'avg') {
          // Weighted by the samples each rollup row holds.
          a.sum += v * r.n; a.weight += r.n;
        } else {
          // A rate: the increases over the time the rollup buckets cover. Where the collector
          // changed shape, both sets have a row for the same bucket: its time counts once.
          a.sum += v;
          if (a.rows) { a.rows.add(r.ts); a.weight = a.rows.size; } else a.weight += 1;
        }
      }
    }
    for (const [id, acc] of perSeries) {
      const target = out.get(id)!;
      for (const [bucket, a] of acc) {
        if (a.weight === 0) continue;
        target.set(bucket, mode === 'avg' ? a.sum / a.weight : mode === 'rate' ? a.sum * 1000 / (a.weight * width) : a.last);
      }
    }
  }

  /** Step buckets over [from, to) computed here from raw samples: recent rows and compacted chunks. */
  private async rawBuckets(q: RangeQuery, ids: number[], from: number, to: number, out: RangeResult): Promise<void> {
    // A rate needs the sample before the first bucket.
    const lookback = q.fn === 'rate' ? Math.max(q.stepMs, 120_000) : 0;
    const samples = await this.readRaw(ids, from - lookback, to);
    const step = q.stepMs;
    for (const [id, s] of samples) {
      // Per bucket: the sum and count of values, or the increase and the time it took.
      const acc = new Map<number, { a: number; b: number }>();
      const add = (ts: number, a: number, b: number) => {
        const bucket = Math.floor(ts / step) * step;
        const x = acc.get(bucket);
        if (x) { x.a += a; x.b += b; } else acc.set(bucket, { a, b });
      };
      for (let i = 0; i < s.ts.length; i++) {
        if (s.ts[i] < from) continue;
        if (q.fn === 'value') { add(s.ts[i], s.values[i], 1); continue; }
        if (i === 0) continue;
        const dt = s.ts[i] - s.ts[i - 1];
        if (dt <= 0) continue;
        const d = s.values[i] - s.values[i - 1];
        // A drop is a reset (restart, pg_stat_reset): the new value is the increase since.
        add(s.ts[i], d < 0 ? s.values[i] : d, dt / 1000);
      }
      const target = out.get(id)!;
      for (const [bucket, { a, b }] of acc) target.set(bucket, a / b);
    }
  }

  /** Raw samples of each series in [from, to), oldest first, from recent rows and compacted chunks. */
  async readRaw(ids: number[], from: number, to: number): Promise<Map<number, { ts: number[]; values: number[] }>> {
    const out = new Map<number, { ts: number[]; values: number[] }>();
    if (ids.length === 0) return out;
    const [lo, hi] = rawBuckets(from, to);
    const [rows, chunks] = await Promise.all([
      this.sql<{ series_id: number; ts: number[]; v: number[] }[]>`
        select m.series_id, array_agg(r.ts::float8 order by r.ts) as ts, array_agg(r.vals[m.pos] order by r.ts) as v
        from sample_sets r join series_set_members m on m.set_id = r.set_id
        where m.series_id = any(${ids}::int[]) and r.ts >= ${from}::bigint and r.ts < ${to}::bigint
          and (r.ts / 600000)::int between ${lo}::int and ${hi}::int
        group by 1`,
      this.sql<{ series_id: number; data: Uint8Array }[]>`
        select series_id, data from sample_chunks
        where series_id = any(${ids}::int[]) and ts >= ${Math.floor(from / DAY_MS) * DAY_MS}::bigint and ts < ${to}::bigint
          and last_ts >= ${from}::bigint and first_ts < ${to}::bigint
        order by series_id, ts`,
    ]);
    const put = (id: number, ts: number, v: number) => {
      let s = out.get(id);
      if (!s) { s = { ts: [], values: [] }; out.set(id, s); }
      s.ts.push(ts); s.values.push(v);
    };
    for (const c of chunks) {
      const d = decodeChunk(c.data);
      for (let i = 0; i < d.ts.length; i++) if (d.ts[i] >= from && d.ts[i] < to) put(c.series_id, d.ts[i], d.values[i]);
    }
    for (const r of rows) for (let i = 0; i < r.ts.length; i++) put(r.series_id, r.ts[i], r.v[i]);
    // Chunks and rows hold different days, except data that arrived after its day was compacted.
    if (chunks.length > 0) {
      for (const s of out.values()) {
        let sorted = true;
        for (let i = 1; i < s.ts.length && sorted; i++) sorted = s.ts[i - 1] <= s.ts[i];
        if (sorted) continue;
        const order = s.ts.map((_, i) => i).sort((a, b) => s.ts[a] - s.ts[b]);
        s.ts = order.map((i) => s.ts[i]);
        s.values = order.map((i) => s.values[i]);
      }
    }
    return out;
  }

  async queryLast(seriesIds: number[], at: number, lookbackMs: number) {
    const out = new Map<number, { ts: number; value: number }>();
    if (seriesIds.length === 0) return out;
    const [lo, hi] = rawBuckets(at - lookbackMs + 1, at + 1);
    const rows = await this.sql<{ series_id: number; ts: number; value: number }[]>`
      select distinct on (m.series_id) m.series_id, r.ts, r.vals[m.pos] as value
      from sample_sets r join series_set_members m on m.set_id = r.set_id
      where m.series_id = any(${seriesIds}::int[]) and r.ts <= ${at}::bigint and r.ts > ${at - lookbackMs}::bigint
        and (r.ts / 600000)::int between ${lo}::int and ${hi}::int
      order by m.series_id, r.ts desc`;
    for (const r of rows) out.set(r.series_id, { ts: Number(r.ts), value: r.value });
    return out;
  }

  ensurePartitions(from: number, to: number): Promise<string[]> {
    return ensurePartitions(this.sql, INGEST_TABLES, from, to);
  }

  async applyRetention(retention: Retention, now: number): Promise<string[]> {
    const days: [PartitionedTable, number][] = [
      ['sample_sets', retention.samplesDays], ['sample_chunks', retention.samplesDays],
      ['rollups_1m', retention.rollup1mDays], ['rollups_1h', retention.rollup1hDays],
      ['statement_stats', retention.statementsDays], ['activity_samples', retention.statementsDays],
      ['activity_sessions', retention.statementsDays],
    ];
    const dropped: string[] = [];
    for (const [table, d] of days) dropped.push(...await dropPartitionsBefore(this.sql, table, now - d * DAY_MS));
    await this.sql`delete from rollup_redo where ts < ${now - Math.min(retention.samplesDays, retention.rollup1mDays) * DAY_MS}::bigint`;
    return dropped;
  }
}

/** The rollups' widths in the order of their names ('1h', '1m'): the order keepers mark buckets in. */
const ROLLUP_WIDTHS = (Object.entries(RESOLUTION_MS) as [Exclude<Resolution, 'raw'>, number][]).sort((a, b) => (a[0] < b[0] ? -1 : 1));

/** The rollup a step reads: the coarsest whose buckets fit in one step. */
export function resolutionForStep(stepMs: number): Resolution {
  if (stepMs >= RESOLUTION_MS['1h']) return '1h';
  if (stepMs >= RESOLUTION_MS['1m']) return '1m';
  return 'raw';
}

