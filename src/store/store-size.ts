import type { Sql } from 'postgres';
import { DAY_MS } from './partitions.ts';
import { measureStoreSize, retentionOfKind, STORE_KINDS, type SizeMeasurement, type StoreKind } from './store-size-measure.ts';
import { buildSizeReport, GROWTH_WINDOW_DAYS, type SnapshotRow, type StoreSizeReport } from './store-size-report.ts';
import type { Retention } from './timeseries.ts';

/** The worker records a size snapshot at most this often. */
export const SIZE_SNAPSHOT_EVERY_MS = 3_600_000;
/** Size snapshots are kept this many days. */
export const SIZE_HISTORY_DAYS = 400;

/** The store's own size: measured from the catalog, recorded hourly, reported with growth and forecast. */
export class StoreSize {
  constructor(private readonly sql: Sql) {}

  measure(now = Date.now()): Promise<SizeMeasurement> {
    return measureStoreSize(this.sql, now);
  }

  /**
   * Records a snapshot when the last one is an hour old, or the retention changed; prunes
   * snapshots past SIZE_HISTORY_DAYS. Returns whether a snapshot was taken.
   */
  async record(retention: Retention, now = Date.now()): Promise<boolean> {
    const last = await this.latest();
    const lastTs = last[0]?.ts ?? -Infinity;
    const changed = last.some((r) => STORE_KINDS.includes(r.kind as StoreKind) && r.retention_days !== retentionOfKind(r.kind as StoreKind, retention));
    // A retention change shows within a minute, not an hour; never more than one snapshot a minute.
    if (!(now - lastTs >= SIZE_SNAPSHOT_EVERY_MS || (changed && now - lastTs >= 60_000))) return false;
    const m = await this.measure(now);
    const rows = [...m.kinds.map((k) => [k.kind, k.bytes, k.daysHeld, retentionOfKind(k.kind, retention)] as const), ['total', m.databaseBytes, null, null] as const];
    await this.sql`
      insert into store_size_history (ts, kind, bytes, days_held, retention_days)
      select ${now}::bigint, * from unnest(${rows.map((r) => r[0])}::text[], ${rows.map((r) => r[1])}::bigint[],
        ${rows.map((r) => r[2])}::float8[], ${rows.map((r) => r[3])}::int[])
      on conflict do nothing`;
    await this.sql`delete from store_size_history where ts < ${now - SIZE_HISTORY_DAYS * DAY_MS}::bigint`;
    return true;
  }

  /** Sizes now, with retention, growth and forecast per kind, and at most `maxSnapshots` of the last `historyDays`. */
  async report(now = Date.now(), opts: { historyDays?: number; diskFreeBytes?: number; maxSnapshots?: number } = {}): Promise<StoreSizeReport> {
    const from = now - (opts.historyDays ?? 30) * DAY_MS;
    // Thinned to the last snapshot of each slice of the window.
    const step = Math.max(1, Math.ceil((now - from) / (opts.maxSnapshots ?? 800)));
    const [measurement, latest, recent, history] = await Promise.all([
      this.measure(now),
      this.latest(),
      this.rows(this.sql`select ts, kind, bytes from store_size_history
        where ts > ${now - GROWTH_WINDOW_DAYS * DAY_MS}::bigint and ts <= ${now}::bigint order by ts`),
      this.rows(this.sql`
        with picked as (
          select distinct on (b) ts from (
            select ts, ts / ${step}::bigint as b from store_size_history
            where kind = 'total' and ts > ${from}::bigint and ts <= ${now}::bigint) x
          order by b, ts desc)
        select h.ts, h.kind, h.bytes from store_size_history h join picked using (ts) order by h.ts`),
    ]);
    return buildSizeReport({ measurement, latest, recent, history, diskFreeBytes: opts.diskFreeBytes });
  }

  /** The rows of the newest snapshot. */
  private latest(): Promise<SnapshotRow[]> {
    return this.rows(this.sql`
      select ts, kind, bytes, retention_days from store_size_history where ts = (select max(ts) from store_size_history)`);
  }

  private async rows(q: Promise<readonly Record<string, unknown>[]>): Promise<SnapshotRow[]> {
    return (await q).map((r) => ({ ts: Number(r.ts), kind: String(r.kind), bytes: Number(r.bytes), retention_days: r.retention_days as number | null | undefined }));
  }
}
