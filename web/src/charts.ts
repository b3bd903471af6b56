// The instance page's charts: what each one asks the API for and how it derives what it draws.
import type { Instance, Series } from './api.ts';
import { query, summed, type ChartContext } from './chart-query.ts';
import type { ValueUnit } from './format.ts';
import { alignSeries, combine, hitRatioPercent, lastValue, namedSeries, type ChartData } from './series-math.ts';

export interface ChartDef {
  /** data-testid is `chart-<slug>`. */
  slug: string;
  title: string;
  unit: ValueUnit;
  stacked?: boolean;
  /** 'zero' (default): the y axis starts at 0; 'auto': it fits the data. */
  yBase?: 'zero' | 'auto';
  /** Shown instead of the chart when nothing has a value. */
  emptyText?: (instance: Instance) => string;
  /**
   * Metrics that only some collectors or presets produce: while the instance has none of them
   * stored, the chart shows its emptyText without asking.
   */
  requires?: string[];
  load: (ctx: ChartContext) => Promise<ChartData>;
}

const tps: ChartDef = {
  slug: 'tps',
  title: 'Transactions',
  unit: 'perSec',
  load: (ctx) => summed(ctx, [
    ['commit', 'pg_stat_database.xact_commit'],
    ['rollback', 'pg_stat_database.xact_rollback'],
  ], 'rate'),
};

const connections: ChartDef = {
  slug: 'connections',
  title: 'Connections by state',
  unit: 'count',
  stacked: true,
  // Client backends only, like the fleet's connection count; background processes have state 'none'.
  load: async (ctx) => {
    const series = await query(ctx, 'pg_activity.count', { fn: 'value', by: 'state', match: 'backend_type=client backend' });
    return alignSeries(namedSeries(series, '(no state)'));
  },
};

const cacheHit: ChartDef = {
  slug: 'cache-hit',
  title: 'Cache hit ratio',
  unit: 'percent',
  yBase: 'auto',
  load: async (ctx) => {
    const data = await summed(ctx, [
      ['hit', 'pg_stat_database.blks_hit'],
      ['read', 'pg_stat_database.blks_read'],
    ], 'rate');
    const [hit, read] = data.series;
    return { x: data.x, series: [{ label: 'hit ratio', values: hitRatioPercent(hit.values, read.values) }] };
  },
};

const wal: ChartDef = {
  slug: 'wal',
  title: 'WAL generated',
  unit: 'bytesPerSec',
  load: (ctx) => summed(ctx, [['WAL', 'pg_wal.lsn']], 'rate'),
};

const replicationLag: ChartDef = {
  slug: 'replication-lag',
  title: 'Replication lag',
  unit: 'seconds',
  emptyText: (instance) => (instance.role === 'primary' ? 'no standbys' : 'no data yet'),
  // A primary shows each standby's replay lag; a standby its own replay delay (always 0 on a primary,
  // so it is not asked there). Grouping by standby keeps one line when a walsender changes state.
  load: async (ctx) => {
    const role = ctx.instance.role;
    const [standbys, delay] = await Promise.all([
      role !== 'replica'
        ? query(ctx, 'pg_replication.replay_lag_s', { fn: 'value', by: 'application_name,client_addr', agg: 'max' })
        : Promise.resolve([]),
      role !== 'primary' ? query(ctx, 'pg_wal.replay_delay_s', { fn: 'value', by: '', agg: 'max' }) : Promise.resolve([]),
    ]);
    const lines = [
      ...namedSeries(standbys, 'standby'),
      ...delay.map((s) => ({ label: 'replay delay', points: s.points })),
    ].filter((s) => s.points.some(([, v]) => v !== null));
    return alignSeries(lines);
  },
};

const cpu: ChartDef = {
  slug: 'cpu',
  title: 'CPU',
  unit: 'percent',
  stacked: true,
  load: async (ctx) => {
    const [modes, count] = await Promise.all([
      query(ctx, 'node_cpu.seconds', { fn: 'rate', by: 'mode' }),
      query(ctx, 'node_cpu.count', { fn: 'value', by: '', agg: 'max' }),
    ]);
    const cpus = lastValue(count[0]?.points ?? []);
    if (!cpus || cpus <= 0) return { x: [], series: [] };
    // Idle is the rest of the stack; modes that never reach 0.1 % (steal, irq on most hosts) only clutter the legend.
    const busy = modes.filter((s) => s.labels.mode !== 'idle');
    const data = alignSeries(namedSeries(busy, 'busy'));
    for (const s of data.series) s.values = s.values.map((v) => (v === null ? null : (v / cpus) * 100));
    data.series = data.series.filter((s) => s.label === 'user' || s.label === 'system' || s.values.some((v) => v !== null && v >= 0.1));
    return data;
  },
};

const memory: ChartDef = {
  slug: 'memory',
  title: 'Memory',
  unit: 'bytes',
  stacked: true,
  load: async (ctx) => {
    const data = await summed(ctx, [
      ['total', 'node_memory.total'],
      ['available', 'node_memory.available'],
    ], 'value');
    const [total, available] = data.series;
    const used = combine(total.values, available.values, (t, a) => t - a);
    return { x: data.x, series: [{ label: 'used', values: used }, { label: 'available', values: available.values }] };
  },
};

const diskIo: ChartDef = {
  slug: 'disk-io',
  title: 'Disk I/O',
  unit: 'bytesPerSec',
  load: (ctx) => summed(ctx, [
    ['read', 'node_disk.read_bytes'],
    ['write', 'node_disk.write_bytes'],
  ], 'rate'),
};

const tuples: ChartDef = {
  slug: 'tuples',
  title: 'Rows',
  unit: 'perSec',
  load: (ctx) => summed(ctx, [
    ['returned', 'pg_stat_database.tup_returned'],
    ['fetched', 'pg_stat_database.tup_fetched'],
    ['inserted', 'pg_stat_database.tup_inserted'],
    ['updated', 'pg_stat_database.tup_updated'],
    ['deleted', 'pg_stat_database.tup_deleted'],
  ], 'rate'),
};

const waits: ChartDef = {
  slug: 'waits',
  title: 'Sessions by wait event type',
  unit: 'sessions',
  stacked: true,
  // pg_wait counts the backends of each wait at each collection; not waiting reads "Running".
  load: async (ctx) => {
    const series = await query(ctx, 'pg_wait.count', { fn: 'value', by: 'wait_event_type' });
    return alignSeries(namedSeries(series, '(none)'));
  },
};

const temp: ChartDef = {
  slug: 'temp',
  title: 'Temporary files written',
  unit: 'bytesPerSec',
  emptyText: () => 'no temporary files',
  load: (ctx) => summed(ctx, [['temp', 'pg_stat_database.temp_bytes']], 'rate'),
};

/** Rates per second as counts per hour: events that happen a few times an hour read better so. */
function perHour(data: ChartData): ChartData {
  return { x: data.x, series: data.series.map((s) => ({ ...s, values: s.values.map((v) => (v === null ? null : v * 3600)) })) };
}

const deadlocks: ChartDef = {
  slug: 'deadlocks',
  title: 'Deadlocks and recovery conflicts per hour',
  unit: 'sessions',
  load: async (ctx) => perHour(await summed(ctx, [
    ['deadlocks', 'pg_stat_database.deadlocks'],
    ['conflicts', 'pg_stat_database.conflicts'],
  ], 'rate')),
};

const checkpoints: ChartDef = {
  slug: 'checkpoints',
  title: 'Checkpoints per hour: timed vs requested',
  unit: 'sessions',
  // Requested checkpoints (max_wal_size reached) more often than timed ones: max_wal_size is too small.
  load: async (ctx) => perHour(await summed(ctx, [
    ['timed', 'pg_checkpointer.checkpoints_timed'],
    ['requested', 'pg_checkpointer.checkpoints_req'],
  ], 'rate')),
};

const slots: ChartDef = {
  slug: 'slots',
  title: 'WAL retained by replication slots',
  unit: 'bytes',
  emptyText: () => 'no replication slots',
  load: async (ctx) => alignSeries(namedSeries(await query(ctx, 'pg_replication_slots.retained_bytes', { fn: 'value', by: 'slot_name', agg: 'max' }), 'slot')),
};

const io: ChartDef = {
  slug: 'io',
  title: 'I/O by backend type (pg_stat_io)',
  unit: 'bytesPerSec',
  stacked: true,
  requires: ['pg_stat_io.read_bytes', 'pg_stat_io.write_bytes'],
  emptyText: (instance) => (instance.version_num !== null && instance.version_num < 160000
    ? 'pg_stat_io arrives in PostgreSQL 16'
    : 'pg_stat_io is collected with the exhaustive preset (agent --preset exhaustive)'),
  load: async (ctx) => {
    const [reads, writes] = await Promise.all([
      query(ctx, 'pg_stat_io.read_bytes', { fn: 'rate', by: 'backend_type' }),
      query(ctx, 'pg_stat_io.write_bytes', { fn: 'rate', by: 'backend_type' }),
    ]);
    // Reads and writes of a backend type in one band.
    const byType = new Map<string, Series[]>();
    for (const s of [...reads, ...writes]) {
      const k = s.labels.backend_type ?? '';
      byType.set(k, [...(byType.get(k) ?? []), s]);
    }
    const data = alignSeries([...byType].map(([label, list]) => ({ label, points: list.flatMap((s) => s.points) })), 'sum');
    data.series = data.series.filter((s) => s.values.some((v) => v !== null && v > 0));
    return data;
  },
};

const network: ChartDef = {
  slug: 'network',
  title: 'Network',
  unit: 'bytesPerSec',
  load: (ctx) => summed(ctx, [
    ['received', 'node_net.rx_bytes'],
    ['sent', 'node_net.tx_bytes'],
  ], 'rate'),
};

const processCpu: ChartDef = {
  slug: 'process-cpu',
  title: 'CPU by backend type (% of one core)',
  unit: 'percent',
  stacked: true,
  requires: ['pg_process.cpu_seconds'],
  emptyText: () => 'no process figures: the agent reads them from /proc, so it must run on the PostgreSQL host',
  load: async (ctx) => {
    const data = alignSeries(namedSeries(await query(ctx, 'pg_process.cpu_seconds', { fn: 'rate', by: 'backend_type' }), 'process'));
    for (const s of data.series) s.values = s.values.map((v) => (v === null ? null : v * 100));
    return data;
  },
};

const processMemory: ChartDef = {
  slug: 'process-memory',
  // Private memory (RssAnon): what each kind of process holds beyond shared buffers, so the stack adds up.
  title: 'Private memory by backend type',
  unit: 'bytes',
  stacked: true,
  requires: ['pg_process.rss_anon_bytes'],
  emptyText: () => 'no process figures: the agent reads them from /proc, so it must run on the PostgreSQL host',
  load: async (ctx) => alignSeries(namedSeries(await query(ctx, 'pg_process.rss_anon_bytes', { fn: 'value', by: 'backend_type' }), 'process')),
};

/** In display order. */
export const INSTANCE_CHARTS: readonly ChartDef[] = [
  tps, connections, tuples, waits, cacheHit, temp, wal, checkpoints, replicationLag, slots, deadlocks, io,
  cpu, memory, diskIo, network, processCpu, processMemory,
];
