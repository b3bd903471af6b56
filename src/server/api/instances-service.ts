import type { InstanceRow, Store } from '../../store/index.ts';
import type { SeriesService } from './series-service.ts';

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
  key: { tps: number | null; connections: number | null; cache_hit_ratio: number | null; replication_lag_s: number | null };
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
    const rows = await this.store.inventory.listInstances();
    const views = await Promise.all(rows.map((r) => this.view(r, now)));
    return views.sort((a, b) => INSTANCE_STATUSES.indexOf(a.status) - INSTANCE_STATUSES.indexOf(b.status) || a.id.localeCompare(b.id));
  }

  async view(r: InstanceRow, now = Date.now()): Promise<InstanceView> {
    const from = now - 30 * 60_000;
    const q = (metric: string, extra: { fn?: 'rate' | 'value'; match?: Record<string, string> } = {}) =>
      // 31 aligned 1-minute buckets cover 30 minutes that do not start on a minute.
      this.series.query({ instance: r.name, metric, from, to: now, maxPoints: 31, by: [], ...extra }, r)
        .then((s) => s.series[0]?.points ?? []);
    const [commits, rollbacks, conns, hits, reads, lag, delay] = await Promise.all([
      q('pg_stat_database.xact_commit'), q('pg_stat_database.xact_rollback'),
      q('pg_activity.count', { match: { backend_type: 'client backend' } }),
      q('pg_stat_database.blks_hit'), q('pg_stat_database.blks_read'),
      this.series.query({ instance: r.name, metric: 'pg_replication.replay_lag_s', from: now - 5 * 60_000, to: now, maxPoints: 10, by: [], agg: 'max' }, r).then((s) => s.series[0]?.points ?? []),
      q('pg_wal.replay_delay_s'),
    ]);
    const tps = commits.map(([t, v], i): [number, number | null] => [t, v === null && rollbacks[i]?.[1] == null ? null : (v ?? 0) + (rollbacks[i]?.[1] ?? 0)]);
    const hit = lastValue(hits);
    const read = lastValue(reads);
    return {
      id: r.name, namespace: r.namespace, cluster: r.cluster, node: r.node, agent: r.agent, role: r.role,
      version: r.version, version_num: r.version_num, status: statusOf(r, now), error: r.error,
      last_seen: r.last_seen, started_at: r.started_at,
      key: {
        tps: lastValue(tps),
        connections: lastValue(conns),
        cache_hit_ratio: hit !== null && read !== null && hit + read > 0 ? hit / (hit + read) : null,
        replication_lag_s: r.role === 'replica' ? lastValue(delay) : lastValue(lag),
      },
      spark: { tps, connections: conns },
    };
  }
}
