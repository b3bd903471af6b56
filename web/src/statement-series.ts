// One statement's counters per bucket (GET …/statements/{queryid}) as the lines of its charts.
import type { StatementHistory } from './api.ts';
import type { ValueUnit } from './format.ts';
import type { ChartData, Values } from './series-math.ts';

export interface StatementChart {
  /** data-testid is `chart-<slug>`. */
  slug: string;
  title: string;
  unit: ValueUnit;
  data: ChartData;
}

/**
 * The buckets from the first to the last one with data: a bucket between them without data is a
 * bucket in which the statement did not run (the agent sends only entries that changed), so 0.
 */
function grid(h: StatementHistory): { x: number[]; at: Map<number, StatementHistory['points'][number]> } {
  const at = new Map(h.points.map((p) => [p.t, p]));
  const x: number[] = [];
  if (h.points.length === 0 || h.step_ms <= 0) return { x, at };
  const first = h.points[0].t;
  const last = h.points[h.points.length - 1].t;
  for (let t = first; t <= last; t += h.step_ms) x.push(t);
  return { x, at };
}

/** The statement's charts: calls, time, rows, buffers, temp and WAL per second, and its mean time. */
export function statementSeries(h: StatementHistory): StatementChart[] {
  const { x, at } = grid(h);
  const stepS = h.step_ms / 1000;
  const perSec = (counter: string): Values => x.map((t) => (at.get(t)?.counters[counter] ?? 0) / stepS);
  const line = (label: string, values: Values) => ({ label, values });
  return [
    { slug: 'q-calls', title: 'Calls', unit: 'perSec', data: { x, series: [line('calls', perSec('calls'))] } },
    {
      slug: 'q-mean', title: 'Mean execution time', unit: 'seconds',
      // A bucket without calls has no mean.
      data: { x, series: [line('mean', x.map((t) => { const p = at.get(t); return p && p.counters.calls > 0 ? p.mean_exec_time / 1000 : null; }))] },
    },
    {
      // Milliseconds of execution per second of wall time: how many sessions this statement kept busy on average.
      slug: 'q-load', title: 'Sessions busy executing it', unit: 'sessions',
      data: { x, series: [line('execution', perSec('total_exec_time').map((v) => (v === null ? null : v / 1000))), line('planning', perSec('total_plan_time').map((v) => (v === null ? null : v / 1000)))] },
    },
    { slug: 'q-rows', title: 'Rows', unit: 'perSec', data: { x, series: [line('rows', perSec('rows'))] } },
    {
      slug: 'q-buffers', title: 'Shared blocks', unit: 'perSec',
      data: { x, series: [line('hit', perSec('shared_blks_hit')), line('read', perSec('shared_blks_read')), line('dirtied', perSec('shared_blks_dirtied')), line('written', perSec('shared_blks_written'))] },
    },
    {
      slug: 'q-temp', title: 'Temp and local blocks', unit: 'perSec',
      data: { x, series: [line('temp read', perSec('temp_blks_read')), line('temp written', perSec('temp_blks_written')), line('local read', perSec('local_blks_read'))] },
    },
    { slug: 'q-wal', title: 'WAL', unit: 'bytesPerSec', data: { x, series: [line('WAL', perSec('wal_bytes'))] } },
  ];
}
