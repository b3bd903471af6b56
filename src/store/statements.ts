import type { Sql, TransactionSql } from 'postgres';
import { numberArray } from './pg-array.ts';
import { STATEMENT_COUNTERS, type ActivityData, type ActivitySession, type StatementCounter, type StatementsData } from '../protocol/index.ts';

/** Orderings of the top-statements list: any counter, or the mean time per call. */
export const STATEMENT_SORTS = [...STATEMENT_COUNTERS, 'mean_exec_time'] as const;
export type StatementSort = (typeof STATEMENT_SORTS)[number];

/** Groupings of the activity timeline. */
export const ACTIVITY_BY = ['wait_event_type', 'wait_event', 'state', 'queryid', 'datname', 'usename', 'backend_type'] as const;
export type ActivityBy = (typeof ACTIVITY_BY)[number];

export interface StatementsMessage { instanceId: number; ts: number; data: StatementsData }
export interface ActivityMessage { instanceId: number; ts: number; data: ActivityData }

export interface TopStatement {
  queryid: string;
  datname: string;
  usename: string;
  /** False for statements run inside functions (pg_stat_statements.track = all). */
  toplevel: boolean;
  text: string | null;
  counters: Record<StatementCounter, number>;
  mean_exec_time: number;
  /** Share of the instance's total top-level execution time in the window (0–1; a nested statement's is part of its caller's). */
  time_share: number;
}

/** The group key of the activity timeline: a session active with no wait event is on CPU. */
const ACTIVITY_KEY: Record<ActivityBy, string> = {
  wait_event_type: `coalesce(wait_event_type, case when state = 'active' then 'CPU' else state end)`,
  wait_event: `coalesce(wait_event_type || ':' || wait_event, case when state = 'active' then 'CPU' else state end)`,
  state: 'state',
  queryid: `coalesce(queryid::text, '')`,
  datname: `coalesce(datname, '')`,
  usename: `coalesce(usename, '')`,
  backend_type: 'backend_type',
};

/**
 * One text per (instance, queryid), sorted by that key: the last one given wins (a batch is in
 * message order), with the earliest time as first_seen (kept anyway when the row exists).
 * Queryids are compared as numbers, as the bigint column does.
 */
export function latestTexts(texts: { instanceId: number; queryid: string; text: string; ts: number }[]): { instanceId: number; queryid: string; text: string; ts: number }[] {
  const byKey = new Map<string, { instanceId: number; queryid: string; n: bigint; text: string; ts: number }>();
  for (const t of texts) {
    const n = BigInt(t.queryid);
    const key = `${t.instanceId}:${n}`;
    const have = byKey.get(key);
    byKey.set(key, { instanceId: t.instanceId, queryid: String(n), n, text: t.text, ts: have === undefined ? t.ts : Math.min(have.ts, t.ts) });
  }
  return [...byKey.values()]
    .sort((a, b) => a.instanceId - b.instanceId || (a.n < b.n ? -1 : a.n > b.n ? 1 : 0))
    .map(({ instanceId, queryid, text, ts }) => ({ instanceId, queryid, text, ts }));
}

/** Query statistics and sampled activity: written by the keeper, read by the API. */
export class StatementStore {
  constructor(private readonly sql: Sql) {}

  async writeStatements(tx: TransactionSql, msgs: StatementsMessage[]): Promise<void> {
    const rows: { instanceId: number; ts: number; interval: number; queryid: string; datname: string; usename: string; toplevel: boolean; c: Record<string, number> }[] = [];
    const texts: { instanceId: number; queryid: string; text: string; ts: number }[] = [];
    for (const m of msgs) {
      for (const e of m.data.entries) rows.push({ instanceId: m.instanceId, ts: m.ts, interval: m.data.interval_ms, queryid: e.queryid, datname: e.datname, usename: e.usename, toplevel: e.toplevel, c: e.c });
      if (m.data.other) rows.push({ instanceId: m.instanceId, ts: m.ts, interval: m.data.interval_ms, queryid: '0', datname: '', usename: '', toplevel: true, c: m.data.other.c });
      for (const t of m.data.texts ?? []) texts.push({ instanceId: m.instanceId, queryid: t.queryid, text: t.text, ts: m.ts });
    }
    if (rows.length > 0) {
      const cols = STATEMENT_COUNTERS.map((c, i) => ({ c, p: i + 8 }));
      await tx.unsafe(
        `insert into statement_stats (instance_id, ts, interval_ms, queryid, datname, usename, toplevel, ${STATEMENT_COUNTERS.join(', ')})
         select i, t, iv, q, d, u, tl::bool, ${cols.map((x) => `c${x.p}`).join(', ')}
         from unnest($1::int[], $2::bigint[], $3::int[], $4::bigint[], $5::text[], $6::text[], $7::text[], ${cols.map((x) => `$${x.p}::float8[]`).join(', ')})
           as x(i, t, iv, q, d, u, tl, ${cols.map((x) => `c${x.p}`).join(', ')})`,
        [
          numberArray(rows.map((r) => r.instanceId)), numberArray(rows.map((r) => r.ts)), numberArray(rows.map((r) => r.interval)), numberArray(rows.map((r) => r.queryid)),
          rows.map((r) => r.datname), rows.map((r) => r.usename), rows.map((r) => String(r.toplevel)),
          ...cols.map((x) => numberArray(rows.map((r) => r.c[x.c] ?? 0))),
        ] as never[],
      );
    }
    const unique = latestTexts(texts);
    if (unique.length > 0) {
      // One row per key (ON CONFLICT DO UPDATE may not touch a row twice in one statement: SQLSTATE 21000),
      // in key order, so two batches upserting the same texts wait for each other instead of deadlocking.
      await tx`insert into statement_texts (instance_id, queryid, text, first_seen)
        select * from unnest(${unique.map((t) => t.instanceId)}::int[], ${unique.map((t) => t.queryid)}::bigint[], ${unique.map((t) => t.text)}::text[], ${unique.map((t) => String(t.ts))}::bigint[])
        on conflict (instance_id, queryid) do update set text = excluded.text`;
    }
  }

  async writeActivity(tx: TransactionSql, msgs: ActivityMessage[]): Promise<void> {
    const r = { inst: [] as number[], ts: [] as number[], iv: [] as number[], sm: [] as number[], ns: [] as number[], state: [] as string[], wet: [] as (string | null)[], we: [] as (string | null)[], q: [] as (string | null)[], db: [] as (string | null)[], us: [] as (string | null)[], bt: [] as string[], n: [] as number[] };
    for (const m of msgs) {
      for (const g of m.data.groups) {
        r.inst.push(m.instanceId); r.ts.push(m.ts); r.iv.push(m.data.interval_ms); r.sm.push(m.data.sample_ms); r.ns.push(m.data.samples);
        r.state.push(g.state); r.wet.push(g.wait_event_type ?? null); r.we.push(g.wait_event ?? null); r.q.push(g.queryid ?? null);
        r.db.push(g.datname ?? null); r.us.push(g.usename ?? null); r.bt.push(g.backend_type); r.n.push(g.n);
      }
    }
    const withSessions = msgs.filter((m) => m.data.sessions !== undefined);
    if (withSessions.length > 0) {
      // As text, cast in SQL: a jsonb[] parameter would have each element encoded as JSON a second time.
      await tx`insert into activity_sessions (instance_id, ts, sessions)
        select i, t, s::jsonb from unnest(${withSessions.map((m) => m.instanceId)}::int[], ${withSessions.map((m) => String(m.ts))}::bigint[],
                             ${withSessions.map((m) => JSON.stringify(m.data.sessions))}::text[]) u(i, t, s)`;
    }
    if (r.inst.length === 0) return;
    await tx`insert into activity_samples (instance_id, ts, interval_ms, sample_ms, samples, state, wait_event_type, wait_event, queryid, datname, usename, backend_type, n)
      select * from unnest(${numberArray(r.inst)}::int[], ${numberArray(r.ts)}::bigint[], ${numberArray(r.iv)}::int[], ${numberArray(r.sm)}::int[], ${numberArray(r.ns)}::int[],
                           ${r.state}::text[], ${r.wet}::text[], ${r.we}::text[], ${numberArray(r.q)}::bigint[], ${r.db}::text[], ${r.us}::text[], ${r.bt}::text[], ${numberArray(r.n)}::int[])`;
  }

  /** Top statements of an instance over (from, to], ranked by `sort`. */
  async top(q: { instanceId: number; from: number; to: number; sort: StatementSort; limit: number; datname?: string; usename?: string }): Promise<{ statements: TopStatement[]; total: Record<StatementCounter, number> }> {
    const sums = STATEMENT_COUNTERS.map((c) => `sum(${c})::float8 as ${c}`).join(', ');
    const order = q.sort === 'mean_exec_time' ? 'sum(total_exec_time) / nullif(sum(calls), 0)' : `sum(${q.sort})`;
    const filters: string[] = [];
    const params: unknown[] = [q.instanceId, String(q.from), String(q.to)];
    if (q.datname !== undefined) { params.push(q.datname); filters.push(`and datname = $${params.length}`); }
    if (q.usename !== undefined) { params.push(q.usename); filters.push(`and usename = $${params.length}`); }
    params.push(q.limit);
    const rows = await this.sql.unsafe(
      `select s.queryid::text as queryid, s.datname, s.usename, s.toplevel, t.text, ${STATEMENT_COUNTERS.map((c) => `s.${c}`).join(', ')} from (
         select queryid, datname, usename, toplevel, ${sums}, ${order} as ord
         from statement_stats
         where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint and queryid <> 0 ${filters.join(' ')}
         group by queryid, datname, usename, toplevel
         order by ord desc nulls last, queryid
         limit $${params.length}) s
       left join statement_texts t on t.instance_id = $1 and t.queryid = s.queryid
       order by s.ord desc nulls last, s.queryid`,
      params as never[],
    );
    const [tot] = await this.sql.unsafe(
      // Nested statements' time is inside their caller's: the instance's total counts top-level ones only.
      `select ${sums} from statement_stats where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint and toplevel ${filters.join(' ')}`,
      params.slice(0, -1) as never[],
    );
    const total = Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, Number(tot?.[c] ?? 0)])) as Record<StatementCounter, number>;
    return {
      total,
      statements: rows.map((r) => {
        const counters = Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, Number(r[c] ?? 0)])) as Record<StatementCounter, number>;
        return {
          queryid: String(r.queryid), datname: String(r.datname), usename: String(r.usename), toplevel: r.toplevel !== false, text: (r.text as string | null) ?? null, counters,
          mean_exec_time: counters.calls > 0 ? counters.total_exec_time / counters.calls : 0,
          time_share: total.total_exec_time > 0 ? counters.total_exec_time / total.total_exec_time : 0,
        };
      }),
    };
  }

  async text(instanceId: number, queryid: string): Promise<string | null> {
    const [r] = await this.sql`select text from statement_texts where instance_id = ${instanceId} and queryid = ${queryid}::bigint`;
    return (r?.text as string | undefined) ?? null;
  }

  /** One statement's counters per step bucket (start of the bucket → sums). */
  async series(q: { instanceId: number; queryid: string; from: number; to: number; stepMs: number }): Promise<{ t: number; c: Record<StatementCounter, number> }[]> {
    const sums = STATEMENT_COUNTERS.map((c) => `sum(${c})::float8 as ${c}`).join(', ');
    const rows = await this.sql.unsafe(
      `select ((ts - 1) / $4::bigint) * $4::bigint as b, ${sums} from statement_stats
       where instance_id = $1 and queryid = $2::bigint and ts > $3::bigint and ts <= $5::bigint
       group by 1 order by 1`,
      [q.instanceId, q.queryid, String(q.from), String(q.stepMs), String(q.to)] as never[],
    );
    return rows.map((r) => ({ t: Number(r.b), c: Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, Number(r[c] ?? 0)])) as Record<StatementCounter, number> }));
  }

  /**
   * Average sessions per step bucket and group: Σ(n × interval/samples) / step. Each
   * sample stands for interval/samples of time, whatever the configured period: a
   * sample the agent could not take in time does not shrink the result.
   */
  async activityTimeline(q: { instanceId: number; from: number; to: number; stepMs: number; by: ActivityBy; activeOnly: boolean }): Promise<{ t: number; key: string; sessions: number }[]> {
    const rows = await this.sql.unsafe(
      `select ((ts - 1) / $4::bigint) * $4::bigint as b, ${ACTIVITY_KEY[q.by]} as k, sum(n::float8 * interval_ms / greatest(samples, 1)) / $4::float8 as v
       from activity_samples
       where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint ${q.activeOnly ? `and state = 'active'` : ''}
       group by 1, 2 order by 1, 2`,
      [q.instanceId, String(q.from), String(q.to), String(q.stepMs)] as never[],
    );
    return rows.map((r) => ({ t: Number(r.b), key: String(r.k), sessions: Number(r.v) }));
  }

  /** The typical length of the intervals stored in a window (the median), or undefined when there are none. */
  async typicalInterval(table: 'statement_stats' | 'activity_samples', instanceId: number, from: number, to: number): Promise<number | undefined> {
    const [r] = await this.sql.unsafe(
      `select percentile_disc(0.5) within group (order by interval_ms) as ms from ${table} where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint`,
      [instanceId, String(from), String(to)] as never[],
    );
    return r?.ms === null || r?.ms === undefined ? undefined : Number(r.ms);
  }

  /** The newest sessions snapshot of an instance in (at − lookbackMs, at]; null when there is none. */
  async sessionsAt(instanceId: number, at: number, lookbackMs: number): Promise<{ ts: number; sessions: ActivitySession[] } | null> {
    const [row] = await this.sql<{ ts: number; sessions: ActivitySession[] }[]>`
      select ts, sessions from activity_sessions
      where instance_id = ${instanceId} and ts <= ${at}::bigint and ts > ${at - lookbackMs}::bigint
      order by ts desc limit 1`;
    return row ? { ts: Number(row.ts), sessions: row.sessions } : null;
  }

  /** The queryids that spent the most sampled time active in (from, to], with texts. */
  async activityTop(q: { instanceId: number; from: number; to: number; limit: number }): Promise<{ queryid: string; active_ms: number; text: string | null; waits: Record<string, number> }[]> {
    const rows = await this.sql.unsafe(
      `with a as (
         select queryid, coalesce(wait_event_type || ':' || wait_event, 'CPU') as w, sum(n::float8 * interval_ms / greatest(samples, 1)) as ms
         from activity_samples
         where instance_id = $1 and ts > $2::bigint and ts <= $3::bigint and state = 'active' and queryid is not null
         group by 1, 2)
       select a.queryid::text as queryid, sum(a.ms)::float8 as ms, jsonb_object_agg(a.w, a.ms)::text as waits, t.text
       from a left join statement_texts t on t.instance_id = $1 and t.queryid = a.queryid
       group by a.queryid, t.text order by 2 desc, 1 limit $4`,
      [q.instanceId, String(q.from), String(q.to), q.limit] as never[],
    );
    return rows.map((r) => ({ queryid: String(r.queryid), active_ms: Number(r.ms), text: (r.text as string | null) ?? null, waits: JSON.parse(String(r.waits)) as Record<string, number> }));
  }
}
