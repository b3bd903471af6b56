import { latestOfMetrics, type Store } from '../../store/index.ts';
import type { SeriesService } from './series-service.ts';

/** The tables of the newest pg_table run: sizes, rows, maintenance, scans, with bloat and growth added. */
export interface TableObject {
  datname: string;
  schemaname: string;
  relname: string;
  /** When the agent read the row (ms). */
  ts: number;
  total_bytes: number | null;
  heap_bytes: number | null;
  indexes_bytes: number | null;
  toast_bytes: number | null;
  n_live_tup: number | null;
  n_dead_tup: number | null;
  /** n_dead_tup / (n_live_tup + n_dead_tup). */
  dead_ratio: number | null;
  /** Times (ms) of the last vacuum and analyze, manual or automatic; null when none since the statistics were reset. */
  last_vacuum: number | null;
  last_autovacuum: number | null;
  last_analyze: number | null;
  frozenxid_age: number | null;
  autovacuum_enabled: boolean | null;
  seq_scan: number | null;
  idx_scan: number | null;
  n_tup_ins: number | null;
  n_tup_upd: number | null;
  n_tup_del: number | null;
  /** From pg_table_bloat (tables of 1 MB or more with the most bloat); null when not among them. */
  bloat_bytes: number | null;
  bloat_ratio: number | null;
  /** total_bytes change per day over the last 24 hours (least time covered: 1 hour); null without history. */
  growth_per_day: number | null;
}

export interface IndexObject {
  datname: string;
  schemaname: string;
  relname: string;
  indexrelname: string;
  ts: number;
  bytes: number | null;
  idx_scan: number | null;
  /** Time (ms) of the last scan (16+); null when never or before 16. */
  last_idx_scan: number | null;
}

export interface DatabaseObjects {
  datname: string;
  indexes: number | null;
  invalid_count: number | null;
  invalid_bytes: number | null;
  unused_count: number | null;
  unused_bytes: number | null;
  total_bloat_bytes: number | null;
  tables_estimated: number | null;
  tables_without_stats: number | null;
}

export interface ObjectsReply {
  instance: string;
  tables: TableObject[];
  indexes: IndexObject[];
  databases: DatabaseObjects[];
}

/** Longer than the slowest of the three collectors' intervals (pg_table_bloat: 30 min), with room for a late run. */
const LOOKBACK_MS = 2 * 3_600_000;
const GROWTH_WINDOW_MS = 24 * 3_600_000;

const TABLE_FIELDS = ['total_bytes', 'heap_bytes', 'indexes_bytes', 'toast_bytes', 'n_live_tup', 'n_dead_tup', 'frozenxid_age',
  'seq_scan', 'idx_scan', 'n_tup_ins', 'n_tup_upd', 'n_tup_del', 'last_vacuum_age_s', 'last_autovacuum_age_s', 'last_analyze_age_s', 'autovacuum_enabled'] as const;
const INDEX_FIELDS = ['bytes', 'idx_scan', 'last_idx_scan_age_s'] as const;
const DATABASE_INDEX_FIELDS = ['indexes', 'invalid_count', 'invalid_bytes', 'unused_count', 'unused_bytes'] as const;
const DATABASE_BLOAT_FIELDS = ['total_bloat_bytes', 'tables_estimated', 'tables_without_stats'] as const;

type Row = { metric: string; labels: Record<string, string>; value: number; ts: number };

/**
 * Rows of one collector's newest run per database. The collectors send the top tables and
 * indexes of each run, so a relation that left the top list keeps older samples: only the
 * newest run of each database counts.
 */
function newestRun(rows: Row[], family: string): Map<string, Row[]> {
  const mine = rows.filter((r) => r.metric.startsWith(`${family}.`));
  const newest = new Map<string, number>();
  for (const r of mine) newest.set(r.labels.datname ?? '', Math.max(newest.get(r.labels.datname ?? '') ?? 0, r.ts));
  const out = new Map<string, Row[]>();
  for (const r of mine) {
    // One run's samples share its message's ts; a second is a generous margin.
    if (r.ts < (newest.get(r.labels.datname ?? '') ?? 0) - 1000) continue;
    const key = JSON.stringify([r.labels.datname ?? '', r.labels.schemaname ?? '', r.labels.relname ?? '', r.labels.indexrelname ?? '']);
    const list = out.get(key);
    if (list) list.push(r); else out.set(key, [r]);
  }
  return out;
}

function fields<F extends string>(rows: Row[], family: string, names: readonly F[]): Record<F, number | null> {
  const out = Object.fromEntries(names.map((n) => [n, null])) as Record<F, number | null>;
  for (const r of rows) {
    const name = r.metric.slice(family.length + 1) as F;
    if (names.includes(name) && Number.isFinite(r.value)) out[name] = r.value;
  }
  return out;
}

/** An age in seconds read at `ts` as the time it points at. */
const at = (ts: number, ageS: number | null): number | null => (ageS === null ? null : Math.round(ts - ageS * 1000));

/** Tables, indexes and per-database index and bloat figures of one instance, from what its collectors sent last. */
export class ObjectsService {
  constructor(private readonly store: Store, private readonly series: SeriesService) {}

  async objects(name: string, now = Date.now()): Promise<ObjectsReply> {
    const inst = await this.series.instance(name);
    const metrics = [
      ...TABLE_FIELDS.map((f) => `pg_table.${f}`),
      ...INDEX_FIELDS.map((f) => `pg_index.${f}`), ...DATABASE_INDEX_FIELDS.map((f) => `pg_index.${f}`),
      'pg_table_bloat.bloat_bytes', 'pg_table_bloat.bloat_ratio', ...DATABASE_BLOAT_FIELDS.map((f) => `pg_table_bloat.${f}`),
    ];
    const [rows, growth] = await Promise.all([
      latestOfMetrics(this.store.sql, { kind: 'i', id: inst.id }, metrics, now - LOOKBACK_MS),
      this.growth(name, now),
    ]);

    const bloat = new Map<string, { bloat_bytes: number | null; bloat_ratio: number | null }>();
    const databases = new Map<string, DatabaseObjects>();
    const database = (datname: string): DatabaseObjects => {
      let d = databases.get(datname);
      if (!d) {
        d = { datname, indexes: null, invalid_count: null, invalid_bytes: null, unused_count: null, unused_bytes: null, total_bloat_bytes: null, tables_estimated: null, tables_without_stats: null };
        databases.set(datname, d);
      }
      return d;
    };
    for (const [, list] of newestRun(rows, 'pg_table_bloat')) {
      const l = list[0].labels;
      if (l.relname === undefined) Object.assign(database(l.datname ?? ''), fields(list, 'pg_table_bloat', DATABASE_BLOAT_FIELDS));
      else bloat.set(JSON.stringify([l.datname, l.schemaname, l.relname]), fields(list, 'pg_table_bloat', ['bloat_bytes', 'bloat_ratio'] as const));
    }

    const tables: TableObject[] = [];
    for (const [, list] of newestRun(rows, 'pg_table')) {
      const l = list[0].labels;
      if (l.relname === undefined) continue;
      const ts = Math.max(...list.map((r) => r.ts));
      const f = fields(list, 'pg_table', TABLE_FIELDS);
      const key = JSON.stringify([l.datname, l.schemaname, l.relname]);
      const rowsTotal = (f.n_live_tup ?? 0) + (f.n_dead_tup ?? 0);
      tables.push({
        datname: l.datname ?? '', schemaname: l.schemaname ?? '', relname: l.relname, ts,
        total_bytes: f.total_bytes, heap_bytes: f.heap_bytes, indexes_bytes: f.indexes_bytes, toast_bytes: f.toast_bytes,
        n_live_tup: f.n_live_tup, n_dead_tup: f.n_dead_tup,
        dead_ratio: f.n_dead_tup === null || rowsTotal === 0 ? null : f.n_dead_tup / rowsTotal,
        last_vacuum: at(ts, f.last_vacuum_age_s), last_autovacuum: at(ts, f.last_autovacuum_age_s), last_analyze: at(ts, f.last_analyze_age_s),
        frozenxid_age: f.frozenxid_age, autovacuum_enabled: f.autovacuum_enabled === null ? null : f.autovacuum_enabled !== 0,
        seq_scan: f.seq_scan, idx_scan: f.idx_scan, n_tup_ins: f.n_tup_ins, n_tup_upd: f.n_tup_upd, n_tup_del: f.n_tup_del,
        bloat_bytes: bloat.get(key)?.bloat_bytes ?? null, bloat_ratio: bloat.get(key)?.bloat_ratio ?? null,
        growth_per_day: growth.get(key) ?? null,
      });
    }
    tables.sort((a, b) => (b.total_bytes ?? -1) - (a.total_bytes ?? -1));

    const indexes: IndexObject[] = [];
    for (const [, list] of newestRun(rows, 'pg_index')) {
      const l = list[0].labels;
      if (l.indexrelname === undefined) {
        Object.assign(database(l.datname ?? ''), fields(list, 'pg_index', DATABASE_INDEX_FIELDS));
        continue;
      }
      const ts = Math.max(...list.map((r) => r.ts));
      const f = fields(list, 'pg_index', INDEX_FIELDS);
      indexes.push({
        datname: l.datname ?? '', schemaname: l.schemaname ?? '', relname: l.relname ?? '', indexrelname: l.indexrelname, ts,
        bytes: f.bytes, idx_scan: f.idx_scan, last_idx_scan: at(ts, f.last_idx_scan_age_s),
      });
    }
    indexes.sort((a, b) => (b.bytes ?? -1) - (a.bytes ?? -1));
    return { instance: inst.name, tables, indexes, databases: [...databases.values()].sort((a, b) => (a.datname < b.datname ? -1 : 1)) };
  }

  /** Bytes per day of each table over the last day: hourly points, last minus first over the time between. */
  private async growth(name: string, now: number): Promise<Map<string, number>> {
    const res = await this.series.query({
      instance: name, metric: 'pg_table.total_bytes', from: now - GROWTH_WINDOW_MS, to: now, maxPoints: 25, fn: 'value',
      by: ['datname', 'schemaname', 'relname'], agg: 'max',
    });
    const out = new Map<string, number>();
    for (const s of res.series) {
      const pts = s.points.filter((p): p is [number, number] => p[1] !== null);
      if (pts.length < 2) continue;
      const [t0, v0] = pts[0];
      const [t1, v1] = pts[pts.length - 1];
      if (t1 - t0 < 3_600_000) continue;
      out.set(JSON.stringify([s.labels.datname, s.labels.schemaname, s.labels.relname]), ((v1 - v0) / (t1 - t0)) * 86_400_000);
    }
    return out;
  }
}
