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

/** Samples as three parallel arrays, the shape COPY wants. */
export interface SampleColumns {
  seriesId: number[];
  ts: number[];
  value: number[];
}

export const SERIES_FNS = ['value', 'rate'] as const;
export type SeriesFn = (typeof SERIES_FNS)[number];

export interface RangeQuery {
  seriesIds: number[];
  from: number;
  to: number;
  stepMs: number;
  fn: SeriesFn;
}

/** Per series: bucket start → value. */
export type RangeResult = Map<number, Map<number, number>>;

/**
 * The time-series storage behind one interface, so the store issue can change
 * the layout (chunks, rollups) without touching the keeper or the API.
 */
export interface TimeseriesStore {
  /** Registers metrics (new ones, or kind/unit/interval changes); returns every metric by name. */
  ensureMetrics(metrics: MetricInfo[]): Promise<Map<string, StoredMetric>>;
  metricByName(name: string): Promise<StoredMetric | undefined>;
  /** Series ids for the keys, creating missing series; same order as `keys`. Runs outside any batch transaction. */
  resolveSeries(keys: SeriesKey[]): Promise<number[]>;
  /** Every series of one metric for the owners. */
  findSeries(owners: { kind: 'i' | 'n'; id: number }[], metricId: number): Promise<{ id: number; labels: Record<string, string> }[]>;
  /** Writes samples inside the caller's transaction. */
  writeSamples(tx: TransactionSql, rows: SampleColumns): Promise<void>;
  /** Bucketed values (avg of the value or of the per-second rate in each bucket). */
  queryRange(q: RangeQuery): Promise<RangeResult>;
  /** Last value of each series at or before `at` (within `lookbackMs`). */
  queryLast(seriesIds: number[], at: number, lookbackMs: number): Promise<Map<number, { ts: number; value: number }>>;
  /** Creates partitions covering [from, to). */
  ensurePartitions(from: number, to: number): Promise<string[]>;
  /** Drops partitions that end at or before `before`. */
  dropPartitionsBefore(before: number): Promise<string[]>;
  /** Earliest time a sample can be stored at, and the latest (partitions exist). */
  partitionRange(): Promise<{ from: number; to: number } | undefined>;
}

export type { Sql };
