import type { InstanceRow, Store } from '../../store/index.ts';
import { ownerKey, type SeriesService } from './series-service.ts';

export const INSTANCE_STATUSES = ['down', 'stale', 'unknown', 'up'] as const;
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number];

/** No report for this long makes an instance stale. */
export const STALE_AFTER_MS = 60_000;

export interface InstanceView {
  id: string;
  namespace: string;
  cluster: string;
  node: string | null;
  agent: string | null;
  role: string;
  version: string | null;
  version_num: number | null;
  status: InstanceStatus;
  error: string | null;
  last_seen: number | null;
  started_at: number | null;
  key: {
    tps: number | null; connections: number | null; cache_hit_ratio: number | null; replication_lag_s: number | null;
    /** The host's CPU busy share (not idle, not I/O wait), 0–1, when the agent reads the host. */
    cpu_busy_ratio: number | null;
    /** Share of the data directory's filesystem in use, 0–1, as df reports it (agent on the PostgreSQL host). */
    disk_used_ratio: number | null;
  };
  spark: { tps: [number, number | null][]; connections: [number, number | null][] };
}

export function statusOf(row: InstanceRow, now: number): InstanceStatus {
  if (row.last_seen === null) return 'unknown';
  if (row.up === false) return 'down';
  if (now - row.last_seen > STALE_AFTER_MS) return 'stale';
  return 'up';
}

const lastValue = (points: [number, number | null][]): number | null => {
  for (let i = points.length - 1; i >= 0; i--) if (points[i][1] !== null) return points[i][1];
  return null;
};

/** Instances as the fleet page shows them: status, key numbers, sparklines. */
export class InstancesService {
  constructor(private readonly store: Store, private readonly series: SeriesService) {}

  async list(now = Date.now()): Promise<InstanceView[]> {
    const views = await this.views(await this.store.inventory.listInstances(), now);
    return views.sort((a, b) => INSTANCE_STATUSES.indexOf(a.status) - INSTANCE_STATUSES.indexOf(b.status) || a.id.localeCompare(b.id));
  }

  async view(r: InstanceRow, now = Date.now()): Promise<InstanceView> {
    return (await this.views([r], now))[0];
  }

  /**
   * The key numbers and sparklines of many instances with one range query per metric for all of
   * them (not one per instance and metric): the last 30 minutes in 1-minute steps.
   */
  private async views(rows: InstanceRow[], now: number): Promise<InstanceView[]> {
    const from = now - 30 * 60_000;
    const instances = rows.map((r) => ({ kind: 'i' as const, id: r.id }));
    const nodes = [...new Set(rows.map((r) => r.node_id).filter((n): n is number => n !== null))].map((id) => ({ kind: 'n' as const, id }));
    // 31 aligned 1-minute buckets cover 30 minutes that do not start on a minute.
    const q = (metric: string, extra: { match?: Record<string, string>; agg?: 'max'; owners?: typeof nodes; from?: number; maxPoints?: number } = {}) =>
      this.series.perOwner({ owners: instances, metric, from, to: now, maxPoints: 31, ...extra });
    const [commits, rollbacks, conns, hits, reads, lag, delay, cpuAll, cpuIdle, cpuIowait, fsSize, fsFree, fsAvail] = await Promise.all([
      q('pg_stat_database.xact_commit'), q('pg_stat_database.xact_rollback'),
      q('pg_activity.count', { match: { backend_type: 'client backend' } }),
      q('pg_stat_database.blks_hit'), q('pg_stat_database.blks_read'),
      q('pg_replication.replay_lag_s', { from: now - 5 * 60_000, maxPoints: 10, agg: 'max' }),
      q('pg_wal.replay_delay_s'),
      q('node_cpu.seconds', { owners: nodes }), q('node_cpu.seconds', { owners: nodes, match: { mode: 'idle' } }), q('node_cpu.seconds', { owners: nodes, match: { mode: 'iowait' } }),
      q('pg_storage.fs_size_bytes', { match: { role: 'data' }, agg: 'max' }), q('pg_storage.fs_free_bytes', { match: { role: 'data' }, agg: 'max' }),
      q('pg_storage.fs_avail_bytes', { match: { role: 'data' }, agg: 'max' }),
    ]);
    return rows.map((r) => {
      const k = ownerKey('i', r.id);
      const n = r.node_id === null ? '' : ownerKey('n', r.node_id);
      const rb = rollbacks.get(k) ?? [];
      const tps = (commits.get(k) ?? []).map(([t, v], i): [number, number | null] => [t, v === null && rb[i]?.[1] == null ? null : (v ?? 0) + (rb[i]?.[1] ?? 0)]);
      const hit = lastValue(hits.get(k) ?? []);
      const read = lastValue(reads.get(k) ?? []);
      // Busy share of the host's CPU time: everything but idle and I/O wait.
      const all = lastValue(cpuAll.get(n) ?? []);
      const idle = (lastValue(cpuIdle.get(n) ?? []) ?? 0) + (lastValue(cpuIowait.get(n) ?? []) ?? 0);
      // As df counts it: used = size − free, against what users may fill (used + available).
      const size = lastValue(fsSize.get(k) ?? []);
      const free = lastValue(fsFree.get(k) ?? []);
      const avail = lastValue(fsAvail.get(k) ?? []);
      return {
        id: r.name, namespace: r.namespace, cluster: r.cluster, node: r.node, agent: r.agent, role: r.role,
        version: r.version, version_num: r.version_num, status: statusOf(r, now), error: r.error,
        last_seen: r.last_seen, started_at: r.started_at,
        key: {
          tps: lastValue(tps),
          connections: lastValue(conns.get(k) ?? []),
          cache_hit_ratio: hit !== null && read !== null && hit + read > 0 ? hit / (hit + read) : null,
          replication_lag_s: r.role === 'replica' ? lastValue(delay.get(k) ?? []) : lastValue(lag.get(k) ?? []),
          cpu_busy_ratio: all !== null && all > 0 ? Math.min(1, Math.max(0, (all - idle) / all)) : null,
          disk_used_ratio: size !== null && free !== null && avail !== null && size - free + avail > 0 ? (size - free) / (size - free + avail) : null,
        },
        spark: { tps, connections: conns.get(k) ?? [] },
      };
    });
  }
}
