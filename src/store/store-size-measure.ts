// What the store holds, by kind of data, from the catalog only: pg_total_relation_size of
// each table and partition (indexes and TOAST included) and pg_database_size; no table is read.
import type { Sql } from 'postgres';
import { COMPACT_AFTER_MS } from './compaction.ts';
import { DAY_MS, listPartitions, type PartitionedTable } from './partitions.ts';
import type { Retention } from './timeseries.ts';

/** Kinds of data the store reports its size for; `other` is the database less all the rest. */
export const STORE_KINDS = ['raw', 'chunks', 'rollups_1m', 'rollups_1h', 'statements', 'activity', 'events', 'dictionary', 'ingest', 'other'] as const;
export type StoreKind = (typeof STORE_KINDS)[number];

/** The tables of each kind: partitioned ones are summed over their partitions. */
export const STORE_KIND_TABLES: Record<StoreKind, { partitioned: PartitionedTable[]; plain: string[] }> = {
  raw: { partitioned: ['sample_sets'], plain: [] },
  chunks: { partitioned: ['sample_chunks'], plain: [] },
  rollups_1m: { partitioned: ['rollups_1m'], plain: [] },
  rollups_1h: { partitioned: ['rollups_1h'], plain: [] },
  statements: { partitioned: ['statement_stats'], plain: ['statement_texts'] },
  activity: { partitioned: ['activity_samples', 'activity_sessions'], plain: [] },
  events: { partitioned: [], plain: ['events', 'settings_snapshots'] },
  dictionary: { partitioned: [], plain: ['series', 'series_sets', 'series_set_members', 'metrics'] },
  ingest: { partitioned: [], plain: ['ingested', 'dead_letters'] },
  other: { partitioned: [], plain: [] },
};

/** Kinds whose bookkeeping lives as long as the ingested data: their days held are that data's. */
const INGESTED_DATA: StoreKind[] = ['raw', 'chunks', 'statements', 'activity'];

/** The retention the worker applies to a kind, in days; null: kept until deleted. */
export function retentionOfKind(kind: StoreKind, r: Retention): number | null {
  switch (kind) {
    case 'raw': case 'chunks': case 'ingest': return r.samplesDays;
    case 'rollups_1m': return r.rollup1mDays;
    case 'rollups_1h': return r.rollup1hDays;
    case 'statements': case 'activity': return r.statementsDays;
    default: return null;
  }
}

/** Days of data a kind holds once full, given its retention; null: unbounded. */
export function windowOfKind(kind: StoreKind, retentionDays: number | null): number | null {
  if (retentionDays === null) return null;
  // Compaction moves a day of raw rows into chunks an hour after the day ends.
  if (kind === 'raw') return Math.min(retentionDays, 1 + COMPACT_AFTER_MS / DAY_MS);
  // Dedup rows are kept a day past retention (worker.ts).
  if (kind === 'ingest') return retentionDays + 1;
  return retentionDays;
}

/** The size of one kind now. */
export interface KindSize {
  kind: StoreKind;
  tables: string[];
  bytes: number;
  /** Partitions holding data; null for kinds that are not partitioned. */
  partitions: number | null;
  /** Start of the oldest partition holding data (ms). */
  oldest: number | null;
  /** Days from `oldest` to the measurement; 0 when a kind bounded by retention holds nothing, null for the others. */
  daysHeld: number | null;
}

export interface SizeMeasurement { ts: number; databaseBytes: number; kinds: KindSize[] }

/** Measures every kind at `now` (days held are counted to `now`). */
export async function measureStoreSize(sql: Sql, now: number): Promise<SizeMeasurement> {
  const parents = [...new Set(STORE_KINDS.flatMap((k) => STORE_KIND_TABLES[k].partitioned))];
  const plain = STORE_KINDS.flatMap((k) => STORE_KIND_TABLES[k].plain);
  const [bounds, parts, tables, [db]] = await Promise.all([
    Promise.all(parents.map(async (p) => [p, await listPartitions(sql, p)] as const)),
    sql<{ name: string; bytes: number; heap: number }[]>`
      select c.relname as name, pg_total_relation_size(c.oid) as bytes, pg_relation_size(c.oid) as heap
      from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = any(${parents}::regclass[])`,
    sql<{ name: string; bytes: number }[]>`
      select n as name, coalesce(pg_total_relation_size(to_regclass(n)), 0) as bytes from unnest(${plain}::text[]) n`,
    sql<{ bytes: number }[]>`select pg_database_size(current_database()) as bytes`,
  ]);
  const partSize = new Map(parts.map((p) => [p.name, p]));
  const plainSize = new Map(tables.map((t) => [t.name, Number(t.bytes)]));
  const boundsOf = new Map(bounds);
  const kinds = STORE_KINDS.map((kind): KindSize => {
    const def = STORE_KIND_TABLES[kind];
    let bytes = def.plain.reduce((a, t) => a + (plainSize.get(t) ?? 0), 0);
    let oldest: number | null = null;
    let partitions: number | null = def.partitioned.length ? 0 : null;
    for (const parent of def.partitioned) {
      for (const p of boundsOf.get(parent) ?? []) {
        const s = partSize.get(p.name);
        bytes += Number(s?.bytes ?? 0);
        if (!s || Number(s.heap) === 0) continue;
        partitions!++;
        if (p.from <= now) oldest = Math.min(oldest ?? p.from, p.from);
      }
    }
    return { kind, tables: [...def.partitioned, ...def.plain], bytes, partitions, oldest, daysHeld: null };
  });
  const ingested = kinds.filter((k) => INGESTED_DATA.includes(k.kind) && k.oldest !== null).map((k) => k.oldest!);
  const databaseBytes = Number(db.bytes);
  const other = kinds.find((k) => k.kind === 'other')!;
  other.bytes = Math.max(0, databaseBytes - kinds.reduce((a, k) => a + k.bytes, 0));
  for (const k of kinds) {
    if (k.kind === 'ingest' && ingested.length) k.oldest = Math.min(...ingested);
    // A kind that retention bounds but that holds nothing yet holds zero days.
    if (k.oldest !== null) k.daysHeld = Math.max(0, (now - k.oldest) / DAY_MS);
    else if (k.partitions !== null || k.kind === 'ingest') k.daysHeld = 0;
  }
  return { ts: now, databaseBytes, kinds };
}
