// Commands: what the server asks an agent to do. A command is signed by the server (Ed25519) and
// refused by the agent unless the signature, the expiry, the target agent and its allowlist hold.
import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { INT4_MAX, JsonbObject, PgText } from './limits.ts';

/** Identifiers (schema, table, index, setting): PostgreSQL's NAMEDATALEN - 1 bytes at most. */
const Ident = PgText({ minLength: 1, maxLength: 63 });
const Database = PgText({ minLength: 1, maxLength: 63 });
/** A command id: a UUID, lower case. */
export const UUID_PATTERN = '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$';
const Uuid = Type.String({ pattern: UUID_PATTERN });
const TableRef = Type.Object({ schema: Ident, table: Ident }, { additionalProperties: false });

/**
 * Every action an agent may run, each with its parameters' schema. Nullable values list Null first:
 * the API's validator coerces types and would turn a null into "" for a string tried first.
 */
export const ACTION_PARAMS = {
  /** pg_cancel_backend(pid): the backend's current query stops, the session stays. */
  cancel_backend: Type.Object({ pid: Type.Integer({ minimum: 1, maximum: INT4_MAX }) }, { additionalProperties: false }),
  /** pg_terminate_backend(pid): the session ends. */
  terminate_backend: Type.Object({ pid: Type.Integer({ minimum: 1, maximum: INT4_MAX }) }, { additionalProperties: false }),
  /** VACUUM of the tables named, or of the whole database without `tables`. */
  vacuum: Type.Object({
    database: Database,
    tables: Type.Optional(Type.Array(TableRef, { minItems: 1, maxItems: 1000 })),
    analyze: Type.Optional(Type.Boolean()),
    freeze: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  analyze: Type.Object({ database: Database, tables: Type.Optional(Type.Array(TableRef, { minItems: 1, maxItems: 1000 })) }, { additionalProperties: false }),
  /** REINDEX … CONCURRENTLY of one index, or of every index of one table. */
  reindex: Type.Object({ database: Database, schema: Ident, index: Type.Optional(Ident), table: Type.Optional(Ident) }, { additionalProperties: false }),
  /** CREATE [UNIQUE] INDEX CONCURRENTLY on columns (identifiers only; expressions go through a script). */
  create_index: Type.Object({
    database: Database, schema: Ident, table: Ident,
    columns: Type.Array(Ident, { minItems: 1, maxItems: 32 }),
    name: Type.Optional(Ident),
    method: Type.Optional(Type.Union(['btree', 'hash', 'gin', 'gist', 'brin', 'spgist'].map((m) => Type.Literal(m)))),
    unique: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  drop_index: Type.Object({ database: Database, schema: Ident, index: Ident }, { additionalProperties: false }),
  /** ALTER SYSTEM SET (value) or RESET (null) of each setting, then pg_reload_conf() unless `reload` is false. */
  alter_system: Type.Object({
    settings: Type.Array(Type.Object({ name: Ident, value: Type.Union([Type.Null(), PgText({ maxLength: 4096 })]) }, { additionalProperties: false }), { minItems: 1, maxItems: 200 }),
    reload: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  reload_conf: Type.Object({}, { additionalProperties: false }),
  /** Statistics reset: the database's counters, pg_stat_statements, or a shared target (pg_stat_reset_shared). */
  reset_stats: Type.Object({
    kind: Type.Union(['database', 'statements', 'bgwriter', 'archiver', 'wal', 'io', 'checkpointer', 'slru', 'recovery_prefetch'].map((k) => Type.Literal(k))),
    database: Type.Optional(Database),
  }, { additionalProperties: false }),
  /** EXPLAIN (FORMAT JSON) of a query: read-only unless `allow_writes`, which runs it in a transaction rolled back. */
  explain: Type.Object({
    database: Database,
    query: PgText({ minLength: 1, maxLength: 100_000 }),
    analyze: Type.Optional(Type.Boolean()),
    buffers: Type.Optional(Type.Boolean()),
    /** For $1…$n: values as text; without them, a query with parameters is explained as a generic plan (PostgreSQL 16+). */
    params: Type.Optional(Type.Array(Type.Union([Type.Null(), PgText({ maxLength: 10_000 })]), { maxItems: 100 })),
    allow_writes: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  /** A saved SQL script (admins only); its text travels inside the signed command. */
  script: Type.Object({
    database: Database,
    name: PgText({ minLength: 1, maxLength: 100 }),
    sql: PgText({ minLength: 1, maxLength: 100_000 }),
    params: Type.Optional(Type.Array(Type.Union([Type.Null(), PgText({ maxLength: 10_000 })]), { maxItems: 100 })),
    /** A read-only script also runs on replicas, in a read-only transaction. */
    read_only: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false }),
  /** Cancels a command of this agent that is still running. */
  cancel_command: Type.Object({ command: Uuid }, { additionalProperties: false }),
  /** The whole set of scheduled tasks this agent runs (replaces what it held). */
  tasks_sync: Type.Object({
    version: Type.Integer({ minimum: 0 }),
    /** SHA-256 of the tasks, so the server can tell which set an agent holds. */
    digest: Type.Optional(Type.String({ maxLength: 64 })),
    tasks: Type.Array(Type.Object({
      id: Type.Integer({ minimum: 1 }),
      name: PgText({ maxLength: 200 }),
      instance: PgText({ maxLength: 100 }),
      action: Type.String({ maxLength: 40 }),
      params: JsonbObject(),
      cron: PgText({ minLength: 1, maxLength: 200 }),
      timezone: Type.Optional(PgText({ maxLength: 64 })),
      /** Runs only inside this daily window (local HH:MM), e.g. 01:00–05:00; end before start wraps midnight. */
      window: Type.Optional(Type.Object({ start: Type.String({ pattern: '^\\d\\d:\\d\\d$' }), end: Type.String({ pattern: '^\\d\\d:\\d\\d$' }) }, { additionalProperties: false })),
      /** A run missed while the agent was down: `skip` it, or `run` it once when the agent is back (inside the window). */
      missed: Type.Union([Type.Literal('skip'), Type.Literal('run')]),
      lock_timeout_ms: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
      statement_timeout_ms: Type.Integer({ minimum: 0, maximum: INT4_MAX }),
      by: PgText({ maxLength: 200 }),
    }, { additionalProperties: false }), { maxItems: 10_000 }),
  }, { additionalProperties: false }),
} as const satisfies Record<string, TSchema>;

export type Action = keyof typeof ACTION_PARAMS;
export const ACTIONS = Object.keys(ACTION_PARAMS) as Action[];
export type ParamsOf<A extends Action> = Static<(typeof ACTION_PARAMS)[A]>;

/** Actions on the database (what users and schedules ask for); the rest steer the agent itself. */
export const DB_ACTIONS = ACTIONS.filter((a) => a !== 'cancel_command' && a !== 'tasks_sync');

/** Actions that write, so never run on a replica (EXPLAIN and scripts only when asked to write). */
export function writesData(action: Action, params: Record<string, unknown>): boolean {
  switch (action) {
    case 'vacuum': case 'analyze': case 'reindex': case 'create_index': case 'drop_index': return true;
    case 'explain': return params.allow_writes === true && params.analyze === true;
    case 'script': return params.read_only !== true;
    default: return false;
  }
}

/** An agent runs every action unless told otherwise, except scripts, which its owner must allow. */
export const DEFAULT_AGENT_ACTIONS: readonly Action[] = ACTIONS.filter((a) => a !== 'script');

/** What the signature covers: the command's JSON text, exactly as sent. */
export const CommandSchema = Type.Object({
  v: Type.Literal(1),
  id: Uuid,
  agent: Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' }),
  instance: Type.Optional(Type.String({ pattern: '^[A-Za-z0-9_-]{1,100}$' })),
  action: Type.String({ maxLength: 40 }),
  params: Type.Unknown(),
  /** ms since the epoch. */
  issued_at: Type.Integer({ minimum: 0 }),
  expires_at: Type.Integer({ minimum: 0 }),
  /** The user who asked (or `task <id>`). */
  by: Type.String({ maxLength: 200 }),
  lock_timeout_ms: Type.Integer({ minimum: 1, maximum: INT4_MAX }),
  /** 0: none (CREATE INDEX CONCURRENTLY on a large table may take hours). */
  statement_timeout_ms: Type.Integer({ minimum: 0, maximum: INT4_MAX }),
}, { additionalProperties: false });
export type Command = Static<typeof CommandSchema>;

/** On the wire (NATS request, HTTPS poll): the command's text and its Ed25519 signature, base64. */
export interface SignedCommand { command: string; sig: string }

/** The agent's immediate answer to a delivered command; the outcome follows as a `command.result` message. */
export interface CommandReply {
  id: string;
  accepted: boolean;
  reason?: string;
  /** The agent had this command already (a second delivery, or a replay): nothing ran again, and its state is whatever the first delivery made it. */
  duplicate?: boolean;
}

export const COMMAND_STATUSES = ['ok', 'error', 'refused', 'cancelled', 'skipped'] as const;
export type CommandStatus = (typeof COMMAND_STATUSES)[number];

/** `command.result`: how a command (or a scheduled task's run) ended, sent through the spool like all data. */
export const CommandResultData = Type.Object({
  /** The command's id; for a refused command whose text could not be read, a random id. */
  id: Uuid,
  action: PgText({ maxLength: 40 }),
  status: Type.Union(COMMAND_STATUSES.map((s) => Type.Literal(s))),
  /** Why it was refused or skipped. */
  reason: Type.Optional(PgText({ maxLength: 2000 })),
  started_at: Type.Optional(Type.Integer({ minimum: 0 })),
  duration_ms: Type.Number({ minimum: 0 }),
  sqlstate: Type.Optional(Type.String({ maxLength: 5 })),
  error: Type.Optional(PgText({ maxLength: 4000 })),
  /** What the action answered (rows it changed, settings before and after, the plan). */
  output: Type.Optional(JsonbObject()),
  by: Type.Optional(PgText({ maxLength: 200 })),
  /** Set for a scheduled task's run. */
  task: Type.Optional(Type.Object({ id: Type.Integer({ minimum: 1 }), scheduled_at: Type.Integer({ minimum: 0 }) }, { additionalProperties: false })),
}, { additionalProperties: false });
export type CommandResultData = Static<typeof CommandResultData>;
