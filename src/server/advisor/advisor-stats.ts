// The advisor's workload statistics from what pgfleet has collected for an instance: counter increases
// over a window from the stored series, the newest table gauges, the statements that spilled, and the
// settings its agent last sent. The same WorkloadStats `pgfleet tune --connect` reads from a live server.
import type { WorkloadStats } from '../../advisor/index.ts';
import { latestOfMetrics, type InstanceRow, type SettingsState, type Store } from '../../store/index.ts';
import type { SeriesService } from '../api/series-service.ts';

/** What the statistics are read from. */
export interface StatsSource { store: Store; series: SeriesService }

/** Block size assumed for pg_stat_statements' block counters (PostgreSQL's default). */
const BLOCK = 8192;

/** Sum of a counter's increase over [from, to], all its series together; undefined when nothing is stored. */
async function increase(ctx: StatsSource, inst: InstanceRow, metric: string, from: number, to: number): Promise<number | undefined> {
  try {
    const r = await ctx.series.query({ instance: inst.name, metric, from, to, maxPoints: 48, fn: 'rate', by: [] }, inst);
    let total: number | undefined;
    for (const s of r.series) for (const [, v] of s.points) if (v !== null) total = (total ?? 0) + v * (r.step_ms / 1000);
    return total;
  } catch {
    return undefined;
  }
}

const settingNumber = (state: SettingsState, name: string): number | undefined => {
  const v = Number(state.settings.get(name)?.setting);
  return Number.isFinite(v) ? v : undefined;
};
const UNIT_BYTES: Record<string, number> = { '8kB': 8192, kB: 1024, MB: 1024 ** 2, B: 1 };
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, min: 60_000 };

/**
 * The workload statistics of an instance over the last `windowMs`, or undefined when pgfleet has
 * collected none of them yet (no database statistics stored in the window).
 */
export async function workloadFromStore(ctx: StatsSource, inst: InstanceRow, state: SettingsState, windowMs: number, now = Date.now()): Promise<WorkloadStats | undefined> {
  const from = now - windowMs;
  const [tempFiles, tempBytes, hit, read, timed, requested, wal] = await Promise.all([
    increase(ctx, inst, 'pg_stat_database.temp_files', from, now), increase(ctx, inst, 'pg_stat_database.temp_bytes', from, now),
    increase(ctx, inst, 'pg_stat_database.blks_hit', from, now), increase(ctx, inst, 'pg_stat_database.blks_read', from, now),
    increase(ctx, inst, 'pg_checkpointer.checkpoints_timed', from, now), increase(ctx, inst, 'pg_checkpointer.checkpoints_req', from, now),
    increase(ctx, inst, 'pg_stat_wal.wal_bytes', from, now),
  ]);
  if (tempBytes === undefined && hit === undefined && timed === undefined) return undefined;
  // The newest raw sample of each table and database series (tables are collected every 5 minutes by default).
  const newest = await latestOfMetrics(ctx.store.sql, { kind: 'i', id: inst.id }, ['pg_table.n_dead_tup', 'pg_table.n_live_tup', 'pg_stat_database.numbackends'], now - Math.min(windowMs, 3_600_000));
  const of = (metric: string) => newest.filter((x) => x.metric === metric);
  const [dead, live, backends] = [of('pg_table.n_dead_tup'), of('pg_table.n_live_tup'), of('pg_stat_database.numbackends')];
  const key = (l: Record<string, string>) => `${l.datname ?? ''}\0${l.schemaname ?? ''}\0${l.relname ?? ''}`;
  const liveBy = new Map(live.map((x) => [key(x.labels), x.value]));
  const { statements } = await ctx.store.statements.top({ instanceId: inst.id, from, to: now, sort: 'temp_blks_written', limit: 20 });
  const setting = (name: string, units: Record<string, number>, dflt: number) => {
    const v = settingNumber(state, name);
    const unit = state.settings.get(name)?.unit;
    return v === undefined ? dflt : v * (unit ? units[unit] ?? 1 : 1);
  };
  return {
    seconds: windowMs / 1000, tempFiles: Math.round(tempFiles ?? 0), tempBytes: tempBytes ?? 0, blocksHit: hit ?? 0, blocksRead: read ?? 0,
    statements: statements.filter((s) => s.counters.temp_blks_written > 0).map((s) => ({
      queryid: s.queryid, query: s.text ?? '(text not collected)', role: s.usename, database: s.datname, calls: s.counters.calls, tempBytesWritten: s.counters.temp_blks_written * BLOCK,
    })),
    checkpointsTimed: Math.round(timed ?? 0), checkpointsRequested: Math.round(requested ?? 0),
    ...(wal !== undefined ? { walBytes: wal, walSeconds: windowMs / 1000 } : {}),
    maxWalSizeBytes: setting('max_wal_size', UNIT_BYTES, 1024 ** 3), checkpointTimeoutMs: setting('checkpoint_timeout', UNIT_MS, 300_000),
    workMemBytes: setting('work_mem', UNIT_BYTES, 4 * 1024 ** 2), maxConnections: settingNumber(state, 'max_connections') ?? 100,
    connections: backends.reduce((s, x) => s + x.value, 0),
    tables: dead.filter((x) => x.value > 0).sort((a, b) => b.value - a.value).slice(0, 50).map((x) => ({
      ...(x.labels.datname ? { database: x.labels.datname } : {}), schema: x.labels.schemaname ?? 'public', name: x.labels.relname ?? '?', liveTuples: liveBy.get(key(x.labels)) ?? 0, deadTuples: x.value,
      // Table options and vacuum times are not among the collected series.
      autovacuumEnabled: true, lastAutovacuum: null, freezeAge: 0,
    })),
    autovacuumFreezeMaxAge: settingNumber(state, 'autovacuum_freeze_max_age') ?? 200_000_000,
  };
}
