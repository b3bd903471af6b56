import type { Sql } from 'postgres';

export const DAY_MS = 86_400_000;

/**
 * Tables range-partitioned on `ts` (ms), with the width of one partition. Widths divide
 * into whole days counted from the epoch, so a partition never splits a UTC day.
 */
export const PARTITION_WIDTH_MS = {
  sample_sets: DAY_MS,
  sample_chunks: DAY_MS,
  rollups_1m: DAY_MS,
  rollups_1h: 10 * DAY_MS,
  statement_stats: DAY_MS,
  activity_samples: DAY_MS,
  activity_sessions: DAY_MS,
} as const;
export type PartitionedTable = keyof typeof PARTITION_WIDTH_MS;

/** Tables whose partitions the keeper creates on demand for incoming messages. */
export const INGEST_TABLES = ['sample_sets', 'statement_stats', 'activity_samples', 'activity_sessions'] as const satisfies readonly PartitionedTable[];

export interface Partition { name: string; from: number; to: number }

/** `<table>_YYYYMMDD` of the partition's first day (`sample_sets_20261123`). */
export function partitionName(parent: PartitionedTable, start: number): string {
  return `${parent}_${new Date(start).toISOString().slice(0, 10).replaceAll('-', '')}`;
}

/** Start of the partition of `parent` that holds `ts`. */
export function partitionStart(parent: PartitionedTable, ts: number): number {
  const w = PARTITION_WIDTH_MS[parent];
  return Math.floor(ts / w) * w;
}

/** Creates the partitions of `tables` covering [from, to) that are missing; returns their names. */
export async function ensurePartitions(sql: Sql, tables: readonly PartitionedTable[], from: number, to: number): Promise<string[]> {
  const wanted: { parent: PartitionedTable; start: number; name: string }[] = [];
  for (const parent of tables) {
    const w = PARTITION_WIDTH_MS[parent];
    for (let start = partitionStart(parent, from); start < to; start += w) wanted.push({ parent, start, name: partitionName(parent, start) });
  }
  if (wanted.length === 0) return [];
  // Asked every time, not cached: another process's retention or compaction may have dropped one.
  const exist = new Set((await sql<{ name: string }[]>`
    select n as name from unnest(${wanted.map((p) => p.name)}::text[]) n where to_regclass(n) is not null`).map((r) => r.name));
  const created: string[] = [];
  for (const p of wanted) {
    if (exist.has(p.name)) continue;
    // Two processes may race here; "already exists" from the loser is fine.
    try {
      await sql.unsafe(`create table if not exists ${p.name} partition of ${p.parent} for values from (${p.start}) to (${p.start + PARTITION_WIDTH_MS[p.parent]})`);
    } catch (err) {
      if (!/already exists/.test((err as Error).message)) throw err;
    }
    created.push(p.name);
  }
  return created;
}

/** Partitions of a table with their bounds, oldest first. */
export async function listPartitions(sql: Sql, parent: PartitionedTable): Promise<Partition[]> {
  const rows = await sql<{ name: string; bound: string }[]>`
    select c.relname as name, pg_get_expr(c.relpartbound, c.oid) as bound
    from pg_inherits i join pg_class c on c.oid = i.inhrelid
    where i.inhparent = ${parent}::regclass`;
  return rows.flatMap((r) => {
    const m = /FROM \('?(-?\d+)'?\) TO \('?(-?\d+)'?\)/.exec(r.bound);
    return m ? [{ name: r.name, from: Number(m[1]), to: Number(m[2]) }] : [];
  }).sort((a, b) => a.from - b.from);
}

/** Drops the partitions of `parent` that end at or before `before`; returns their names. */
export async function dropPartitionsBefore(sql: Sql, parent: PartitionedTable, before: number): Promise<string[]> {
  const dropped: string[] = [];
  for (const p of await listPartitions(sql, parent)) {
    if (p.to > before) continue;
    await sql.unsafe(`drop table if exists ${p.name}`);
    dropped.push(p.name);
  }
  return dropped;
}
