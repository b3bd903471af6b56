import type { Sql } from 'postgres';
import { decodeChunk, encodeChunk } from './chunk/index.ts';
import { ensurePartitions, listPartitions } from './partitions.ts';
import { copyText } from './copy.ts';

/** A day is compacted once it ended this long ago (and both rollups are past it). */
export const COMPACT_AFTER_MS = 3_600_000;
/** Series moved per transaction: bounds the memory a unit takes (a 15 s series is 5,760 samples a day). */
const SERIES_PER_UNIT = 500;

export interface CompactedDay {
  /** The raw partition, e.g. `sample_sets_20261122`. */
  day: string;
  series: number;
  samples: number;
  /** Bytes of chunk data written (before row and index overhead). */
  bytes: number;
  /** Whether the raw partition was empty at the end and dropped. */
  dropped: boolean;
}

/**
 * Moves whole days of raw samples (`sample_sets`, one row per message) into one
 * compressed chunk per series and day (`sample_chunks`, src/store/chunk/codec.ts).
 * Each unit of series moves in one transaction: its chunks are written and its raw rows
 * deleted together, so a crash at any point leaves every sample in exactly one place,
 * and the query path (which reads both) never sees a sample twice or misses one.
 * Samples that arrive for a day after it was compacted land in raw rows again and are
 * merged into the chunks by the next run.
 */
export class Compactor {
  constructor(private readonly sql: Sql) {}

  /** Compacts the raw days that are ready; at most `maxDays` per run. */
  async run(now = Date.now(), maxDays = 2): Promise<CompactedDay[]> {
    const state = await this.sql<{ resolution: string; done_to: number }[]>`select resolution, done_to from rollup_state`;
    const rolledTo = Math.min(...['1m', '1h'].map((r) => Number(state.find((s) => s.resolution === r)?.done_to ?? -Infinity)));
    // Buckets that late samples reopened are recomputed from raw rows first.
    const redo = (await this.sql<{ ts: number }[]>`select distinct ts from rollup_redo`).map((r) => Number(r.ts));
    const ready = (await listPartitions(this.sql, 'sample_sets'))
      .filter((p) => p.to <= now - COMPACT_AFTER_MS && p.to <= rolledTo && !redo.some((t) => t >= p.from && t < p.to));
    const out: CompactedDay[] = [];
    for (const p of ready.slice(0, maxDays)) out.push(await this.compactDay(p.name, p.from));
    return out;
  }

  /** Compacts one raw partition (`sample_sets_YYYYMMDD` starting at `day`). */
  async compactDay(partition: string, day: number): Promise<CompactedDay> {
    await ensurePartitions(this.sql, ['sample_chunks'], day, day + 1);
    const sets = (await this.sql<{ set_id: number }[]>`select distinct set_id from ${this.sql(partition)}`).map((r) => r.set_id);
    const members = await this.sql<{ id: number; series: number[] }[]>`select id, series from series_sets where id = any(${sets}::int[])`;
    const result: CompactedDay = { day: partition, series: 0, samples: 0, bytes: 0, dropped: false };
    for (const unit of unitsOf(members, SERIES_PER_UNIT)) {
      const moved = await this.moveUnit(partition, day, unit);
      result.series += moved.series;
      result.samples += moved.samples;
      result.bytes += moved.bytes;
    }
    const [left] = await this.sql`select 1 from ${this.sql(partition)} limit 1`;
    if (!left) {
      await this.sql.unsafe(`drop table if exists ${partition}`);
      result.dropped = true;
    }
    return result;
  }

  private async moveUnit(partition: string, day: number, unit: { id: number; series: number[] }[]): Promise<{ series: number; samples: number; bytes: number }> {
    return this.sql.begin(async (tx) => {
      const setIds = unit.map((s) => s.id);
      const seriesIds = [...new Set(unit.flatMap((s) => s.series))];
      const bySeries = new Map<number, { ts: number[]; values: number[] }>(seriesIds.map((id) => [id, { ts: [], values: [] }]));
      // Chunks written before (samples that came after the day was compacted once) are merged.
      const old = await tx<{ series_id: number; data: Uint8Array }[]>`
        select series_id, data from sample_chunks where ts = ${day}::bigint and series_id = any(${seriesIds}::int[])`;
      for (const c of old) {
        const d = decodeChunk(c.data);
        const s = bySeries.get(c.series_id)!;
        for (let i = 0; i < d.ts.length; i++) { s.ts.push(d.ts[i]); s.values.push(d.values[i]); }
      }
      const rows = await tx<{ set_id: number; ts: number; vals: number[] }[]>`
        select set_id, ts::float8 as ts, vals from ${tx(partition)} where set_id = any(${setIds}::int[]) order by ts`;
      const membersOf = new Map(unit.map((s) => [s.id, s.series]));
      for (const r of rows) {
        const series = membersOf.get(r.set_id)!;
        for (let k = 0; k < series.length; k++) {
          const s = bySeries.get(series[k])!;
          s.ts.push(r.ts);
          s.values.push(r.vals[k]);
        }
      }
      const chunks: { id: number; n: number; first: number; last: number; hex: string }[] = [];
      let samples = 0;
      let bytes = 0;
      for (const [id, s] of bySeries) {
        if (s.ts.length === 0) continue;
        sortByTime(s);
        const data = encodeChunk(s.ts, s.values);
        chunks.push({ id, n: s.ts.length, first: s.ts[0], last: s.ts[s.ts.length - 1], hex: Buffer.from(data).toString('hex') });
        samples += s.ts.length;
        bytes += data.byteLength;
      }
      await tx`delete from sample_chunks where ts = ${day}::bigint and series_id = any(${seriesIds}::int[])`;
      await copyText(tx, 'copy sample_chunks (series_id, ts, n, first_ts, last_ts, data) from stdin', chunks.length,
        (i) => `${chunks[i].id}\t${day}\t${chunks[i].n}\t${chunks[i].first}\t${chunks[i].last}\t\\\\x${chunks[i].hex}\n`);
      await tx`delete from ${tx(partition)} where set_id = any(${setIds}::int[])`;
      return { series: chunks.length, samples, bytes };
    });
  }
}

/**
 * Groups sets into units that share no series with other units (a series found in two
 * sets of a day must be compacted from both at once), each of about `maxSeries` series.
 */
export function unitsOf<T extends { id: number; series: number[] }>(sets: T[], maxSeries: number): T[][] {
  const parent = new Map<number, number>();
  const find = (x: number): number => {
    let r = x;
    while (parent.get(r) !== r) r = parent.get(r)!;
    parent.set(x, r);
    return r;
  };
  const ownerOfSeries = new Map<number, number>();
  for (const s of sets) {
    parent.set(s.id, s.id);
    for (const id of s.series) {
      const other = ownerOfSeries.get(id);
      if (other === undefined) ownerOfSeries.set(id, s.id);
      else parent.set(find(s.id), find(other));
    }
  }
  const groups = new Map<number, T[]>();
  for (const s of sets) {
    const root = find(s.id);
    const g = groups.get(root);
    if (g) g.push(s); else groups.set(root, [s]);
  }
  const units: T[][] = [];
  let unit: T[] = [];
  let size = 0;
  for (const g of groups.values()) {
    const n = g.reduce((sum, s) => sum + s.series.length, 0);
    if (size > 0 && size + n > maxSeries) { units.push(unit); unit = []; size = 0; }
    unit.push(...g);
    size += n;
  }
  if (unit.length > 0) units.push(unit);
  return units;
}

function sortByTime(s: { ts: number[]; values: number[] }): void {
  for (let i = 1; i < s.ts.length; i++) {
    if (s.ts[i - 1] <= s.ts[i]) continue;
    const order = s.ts.map((_, k) => k).sort((a, b) => s.ts[a] - s.ts[b]);
    s.ts = order.map((k) => s.ts[k]);
    s.values = order.map((k) => s.values[k]);
    return;
  }
}
