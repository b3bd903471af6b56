// The size report: measurement, snapshots and forecast put together. Pure, no I/O.
import { DAY_MS } from './partitions.ts';
import { daysUntilFull, forecastKind, growthPerDay, type KindState } from './store-forecast.ts';
import { STORE_KINDS, windowOfKind, type SizeMeasurement, type StoreKind } from './store-size-measure.ts';

/** Growth is the trend of the snapshots of this many last days. */
export const GROWTH_WINDOW_DAYS = 7;
/** Forecast horizon, in days. */
export const FORECAST_DAYS = 30;

/** One kind in the report; sizes in bytes, growth in bytes per day. */
export interface KindReport {
  kind: StoreKind; tables: string[]; bytes: number; partitions: number | null; oldest: number | null; days_held: number | null;
  retention_days: number | null; window_days: number | null;
  growth_per_day: number | null; forecast_30d: number | null; steady_state: number | null;
}

/** What GET /api/v1/store/size answers (docs/api.md). */
export interface StoreSizeReport {
  measured_at: number;
  total: { bytes: number; growth_per_day: number | null; forecast_30d: number | null; steady_state: number | null };
  kinds: KindReport[];
  /** Time of the snapshot whose retention is reported; null before the worker's first one. */
  retention_from: number | null;
  growth: { window_days: number; snapshots: number; reason: string | null };
  disk: { free_bytes: number; days_until_full: number | null; full_at: number | null; reason: string | null } | null;
  /** Snapshots, oldest first: `total` and each kind (null where a snapshot lacks it). */
  history: { ts: number[]; total: number[]; kinds: Record<StoreKind, (number | null)[]> };
}

/** A row of store_size_history; kind is a StoreKind or 'total'. */
export interface SnapshotRow { ts: number; kind: string; bytes: number; retention_days?: number | null }

export interface ReportInput {
  measurement: SizeMeasurement;
  /** Rows of the newest snapshot: the retention in force. */
  latest: SnapshotRow[];
  /** Rows of the growth window, oldest first. */
  recent: SnapshotRow[];
  /** Rows of the history to show, oldest first. */
  history: SnapshotRow[];
  diskFreeBytes?: number;
}

/** Puts the report together at the measurement's time. */
export function buildSizeReport({ measurement: m, latest, recent, history, diskFreeBytes }: ReportInput): StoreSizeReport {
  const now = m.ts;
  const pointsOf = (kind: string) => recent.filter((r) => r.kind === kind).map((r) => ({ ts: r.ts, bytes: r.bytes }));
  const retentionOf = new Map(latest.map((r) => [r.kind, r.retention_days ?? null]));
  const total = growthPerDay(pointsOf('total'), now, GROWTH_WINDOW_DAYS);
  const states: KindState[] = [];
  const kinds = m.kinds.map((k): KindReport => {
    const retention = retentionOf.get(k.kind) ?? null;
    const state: KindState = {
      bytes: k.bytes, growthPerDay: growthPerDay(pointsOf(k.kind), now, GROWTH_WINDOW_DAYS).bytesPerDay,
      daysHeld: k.daysHeld, windowDays: windowOfKind(k.kind, retention),
    };
    states.push(state);
    const f = forecastKind(state, FORECAST_DAYS);
    return {
      kind: k.kind, tables: k.tables, bytes: k.bytes, partitions: k.partitions, oldest: k.oldest, days_held: k.daysHeld,
      retention_days: retention, window_days: state.windowDays, growth_per_day: state.growthPerDay, forecast_30d: f.inDays, steady_state: f.steadyState,
    };
  });
  const sum = (xs: (number | null)[]) => (xs.some((x) => x === null) ? null : xs.reduce<number>((a, x) => a + x!, 0));
  let disk: StoreSizeReport['disk'] = null;
  if (diskFreeBytes !== undefined) {
    const d = daysUntilFull(states, diskFreeBytes);
    disk = { free_bytes: diskFreeBytes, days_until_full: d.daysUntilFull, full_at: d.daysUntilFull === null ? null : Math.round(now + d.daysUntilFull * DAY_MS), reason: d.reason };
  }
  const times = [...new Set(history.map((r) => r.ts))];
  const at = new Map(times.map((t, i) => [t, i]));
  const column = (kind: string) => {
    const col: (number | null)[] = times.map(() => null);
    for (const r of history) if (r.kind === kind) col[at.get(r.ts)!] = r.bytes;
    return col;
  };
  return {
    measured_at: now,
    total: {
      bytes: m.databaseBytes, growth_per_day: total.bytesPerDay, forecast_30d: sum(kinds.map((k) => k.forecast_30d)),
      // Kinds without retention count at their present size; before any snapshot, retention is unknown.
      steady_state: latest.length ? sum(kinds.map((k) => (k.window_days === null ? k.bytes : k.steady_state))) : null,
    },
    kinds,
    retention_from: latest[0]?.ts ?? null,
    growth: { window_days: GROWTH_WINDOW_DAYS, snapshots: total.points, reason: total.reason },
    disk,
    history: {
      ts: times, total: column('total') as number[],
      kinds: Object.fromEntries(STORE_KINDS.map((k) => [k, column(k)])) as Record<StoreKind, (number | null)[]>,
    },
  };
}
