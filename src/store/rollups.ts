import type { PendingQuery, Row, Sql } from 'postgres';
import { DAY_MS, ensurePartitions, listPartitions, partitionStart } from './partitions.ts';
import { RESOLUTION_MS, rawBuckets, type Resolution } from './timeseries.ts';

export type RollupResolution = Exclude<Resolution, 'raw'>;

/** A bucket is rolled up this long after it ends, so messages in flight arrive first. */
export const ROLLUP_GRACE_MS: Record<RollupResolution, number> = { '1m': 120_000, '1h': 300_000 };
/** Clocks of keepers and workers may differ this much; a sample this close to a closed bucket reopens it. */
export const ROLLUP_LATE_SLACK_MS = 60_000;
/** Samples before a bucket that a counter's first increase in it needs. */
const LOOKBACK_MS: Record<RollupResolution, number> = { '1m': 120_000, '1h': 3_600_000 };
/** Buckets computed per statement (one transaction each), and per run. */
const SLICE_BUCKETS: Record<RollupResolution, number> = { '1m': 30, '1h': 6 };
const MAX_SLICES_PER_RUN = 48;

export interface RollupRun {
  resolution: RollupResolution;
  /** Buckets before this are final. */
  doneTo: number;
  /** Set rows written (new and recomputed). */
  rows: number;
  /** Buckets reopened by late samples and computed again. */
  redone: number;
}

/**
 * Fills `rollups_1m` and `rollups_1h`, in SQL, one row per set and bucket. 1-minute
 * rollups cover only sets collected more often than once a minute (for the others a
 * rollup row would be larger than the samples), from raw samples (`sample_sets`). Hourly
 * rollups of those sets are computed from their 1-minute rollups (an hour of raw rows
 * is 60 times more to read and sort), and of the other sets from raw samples.
 */
export class Rollups {
  constructor(private readonly sql: Sql) {}

  async run(resolution: RollupResolution, now = Date.now()): Promise<RollupRun> {
    const width = RESOLUTION_MS[resolution];
    const table = resolution === '1m' ? 'rollups_1m' : 'rollups_1h';
    let end = Math.floor((now - ROLLUP_GRACE_MS[resolution]) / width) * width;
    if (resolution === '1h') {
      // Hours are made of final minutes.
      const [m] = await this.sql<{ done_to: number }[]>`select done_to from rollup_state where resolution = '1m'`;
      end = Math.min(end, m ? Math.floor(Number(m.done_to) / width) * width : -Infinity);
      if (!Number.isFinite(end)) return { resolution, doneTo: 0, rows: 0, redone: 0 };
    }
    let [state] = await this.sql<{ done_to: number }[]>`select done_to from rollup_state where resolution = ${resolution}`;
    if (!state) {
      // First run: from the oldest raw data there is.
      const first = (await listPartitions(this.sql, 'sample_sets'))[0];
      const start = Math.min(end, first ? partitionStart('sample_sets', first.from) : end);
      await this.sql`insert into rollup_state (resolution, done_to) values (${resolution}, ${start}) on conflict do nothing`;
      [state] = await this.sql<{ done_to: number }[]>`select done_to from rollup_state where resolution = ${resolution}`;
    }
    let doneTo = Number(state.done_to);
    let rows = 0;
    for (let slices = 0; doneTo < end && slices < MAX_SLICES_PER_RUN; slices++) {
      const to = Math.min(end, doneTo + SLICE_BUCKETS[resolution] * width);
      const from = doneTo;
      await ensurePartitions(this.sql, [table], from, to);
      // One snapshot for the slice: the redo marks it sees were committed with samples it saw,
      // so their buckets are computed here and the marks can go (history written before the
      // rollup passed it is then rolled up once, not twice). A mark updated by a keeper
      // meanwhile fails the slice with a serialization error; the next run does it again.
      rows += await this.sql.begin('isolation level repeatable read', async (tx) => {
        const n = await this.compute(tx as unknown as Sql, resolution, from, to);
        await tx`delete from rollup_redo where resolution = ${resolution} and ts >= ${from}::bigint and ts < ${to}::bigint`;
        await tx`update rollup_state set done_to = ${to} where resolution = ${resolution}`;
        return n;
      });
      doneTo = to;
    }
    const redone = await this.redo(resolution, doneTo);
    return { resolution, doneTo, rows: rows + redone.rows, redone: redone.buckets };
  }

  /**
   * Computes again the buckets before `doneTo` that late samples reopened, a day at a time: for
   * the sets concerned, from the first reopened bucket to the end of the day or of the rollup
   * (a late sample changes its series' next increase too, however long after it comes).
   */
  private async redo(resolution: RollupResolution, doneTo: number): Promise<{ rows: number; buckets: number }> {
    const table = resolution === '1m' ? 'rollups_1m' : 'rollups_1h';
    const marks = await this.sql<{ set_id: number; ts: number; id: number }[]>`
      select set_id, ts, id from rollup_redo m where resolution = ${resolution} and ts < ${doneTo}::bigint
        -- An hour of a set with 1m rollups waits until its reopened minutes are computed again.
        and (${resolution} = '1m' or not exists (select 1 from rollup_redo r where r.resolution = '1m' and r.set_id = m.set_id
          and r.ts >= m.ts and r.ts < m.ts + ${RESOLUTION_MS['1h']}::bigint))
      order by ts limit 100000`;
    // Days already compacted have only the late samples left in raw rows: recomputing
    // from those alone would replace a complete bucket with a partial one.
    const compacted = new Set((await listPartitions(this.sql, 'sample_chunks')).map((p) => p.from));
    const days = new Map<number, { set_id: number; ts: number; id: number }[]>();
    for (const m of marks) {
      const day = partitionStart('sample_sets', Number(m.ts));
      const list = days.get(day);
      if (list) list.push(m); else days.set(day, [m]);
    }
    let rows = 0;
    for (const [day, list] of days) {
      const sets = [...new Set(list.map((m) => m.set_id))];
      const from = Math.min(...list.map((m) => Number(m.ts)));
      const to = Math.min(day + DAY_MS, doneTo);
      if (!compacted.has(day)) await ensurePartitions(this.sql, [table], from, to);
      rows += await this.sql.begin(async (tx) => {
        const n = compacted.has(day) ? 0 : await this.compute(tx as unknown as Sql, resolution, from, to, sets);
        await tx`delete from rollup_redo r using unnest(${list.map((m) => m.set_id)}::int[], ${list.map((m) => Number(m.ts))}::bigint[], ${list.map((m) => Number(m.id))}::bigint[]) u(s, t, i)
          where r.resolution = ${resolution} and r.set_id = u.s and r.ts = u.t and r.id = u.i`;
        return n;
      });
    }
    return { rows, buckets: marks.length };
  }

  /** Writes the rollup rows of [from, to) (bucket-aligned), of every set or of `sets`; returns how many. */
  private async compute(sql: Sql, resolution: RollupResolution, from: number, to: number, sets?: number[]): Promise<number> {
    // The job runs beside ingest: one process (parallel workers would take the cores the
    // keepers need; lag peaks followed each run at 1,000 agents) and sorts in memory.
    await sql`set local max_parallel_workers_per_gather = 0`;
    await sql`set local work_mem = '64MB'`;
    if (resolution === '1m') return this.fromRaw(sql, resolution, from, to, sets ?? null);
    return await this.fromRaw(sql, resolution, from, to, sets ?? null) + await this.fromMinutes(sql, from, to, sets ?? null);
  }

  /** Rollup rows from raw samples: at 1m of the sets with 1m rollups, at 1h of the others. */
  private async fromRaw(sql: Sql, resolution: RollupResolution, from: number, to: number, onlySets: number[] | null): Promise<number> {
    const width = RESOLUTION_MS[resolution];
    const table = resolution === '1m' ? 'rollups_1m' : 'rollups_1h';
    const fast = resolution === '1m';
    const since = from - LOOKBACK_MS[resolution];
    const [lo, hi] = rawBuckets(since, to);
    // The raw rows `x` (joined with their set `s`) of the window and its lookback, of the sets this resolution rolls up.
    const inWindow = () => sql`x.ts >= ${since}::bigint and x.ts < ${to}::bigint
      and (x.ts / 600000)::int between ${lo}::int and ${hi}::int
      and (coalesce(s.interval_ms, 0) < ${RESOLUTION_MS['1m']}) = ${fast}`;
    // Per row: whether it is its set's last row in its bucket.
    const lastOfBucket = () => sql`coalesce(lead(x.ts) over (partition by x.set_id order by x.ts) / ${width}::bigint <> x.ts / ${width}::bigint, true)`;
    // A counter's increase since its previous sample (a drop is a reset, and the new value is
    // the increase since) and the time it took; a gauge's value.
    const perMember = (members: PendingQuery<Row[]>) => sql`
      select set_id, b, pos, count(*)::int as n,
        case when c then min(inc * 1000.0 / nullif(dt, 0)) else min(v) end as mn,
        case when c then max(inc * 1000.0 / nullif(dt, 0)) else max(v) end as mx,
        case when c then coalesce(sum(inc), 0) else avg(v) end as av,
        max(v) filter (where last) as lst
      from (${members}) e
      group by set_id, b, pos, c`;

    // Sets that share a series with another set that has rows in the window (or its lookback): a
    // collector whose labels come and go (a top-N list) or that changed shape. A series' previous
    // sample may then be in another set's row, so their increases take it from the series, not
    // from the set's previous row (that would count the increase over the other set's samples again).
    // `mixed`: those sets; `read`: the sets whose rows the mixed sets' lags need; `write`: the sets written.
    let mixed: number[];
    let read: number[];
    let write = onlySets;
    if (onlySets === null) {
      const [r] = await sql<{ mixed: number[] | null }[]>`
        select array_agg(distinct set_id) as mixed from (
          select a.set_id, count(*) over (partition by u.sid) as holders
          from (select distinct x.set_id from sample_sets x join series_sets s on s.id = x.set_id where ${inWindow()}) a
            join series_sets s on s.id = a.set_id cross join unnest(s.series) u(sid)
        ) h where holders > 1`;
      mixed = r.mixed ?? [];
      read = mixed;
    } else {
      // Recomputing some sets (late samples): the sets with rows in the window that share a series
      // with them are written again too (a late sample in one set changes the next increase of
      // its series, which may be another set's), and the rows of the sets that share a series
      // with any of those give the lags. Found through the dictionary, then probed by index.
      const sharing = (sets: PendingQuery<Row[]>) => sql`
        select h.set_id from (
          select distinct m.set_id from series_sets s0 cross join unnest(s0.series) u(sid)
            join series_set_members m on m.series_id = u.sid
          where s0.id in (${sets})
        ) h join series_sets s on s.id = h.set_id
        where (coalesce(s.interval_ms, 0) < ${RESOLUTION_MS['1m']}) = ${fast}
          and exists (select 1 from sample_sets x where x.set_id = h.set_id and x.ts >= ${since}::bigint and x.ts < ${to}::bigint
            and (x.ts / 600000)::int between ${lo}::int and ${hi}::int)`;
      const [r] = await sql<{ write: number[] | null; read: number[] | null; mixed: number[] | null }[]>`
        with near as materialized (select distinct set_id from (${sharing(sql`select unnest(${onlySets}::int[])`)}) n),
          far as materialized (select distinct set_id from (${sharing(sql`select set_id from near`)}) f),
          held as materialized (
            select f.set_id, count(*) over (partition by u.sid) as holders
            from far f join series_sets s on s.id = f.set_id cross join unnest(s.series) u(sid)
          )
        select (select array_agg(set_id) from near) as write, (select array_agg(set_id) from far) as read,
          (select array_agg(distinct set_id) from held where holders > 1) as mixed`;
      write = [...new Set([...onlySets, ...(r.write ?? [])])];
      mixed = r.mixed ?? [];
      read = r.read ?? [];
    }

    // Sets of their own: one window over rows, not over members (a row holds ~20 members, and
    // sorting members cost 4/5 of the job): each member's previous value is in the set's previous row.
    let rows = await writeRows(sql, table, perMember(sql`
      select r.set_id, r.b, r.dt, r.last, u.pos, u.v, s.counters[u.pos] as c,
        case when u.v < u.p then u.v else u.v - u.p end as inc
      from (
        select x.set_id, x.ts, (x.ts / ${width}::bigint) * ${width}::bigint as b, x.vals,
          lag(x.vals) over w as pv, x.ts - lag(x.ts) over w as dt, ${lastOfBucket()} as last
        from sample_sets x join series_sets s on s.id = x.set_id
        where ${inWindow()} and x.set_id not in (select unnest(${mixed}::int[]))
          and (${write}::int[] is null or x.set_id = any(${write}::int[]))
        window w as (partition by x.set_id order by x.ts)
      ) r join series_sets s on s.id = r.set_id
        cross join lateral unnest(r.vals, r.pv) with ordinality u(v, p, pos)
      where r.ts >= ${from}::bigint`));
    // Sets that share series: a window over each series' samples, whichever set they came in.
    if (mixed.length > 0) rows += await writeRows(sql, table, perMember(sql`
      select set_id, b, last, pos, v, c, dt, inc
      from (
        select set_id, ts, b, last, pos, v, c, ts - lag(ts) over w as dt,
          case when v < lag(v) over w then v else v - lag(v) over w end as inc
        from (
          select r.set_id, r.ts, r.b, r.last, u.pos, u.v, s.counters[u.pos] as c, s.series[u.pos] as sid
          from (
            select x.set_id, x.ts, (x.ts / ${width}::bigint) * ${width}::bigint as b, x.vals, ${lastOfBucket()} as last
            from sample_sets x join series_sets s on s.id = x.set_id
            where ${inWindow()} and x.set_id in (select unnest(${read}::int[]))
          ) r join series_sets s on s.id = r.set_id
            cross join lateral unnest(r.vals) with ordinality u(v, pos)
        ) m
        -- Two samples of a series at one time (in two sets): set by set, the same order every time.
        window w as (partition by sid order by ts, set_id)
      ) y
      -- The lookback's rows and the other sets' rows gave their values to the lags only.
      where ts >= ${from}::bigint and set_id in (select unnest(${mixed}::int[]))
        and (${write}::int[] is null or set_id = any(${write}::int[]))`));
    // Hours are made of minutes: the hours of the minutes written again are computed again too,
    // once their minutes are (the keeper marked only the late samples' own hours). Marked last,
    // so keepers marking the same hours wait for this transaction no longer than its end; and
    // every hour, final or not: an hourly slice running meanwhile computes from the minutes as
    // they were, and a mark it cannot see stays for the next run.
    if (resolution === '1m' && write !== null && write.length > 0) {
      const hours: number[] = [];
      for (let h = Math.floor(from / RESOLUTION_MS['1h']) * RESOLUTION_MS['1h']; h < to; h += RESOLUTION_MS['1h']) hours.push(h);
      await sql`insert into rollup_redo (resolution, set_id, ts)
        select '1h', s, h from unnest(${write}::int[]) s cross join unnest(${hours}::bigint[]) h order by 2, 3
        on conflict (resolution, set_id, ts) do update set id = nextval('rollup_redo_id')`;
    }
    return rows;
  }

  /**
   * Hourly rows of the sets with 1-minute rollups, from those: counts and increases add up,
   * averages weigh by count, extremes are the extremes, the last value is the last minute's.
   */
  private async fromMinutes(sql: Sql, from: number, to: number, onlySets: number[] | null): Promise<number> {
    const width = RESOLUTION_MS['1h'];
    return writeRows(sql, 'rollups_1h', sql`
        select set_id, b, pos, sum(n)::int as n, min(mn) as mn, max(mx) as mx,
          case when c then coalesce(sum(av), 0) else sum(av * n) / sum(n) end as av,
          max(lst) filter (where last) as lst
        from (
          select r.set_id, r.b, r.n, s.counters[u.pos] as c, u.pos, u.mn, u.mx, u.av, u.lst, r.last
          from (
            select x.*, (x.ts / ${width}::bigint) * ${width}::bigint as b,
              coalesce(lead(x.ts) over (partition by x.set_id order by x.ts) / ${width}::bigint <> x.ts / ${width}::bigint, true) as last
            from rollups_1m x
            where x.ts >= ${from}::bigint and x.ts < ${to}::bigint
              and (${onlySets}::int[] is null or x.set_id = any(${onlySets}::int[]))
          ) r join series_sets s on s.id = r.set_id
            cross join lateral unnest(r.mn, r.mx, r.av, r.lst) with ordinality u(mn, mx, av, lst, pos)
        ) m
        group by set_id, b, pos, c`);
  }
}

/**
 * Writes one rollup row per set and bucket from `perMember` rows (set_id, b, pos, n, mn, mx,
 * av, lst), a bucket computed again replacing the old row; returns how many.
 */
async function writeRows(sql: Sql, table: string, perMember: PendingQuery<Row[]>): Promise<number> {
  const result = await sql`
    insert into ${sql(table)} (set_id, ts, n, mn, mx, av, lst)
    select set_id, b, max(n), array_agg(mn order by pos), array_agg(mx order by pos), array_agg(av order by pos), array_agg(lst order by pos)
    from (${perMember}) g
    group by set_id, b
    on conflict (set_id, ts) do update set n = excluded.n, mn = excluded.mn, mx = excluded.mx, av = excluded.av, lst = excluded.lst`;
  return result.count;
}
