import type { Sql, TransactionSql } from 'postgres';
import type { MetricKind } from '../protocol/index.ts';

/** A series is one metric of one owner (instance or node) with one set of labels. */
export interface SeriesKey {
  ownerKind: 'i' | 'n';
  ownerId: number;
  metricId: number;
  labels: Record<string, string>;
}

export interface MetricInfo {
  name: string;
  kind: MetricKind;
  unit?: string;
  interval_ms?: number;
}

export interface StoredMetric extends MetricInfo { id: number }

/**
 * Most series in one set: a message with more points is stored as several sets, so each
 * row's arrays stay inline (under PostgreSQL's ~2 kB TOAST threshold, rollup rows included).
 */
export const MAX_SET_MEMBERS = 50;

/**
 * Width of the buckets the raw index keys rows by (`sample_sets (set_id, ((ts / 600000)::int))`,
 * migration 015): the rows of one set in one bucket share one btree entry. A query narrows `ts`
 * through the index with `(ts / 600000)::int between` the bounds `rawBuckets` gives; the width is
 * written as a literal in that SQL, since PostgreSQL matches an index expression by its text.
 */
export const RAW_INDEX_BUCKET_MS = 600_000;

/** The first and last raw index bucket that hold times in [from, to). */
export function rawBuckets(from: number, to: number): [number, number] {
  // Clamped to int4, as the index's buckets are: a time the API accepts (up to ±8.64e15 ms) may lie
  // far outside, where no row is.
  const bucket = (ms: number) => Math.min(INT4_MAX, Math.max(-INT4_MAX - 1, Math.floor(ms / RAW_INDEX_BUCKET_MS)));
  return [bucket(from), bucket(Math.max(from, to) - 1)];
}

const INT4_MAX = 2_147_483_647;

/** The ordered series one metrics message carries (one collector run on one owner), or a run of at most MAX_SET_MEMBERS of them. */
export interface SeriesSet {
  ownerKind: 'i' | 'n';
  ownerId: number;
  series: number[];
  /** Per member: whether it is a counter. */
  counters: boolean[];
  intervalMs?: number;
}

/** Raw samples as parallel columns, one entry per message: its set, its time, one value per member. */
export interface SetRows {
  setId: number[];
  ts: number[];
  vals: ArrayLike<number>[];
}

export const SERIES_FNS = ['value', 'rate'] as const;
export type SeriesFn = (typeof SERIES_FNS)[number];

/** Where a range query reads: raw samples (recent rows and compacted chunks), or a rollup. */
export const RESOLUTIONS = ['raw', '1m', '1h'] as const;
export type Resolution = (typeof RESOLUTIONS)[number];
export const RESOLUTION_MS: Record<Exclude<Resolution, 'raw'>, number> = { '1m': 60_000, '1h': 3_600_000 };

export interface RangeQuery {
  seriesIds: number[];
  /** Aligned to `stepMs`. */
  from: number;
  to: number;
  stepMs: number;
  fn: SeriesFn;
  /** The metric's kind: rollups keep increases for counters, averages for gauges. */
  kind: MetricKind;
  /** Read this resolution instead of the one the step picks (tests, comparisons). */
  resolution?: Resolution;
}

/** Per series: bucket start → value. */
export type RangeResult = Map<number, Map<number, number>>;

export interface RangeAnswer {
  /** The resolution the step picked (some series may still come from raw samples, see docs/storage.md). */
  resolution: Resolution;
  buckets: RangeResult;
}

/** How long each kind of data is kept, in days. */
export interface Retention {
  samplesDays: number;
  rollup1mDays: number;
  rollup1hDays: number;
  /** Query statistics and activity samples. */
  statementsDays: number;
}

/**
 * The time-series storage behind one interface: the keeper writes through it, the
 * API reads through it, the worker maintains it (rollups, compaction, retention).
 */
export interface TimeseriesStore {
  /** Registers metrics (new ones, or kind/unit/interval changes); returns every metric by name. */
  ensureMetrics(metrics: MetricInfo[]): Promise<Map<string, StoredMetric>>;
  metricByName(name: string): Promise<StoredMetric | undefined>;
  /** Series ids for the keys, creating missing series; same order as `keys`. Runs outside any batch transaction. */
  resolveSeries(keys: SeriesKey[]): Promise<number[]>;
  /** Set ids for the sets, creating missing ones; same order. Runs outside any batch transaction. */
  resolveSets(sets: SeriesSet[]): Promise<number[]>;
  /** Every series of one metric for the owners. */
  findSeries(owners: { kind: 'i' | 'n'; id: number }[], metricId: number): Promise<{ id: number; labels: Record<string, string>; ownerKind: 'i' | 'n'; ownerId: number }[]>;
  /** Writes raw samples inside the caller's transaction; marks rollup buckets that late samples reopen. */
  writeSets(tx: TransactionSql, rows: SetRows, now?: number): Promise<void>;
  /** Bucketed values: avg of the value, or of the per-second rate, in each step bucket. */
  queryRange(q: RangeQuery): Promise<RangeAnswer>;
  /** Raw samples of each series in [from, to), oldest first: recent rows and compacted chunks. */
  readRaw(seriesIds: number[], from: number, to: number): Promise<Map<number, { ts: number[]; values: number[] }>>;
  /** Last value of each series at or before `at` (within `lookbackMs`, recent raw samples only). */
  queryLast(seriesIds: number[], at: number, lookbackMs: number): Promise<Map<number, { ts: number; value: number }>>;
  /** Creates the partitions of the ingest tables covering [from, to). */
  ensurePartitions(from: number, to: number): Promise<string[]>;
  /** Drops whole partitions past each kind's retention; returns their names. */
  applyRetention(retention: Retention, now: number): Promise<string[]>;
}

export type { Sql };
