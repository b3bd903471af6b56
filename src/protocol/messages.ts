import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ActivityData, StatementsData } from './statements.ts';

/** Every message type of protocol v1. Adding one is adding a schema here. */
export const MESSAGE_TYPES = ['metrics', 'inventory', 'heartbeat', 'event', 'statements', 'activity'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const METRIC_KINDS = ['gauge', 'counter'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** A label set stays small: it keys a series in the store's dictionary. */
const Labels = Type.Record(Type.String({ maxLength: 100 }), Type.String({ maxLength: 512 }), { maxProperties: 32 });

/** One metric of one collector run: every labelled point of it. */
export const MetricFamily = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z_][A-Za-z0-9_.:]*$' }),
  kind: Type.Union(METRIC_KINDS.map((k) => Type.Literal(k))),
  unit: Type.Optional(Type.String({ maxLength: 40 })),
  points: Type.Array(
    Type.Object({ l: Type.Optional(Labels), v: Type.Number() }, { additionalProperties: false }),
    { maxItems: 100_000 },
  ),
}, { additionalProperties: false });
export type MetricFamily = Static<typeof MetricFamily>;

/** `metrics`: one collector run on one instance (or on the node when `instance` is absent). */
export const MetricsData = Type.Object({
  collector: Type.String({ minLength: 1, maxLength: 100 }),
  /** The collector's interval, so the server knows the finest useful step. */
  interval_ms: Type.Optional(Type.Integer({ minimum: 1 })),
  /** Host name, for node-level data (no `instance` in the envelope). */
  node: Type.Optional(Type.String({ minLength: 1, maxLength: 255 })),
  metrics: Type.Array(MetricFamily, { maxItems: 10_000 }),
}, { additionalProperties: false });
export type MetricsData = Static<typeof MetricsData>;

export const ROLES = ['primary', 'replica', 'unknown'] as const;
export type Role = (typeof ROLES)[number];

/** `inventory`: what the agent discovered about an instance; sent at start and on every change. */
export const InventoryData = Type.Object({
  namespace: Type.String({ minLength: 1, maxLength: 100 }),
  cluster: Type.String({ minLength: 1, maxLength: 100 }),
  node: Type.String({ minLength: 1, maxLength: 255 }),
  version: Type.String({ maxLength: 200 }),
  version_num: Type.Integer({ minimum: 0 }),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  started_at: Type.Optional(Type.Number()),
  system_identifier: Type.Optional(Type.String({ maxLength: 40 })),
  databases: Type.Optional(Type.Array(Type.String({ maxLength: 200 }), { maxItems: 10_000 })),
  up: Type.Boolean(),
  error: Type.Optional(Type.String({ maxLength: 2000 })),
}, { additionalProperties: false });
export type InventoryData = Static<typeof InventoryData>;

export const COLLECTOR_STATES = ['ok', 'failing', 'backoff', 'skipped'] as const;

/** `heartbeat`: the agent's own health, every few seconds. */
export const HeartbeatData = Type.Object({
  agent_version: Type.String({ maxLength: 40 }),
  uptime_s: Type.Number({ minimum: 0 }),
  node: Type.String({ maxLength: 255 }),
  spool: Type.Object({ messages: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }), dropped: Type.Integer({ minimum: 0 }) }),
  collectors: Type.Array(Type.Object({
    id: Type.String({ maxLength: 100 }),
    instance: Type.Optional(Type.String({ maxLength: 200 })),
    state: Type.Union(COLLECTOR_STATES.map((s) => Type.Literal(s))),
    runs: Type.Integer({ minimum: 0 }),
    failures: Type.Integer({ minimum: 0 }),
    last_duration_ms: Type.Optional(Type.Number({ minimum: 0 })),
    last_error: Type.Optional(Type.String({ maxLength: 2000 })),
    /** Rows (or points) the last successful run read. */
    last_rows: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Runs that took longer than the interval. */
    overruns: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Why the collector is backed off when it is not an error (it overran its interval). */
    note: Type.Optional(Type.String({ maxLength: 2000 })),
  }), { maxItems: 10_000 }),
}, { additionalProperties: false });
export type HeartbeatData = Static<typeof HeartbeatData>;

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;

/** `event`: something happened (role change, collector backed off, instance down). */
export const EventData = Type.Object({
  kind: Type.String({ minLength: 1, maxLength: 100 }),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  message: Type.String({ maxLength: 4000 }),
  /** Free-form, at most MAX_DEPTH levels deep (checked by the codec). */
  details: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
}, { additionalProperties: false });
export type EventData = Static<typeof EventData>;

/** The payload schema of each message type. */
export const DATA_SCHEMAS: Record<MessageType, TSchema> = {
  metrics: MetricsData,
  inventory: InventoryData,
  heartbeat: HeartbeatData,
  event: EventData,
  statements: StatementsData,
  activity: ActivityData,
};

export interface DataOf {
  metrics: MetricsData;
  inventory: InventoryData;
  heartbeat: HeartbeatData;
  event: EventData;
  statements: StatementsData;
  activity: ActivityData;
}
