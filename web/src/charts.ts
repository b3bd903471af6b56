// The instance page's charts: what each one asks the API for and how it derives what it draws.
import type { Instance } from './api.ts';
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

/** In display order. */
export const INSTANCE_CHARTS: readonly ChartDef[] = [tps, connections, cacheHit, wal, replicationLag, cpu, memory, diskIo];
