import { Type } from '@sinclair/typebox';
import { RESOLUTIONS } from '../../store/index.ts';

/** Response and parameter schemas: they validate, type and document (OpenAPI) at once. */
export const ErrorReply = Type.Object({
  statusCode: Type.Integer(), code: Type.String(), error: Type.String(), message: Type.String(),
}, { $id: 'ErrorReply', description: 'What went wrong, for a human' });

/** [ms since epoch, value or null]. */
const Point = Type.Array(Type.Union([Type.Number(), Type.Null()]), { minItems: 2, maxItems: 2, description: '[time ms, value or null]' });
const NullableNumber = Type.Union([Type.Number(), Type.Null()]);
const NullableString = Type.Union([Type.String(), Type.Null()]);

export const Instance = Type.Object({
  id: Type.String(), namespace: Type.String(), cluster: Type.String(), node: NullableString, agent: NullableString,
  role: Type.String(), version: NullableString, version_num: NullableNumber,
  status: Type.Union(['down', 'stale', 'unknown', 'up'].map((s) => Type.Literal(s))),
  error: NullableString, last_seen: NullableNumber, started_at: NullableNumber,
  key: Type.Object({
    tps: NullableNumber, connections: NullableNumber, cache_hit_ratio: NullableNumber, replication_lag_s: NullableNumber,
    cpu_busy_ratio: Type.Union([Type.Number(), Type.Null()], { description: "the host's CPU busy share (not idle, not iowait), 0–1; null unless the agent runs on the PostgreSQL host" }),
    disk_used_ratio: Type.Union([Type.Number(), Type.Null()], { description: "share of the data directory's filesystem in use (df's Use%), 0–1; null unless the agent runs on the PostgreSQL host" }),
  }),
  spark: Type.Object({ tps: Type.Array(Point), connections: Type.Array(Point) }),
}, { $id: 'Instance' });

/** What the instance's agent last reported about one collector of it (heartbeat). */
export const CollectorState = Type.Object({
  id: Type.String(), state: Type.String({ description: 'ok, failing, backoff or skipped' }),
  runs: Type.Integer(), failures: Type.Integer(),
  last_error: NullableString, note: NullableString,
}, { $id: 'CollectorState' });

export const SeriesQuery = Type.Object({
  instance: Type.String({ minLength: 1, description: 'instance id' }),
  metric: Type.String({ minLength: 1, description: 'metric name (GET /api/v1/catalog)' }),
  from: Type.Optional(Type.String({ description: 'ms since epoch, ISO 8601, now or now-<n><s|m|h|d|w>; default now-1h' })),
  to: Type.Optional(Type.String({ description: 'as from; default now' })),
  maxPoints: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 300, description: 'most points per series; the server picks the step' })),
  fn: Type.Optional(Type.Union([Type.Literal('value'), Type.Literal('rate')], { description: 'default: rate for counters, value for gauges' })),
  by: Type.Optional(Type.String({ description: 'label names to group by, comma-separated; empty: one series for all' })),
  agg: Type.Optional(Type.Union(['sum', 'avg', 'max', 'min'].map((s) => Type.Literal(s)), { description: 'how grouped series combine (default sum)' })),
  match: Type.Optional(Type.String({ description: 'label filter: name=value[,name=value]' })),
}, { additionalProperties: false });

export const SeriesReply = Type.Object({
  instance: Type.String(), metric: Type.String(), kind: Type.String(), unit: NullableString,
  fn: Type.String(), from: Type.Number(), to: Type.Number(), step_ms: Type.Number(),
  resolution: Type.Union(RESOLUTIONS.map((r) => Type.Literal(r)), { description: 'where the values were read: raw samples, 1-minute or 1-hour rollups (docs/storage.md)' }),
  series: Type.Array(Type.Object({ labels: Type.Record(Type.String(), Type.String()), points: Type.Array(Point) })),
});

export const MetricDefSchema = Type.Object({
  name: Type.String(), kind: Type.String(), unit: Type.Optional(Type.String()), description: Type.Optional(Type.String()),
  collector: Type.String(), labels: Type.Array(Type.String()),
});

export const CollectorSummary = Type.Object({
  id: Type.String(), description: Type.String(), scope: Type.String(), interval_s: Type.Number(), role: Type.String(),
  presets: Type.Array(Type.String()),
});
