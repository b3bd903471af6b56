import { Type, type Static } from '@sinclair/typebox';
import { INT4_MAX, Int64Text, PgText } from './limits.ts';

/**
 * The counters of one statement entry, named as pg_stat_statements names them on
 * PostgreSQL 17+ (older names are mapped on the agent: `blk_read_time` →
 * `shared_blk_read_time`, `total_time` → `total_exec_time`). Times in ms, blocks in
 * 8 kB pages.
 */
export const STATEMENT_COUNTERS = [
  'calls', 'total_exec_time', 'total_plan_time', 'plans', 'rows',
  'shared_blks_hit', 'shared_blks_read', 'shared_blks_dirtied', 'shared_blks_written',
  'local_blks_hit', 'local_blks_read', 'local_blks_dirtied', 'local_blks_written',
  'temp_blks_read', 'temp_blks_written',
  'shared_blk_read_time', 'shared_blk_write_time', 'local_blk_read_time', 'local_blk_write_time',
  'temp_blk_read_time', 'temp_blk_write_time',
  'wal_records', 'wal_fpi', 'wal_bytes',
  'jit_functions', 'jit_generation_time', 'jit_inlining_time', 'jit_optimization_time', 'jit_emission_time',
] as const;
export type StatementCounter = (typeof STATEMENT_COUNTERS)[number];

const Counters = Type.Record(Type.String({ maxLength: 40 }), Type.Number({ minimum: 0 }), { maxProperties: 64 });

/** One statement's activity during the interval: counter deltas, never totals. */
export const StatementEntry = Type.Object({
  /** pg_stat_statements' queryid, a signed 64-bit integer as a decimal string. */
  queryid: Int64Text(),
  datname: PgText({ maxLength: 200 }),
  usename: PgText({ maxLength: 200 }),
  /** False for statements run inside functions (14+; always true before). */
  toplevel: Type.Boolean(),
  c: Counters,
}, { additionalProperties: false });
export type StatementEntry = Static<typeof StatementEntry>;

/**
 * `statements`: pg_stat_statements deltas since the previous snapshot, for the top
 * entries by time, calls, I/O, temp and WAL; the rest summed into `other`.
 */
export const StatementsData = Type.Object({
  /** Length of the interval the deltas cover. */
  interval_ms: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
  entries: Type.Array(StatementEntry, { maxItems: 5000 }),
  /** Top-level statements that ran in the interval but are not in `entries`: how many, and their summed counters (nested ones are inside their callers'). */
  other: Type.Optional(Type.Object({ entries: Type.Integer({ minimum: 0 }), c: Counters }, { additionalProperties: false })),
  /** Redacted texts of queryids not sent before by this agent process. */
  texts: Type.Optional(Type.Array(Type.Object({
    queryid: Int64Text(),
    text: PgText({ maxLength: 20_000 }),
  }, { additionalProperties: false }), { maxItems: 5000 })),
  /** The statistics were reset (pg_stat_statements_info.stats_reset changed) since the previous snapshot. */
  reset: Type.Optional(Type.Boolean()),
  /** Eviction passes since the previous snapshot (pg_stat_statements_info.dealloc delta, 14+; each drops about 5% of the entries). */
  evicted: Type.Optional(Type.Integer({ minimum: 0 })),
}, { additionalProperties: false });
export type StatementsData = Static<typeof StatementsData>;

/** One group of sampled sessions: how many samples found a session in this state. */
export const ActivityGroup = Type.Object({
  state: PgText({ maxLength: 40 }),
  wait_event_type: Type.Optional(PgText({ maxLength: 64 })),
  wait_event: Type.Optional(PgText({ maxLength: 64 })),
  queryid: Type.Optional(Int64Text()),
  datname: Type.Optional(PgText({ maxLength: 200 })),
  usename: Type.Optional(PgText({ maxLength: 200 })),
  backend_type: PgText({ maxLength: 64 }),
  /** Samples that saw a session in this group; n × interval_ms / samples is its session time. */
  n: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
}, { additionalProperties: false });
export type ActivityGroup = Static<typeof ActivityGroup>;

const Ms = Type.Number({ minimum: 0, maximum: 8.64e15, description: 'ms since the epoch' });
const Pid = Type.Integer({ minimum: 0, maximum: INT4_MAX });

/** One session as pg_stat_activity showed it when the message was built (protocol v1 addition). */
export const ActivitySession = Type.Object({
  pid: Pid,
  /** The leader of a parallel worker's group. */
  leader_pid: Type.Optional(Pid),
  backend_type: PgText({ maxLength: 64 }),
  state: PgText({ maxLength: 40 }),
  usename: Type.Optional(PgText({ maxLength: 200 })),
  datname: Type.Optional(PgText({ maxLength: 200 })),
  application_name: Type.Optional(PgText({ maxLength: 200 })),
  client_addr: Type.Optional(PgText({ maxLength: 64 })),
  wait_event_type: Type.Optional(PgText({ maxLength: 64 })),
  wait_event: Type.Optional(PgText({ maxLength: 64 })),
  backend_start: Type.Optional(Ms),
  xact_start: Type.Optional(Ms),
  query_start: Type.Optional(Ms),
  state_change: Type.Optional(Ms),
  queryid: Type.Optional(Int64Text()),
  /** The session's current (or, when not active, last) statement, literals redacted, cut at 2,000 characters. */
  query: Type.Optional(PgText({ maxLength: 2000 })),
  /** pg_blocking_pids: the sessions this one waits for, when it waits for a lock. */
  blocked_by: Type.Optional(Type.Array(Pid, { maxItems: 1000 })),
}, { additionalProperties: false });
export type ActivitySession = Static<typeof ActivitySession>;

/** `activity`: pg_stat_activity sampled every `sample_ms` over `interval_ms`, aggregated. */
export const ActivityData = Type.Object({
  interval_ms: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
  sample_ms: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
  /** Samples taken in the interval (a group's average sessions = n / samples). */
  samples: Type.Integer({ minimum: 0, maximum: INT4_MAX }),
  groups: Type.Array(ActivityGroup, { maxItems: 20_000 }),
  /** The sessions that were not idle when the message was built, with who blocks whom (optional). */
  sessions: Type.Optional(Type.Array(ActivitySession, { maxItems: 10_000 })),
}, { additionalProperties: false });
export type ActivityData = Static<typeof ActivityData>;
