import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { ActivityData, StatementsData } from './statements.ts';
import { SettingsData } from './settings.ts';
import { CommandResultData } from './commands.ts';
import { INT4_MAX, JsonbObject, MAX_TIME_MS, PgText, PgTextKey } from './limits.ts';

/** Every message type of protocol v1. Adding one is adding a schema here. */
export const MESSAGE_TYPES = ['metrics', 'inventory', 'heartbeat', 'event', 'statements', 'activity', 'settings', 'command.result'] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const METRIC_KINDS = ['gauge', 'counter'] as const;
export type MetricKind = (typeof METRIC_KINDS)[number];

/** A label set stays small: it keys a series in the store's dictionary (jsonb). */
const Labels = Type.Record(PgTextKey(100), PgText({ maxLength: 512 }), { maxProperties: 32, additionalProperties: false });

/** One metric of one collector run: every labelled point of it. */
export const MetricFamily = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z_][A-Za-z0-9_.:]*$' }),
  kind: Type.Union(METRIC_KINDS.map((k) => Type.Literal(k))),
  unit: Type.Optional(PgText({ maxLength: 40 })),
  points: Type.Array(
    Type.Object({ l: Type.Optional(Labels), v: Type.Number() }, { additionalProperties: false }),
    { maxItems: 100_000 },
  ),
}, { additionalProperties: false });
export type MetricFamily = Static<typeof MetricFamily>;

/** `metrics`: one collector run on one instance (or on the node when `instance` is absent). */
export const MetricsData = Type.Object({
  collector: PgText({ minLength: 1, maxLength: 100 }),
  /** The collector's interval, so the server knows the finest useful step. */
  interval_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: INT4_MAX })),
  /** Host name, for node-level data (no `instance` in the envelope). */
  node: Type.Optional(PgText({ minLength: 1, maxLength: 255 })),
  metrics: Type.Array(MetricFamily, { maxItems: 10_000 }),
}, { additionalProperties: false });
export type MetricsData = Static<typeof MetricsData>;

export const ROLES = ['primary', 'replica', 'unknown'] as const;
export type Role = (typeof ROLES)[number];

/** `inventory`: what the agent discovered about an instance; sent at start and on every change. */
export const InventoryData = Type.Object({
  namespace: PgText({ minLength: 1, maxLength: 100 }),
  cluster: PgText({ minLength: 1, maxLength: 100 }),
  node: PgText({ minLength: 1, maxLength: 255 }),
  version: PgText({ maxLength: 200 }),
  version_num: Type.Integer({ minimum: 0, maximum: INT4_MAX }),
  role: Type.Union(ROLES.map((r) => Type.Literal(r))),
  /** The postmaster's start, ms since the epoch. */
  started_at: Type.Optional(Type.Number({ minimum: 0, maximum: MAX_TIME_MS })),
  system_identifier: Type.Optional(PgText({ maxLength: 40 })),
  databases: Type.Optional(Type.Array(PgText({ maxLength: 200 }), { maxItems: 10_000 })),
  up: Type.Boolean(),
  error: Type.Optional(PgText({ maxLength: 2000 })),
}, { additionalProperties: false });
export type InventoryData = Static<typeof InventoryData>;

export const COLLECTOR_STATES = ['ok', 'failing', 'backoff', 'skipped'] as const;

/** `heartbeat`: the agent's own health, every few seconds. Stored whole as jsonb, so no object takes other keys. */
export const HeartbeatData = Type.Object({
  agent_version: PgText({ maxLength: 40 }),
  uptime_s: Type.Number({ minimum: 0 }),
  node: PgText({ maxLength: 255 }),
  spool: Type.Object({ messages: Type.Integer({ minimum: 0 }), bytes: Type.Integer({ minimum: 0 }), dropped: Type.Integer({ minimum: 0 }) }, { additionalProperties: false }),
  /** The scheduled task set the agent holds (agents with the server's command key): the server re-sends it when it differs. */
  tasks: Type.Optional(Type.Object({ version: Type.Integer({ minimum: -1 }), digest: Type.Optional(Type.String({ maxLength: 64 })) }, { additionalProperties: false })),
  collectors: Type.Array(Type.Object({
    id: PgText({ maxLength: 100 }),
    instance: Type.Optional(PgText({ maxLength: 200 })),
    state: Type.Union(COLLECTOR_STATES.map((s) => Type.Literal(s))),
    runs: Type.Integer({ minimum: 0 }),
    failures: Type.Integer({ minimum: 0 }),
    last_duration_ms: Type.Optional(Type.Number({ minimum: 0 })),
    last_error: Type.Optional(PgText({ maxLength: 2000 })),
    /** Rows (or points) the last successful run read. */
    last_rows: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Runs that took longer than the interval. */
    overruns: Type.Optional(Type.Integer({ minimum: 0 })),
    /** Why the collector is backed off when it is not an error (it overran its interval). */
    note: Type.Optional(PgText({ maxLength: 2000 })),
  }, { additionalProperties: false }), { maxItems: 10_000 }),
}, { additionalProperties: false });
export type HeartbeatData = Static<typeof HeartbeatData>;

export const SEVERITIES = ['info', 'warning', 'error', 'critical'] as const;

/** `event`: something happened (role change, collector backed off, instance down). */
export const EventData = Type.Object({
  kind: PgText({ minLength: 1, maxLength: 100 }),
  severity: Type.Union(SEVERITIES.map((s) => Type.Literal(s))),
  message: PgText({ maxLength: 4000 }),
  /** Free-form JSON (stored as jsonb), at most MAX_DEPTH levels deep (checked by the codec). */
  details: Type.Optional(JsonbObject()),
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
  settings: SettingsData,
  'command.result': CommandResultData,
};

export interface DataOf {
  metrics: MetricsData;
  inventory: InventoryData;
  heartbeat: HeartbeatData;
  event: EventData;
  statements: StatementsData;
  activity: ActivityData;
  settings: SettingsData;
  'command.result': CommandResultData;
}
