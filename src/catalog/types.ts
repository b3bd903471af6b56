import type { MetricKind } from '../protocol/index.ts';

export const COLLECTOR_ROLES = ['any', 'primary', 'replica'] as const;
export type CollectorRole = (typeof COLLECTOR_ROLES)[number];

/** instance: once per instance; database: once per database of it; node: the host, read by the agent from /proc. */
export const COLLECTOR_SCOPES = ['instance', 'database', 'node'] as const;
export type CollectorScope = (typeof COLLECTOR_SCOPES)[number];

export const PRESETS = ['minimal', 'standard', 'exhaustive'] as const;
export type Preset = (typeof PRESETS)[number];

export const COLUMN_USAGES = ['label', 'gauge', 'counter', 'info'] as const;
export type ColumnUsage = (typeof COLUMN_USAGES)[number];

/** The /proc readers of the agent that a node collector may name (src/agent/collectors/os). */
export const NODE_READERS = ['cpu', 'memory', 'load', 'disk', 'filesystem', 'network'] as const;
export type NodeReader = (typeof NODE_READERS)[number];

/** One SQL text, valid for server_version_num in [min_version, max_version). */
export interface SqlVariant {
  min_version?: number;
  max_version?: number;
  sql: string;
}

export interface ColumnDef {
  usage: ColumnUsage;
  unit?: string;
  description?: string;
  /**
   * Gauge and counter columns: the label columns its points carry. Defaults to
   * every label column of the collector; `[]` for a collector-wide value such
   * as `pg_activity.max_connections`.
   */
  labels?: string[];
}

/** A collector defined as data (a YAML file in src/catalog or a user's folder). */
export interface CollectorDef {
  id: string;
  description: string;
  /** Metric name prefix; metric = `${prefix}.${column}`. Defaults to id. */
  prefix: string;
  interval_s: number;
  timeout_ms: number;
  role: CollectorRole;
  scope: CollectorScope;
  presets: Preset[];
  requires?: { extension?: string; function?: string; setting?: string };
  /** SQL collectors (scope instance or database): the SQL per version range. */
  variants: SqlVariant[];
  /** Node collectors: which /proc reader of the agent produces the columns. */
  reader?: string;
  columns: Record<string, ColumnDef>;
  /** Where it came from, for error messages. */
  source: string;
}

/** What the server and the console know of a metric. */
export interface MetricDef {
  name: string;
  kind: MetricKind;
  unit?: string;
  description?: string;
  collector: string;
  labels: string[];
}
