import type { Sql, TransactionSql } from 'postgres';
import type { CommandResultData, SignedCommand } from '../protocol/index.ts';

export const COMMAND_STATES = ['queued', 'delivered', 'ok', 'error', 'refused', 'cancelled', 'skipped', 'expired', 'lost'] as const;

/** A command delivered whose outcome never came this long after its expiry is `lost` (the agent went away with it). */
export const LOST_AFTER_MS = 24 * 3600_000;
export type CommandState = (typeof COMMAND_STATES)[number];

/** A command as the API shows it. */
export interface CommandRow {
  id: string;
  agent: string;
  instance: string | null;
  namespace: string | null;
  action: string;
  params: Record<string, unknown>;
  requestedBy: string;
  requestedAt: number;
  expiresAt: number | null;
  state: CommandState;
  deliveredAt: number | null;
  taskId: number | null;
  scheduledAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  durationMs: number | null;
  sqlstate: string | null;
  error: string | null;
  reason: string | null;
  output: Record<string, unknown> | null;
}

const COLUMNS = 'id, agent, instance, namespace, action, params, requested_by, requested_at, expires_at, state, delivered_at, task_id, scheduled_at, started_at, finished_at, duration_ms, sqlstate, error, reason, output';
const ms = (v: unknown): number | null => (v == null ? null : (v as Date).getTime());

function toRow(r: Record<string, unknown>): CommandRow {
  return {
    id: r.id as string, agent: r.agent as string, instance: r.instance as string | null, namespace: r.namespace as string | null,
    action: r.action as string, params: r.params as Record<string, unknown>, requestedBy: r.requested_by as string,
    requestedAt: ms(r.requested_at)!, expiresAt: ms(r.expires_at), state: r.state as CommandState, deliveredAt: ms(r.delivered_at),
    taskId: r.task_id as number | null, scheduledAt: ms(r.scheduled_at), startedAt: ms(r.started_at), finishedAt: ms(r.finished_at),
    durationMs: r.duration_ms as number | null, sqlstate: r.sqlstate as string | null, error: r.error as string | null, reason: r.reason as string | null,
    output: r.output as Record<string, unknown> | null,
  };
}

export interface TaskRow {
  id: number;
  name: string;
  scope: 'instance' | 'cluster' | 'namespace';
  target: string;
  namespace: string;
  action: string;
  params: Record<string, unknown>;
  cron: string;
  timezone: string | null;
  window: { start: string; end: string } | null;
  missed: 'skip' | 'run';
  lockTimeoutMs: number;
  statementTimeoutMs: number;
  enabled: boolean;
  createdBy: string;
  createdAt: number;
  updatedAt: number;
}

export type TaskInput = Omit<TaskRow, 'id' | 'createdAt' | 'updatedAt'>;

function toTask(r: Record<string, unknown>): TaskRow {
  return {
    id: r.id as number, name: r.name as string, scope: r.scope as TaskRow['scope'], target: r.target as string, namespace: r.namespace as string,
    action: r.action as string, params: r.params as Record<string, unknown>, cron: r.cron as string, timezone: r.timezone as string | null,
    window: r.window_start ? { start: r.window_start as string, end: r.window_end as string } : null, missed: r.missed as TaskRow['missed'],
    lockTimeoutMs: r.lock_timeout_ms as number, statementTimeoutMs: r.statement_timeout_ms as number, enabled: r.enabled as boolean,
    createdBy: r.created_by as string, createdAt: ms(r.created_at)!, updatedAt: ms(r.updated_at)!,
  };
}

export interface ScriptRow { id: number; name: string; sql: string; description: string | null; readOnly: boolean; createdBy: string; createdAt: number }

/** Commands, their outcomes, scheduled tasks and saved scripts. */
export class CommandStore {
  constructor(private readonly sql: Sql) {}

  /** The server's command key pair, made on first use (one per store, so every api process signs alike). */
  async keyPair(generate: () => { privateKey: string; publicKey: string }): Promise<{ privateKey: string; publicKey: string }> {
    const [have] = await this.sql`select private_key, public_key from command_keys where id = 1`;
    if (have) return { privateKey: have.private_key as string, publicKey: have.public_key as string };
    const k = generate();
    await this.sql`insert into command_keys (id, private_key, public_key) values (1, ${k.privateKey}, ${k.publicKey}) on conflict (id) do nothing`;
    const [r] = await this.sql`select private_key, public_key from command_keys where id = 1`;
    return { privateKey: r.private_key as string, publicKey: r.public_key as string };
  }

  async insert(c: { id: string; agent: string; instance: string | null; namespace: string | null; action: string; params: unknown; by: string; requestedAt: number; expiresAt: number; signed: SignedCommand; taskId?: number }): Promise<void> {
    await this.sql`
      insert into commands (id, agent, instance, namespace, action, params, requested_by, requested_at, expires_at, signed, task_id, attempted_at)
      values (${c.id}, ${c.agent}, ${c.instance}, ${c.namespace}, ${c.action}, ${JSON.stringify(c.params)}::text::jsonb, ${c.by},
        to_timestamp(${c.requestedAt}::float8 / 1000), to_timestamp(${c.expiresAt}::float8 / 1000), ${JSON.stringify(c.signed)}::text::jsonb, ${c.taskId ?? null}, now())`;
  }

  /** The agent answered a delivery: accepted (delivered) or refused, unless its result already came. */
  async delivered(id: string, accepted: boolean, reason?: string): Promise<void> {
    if (accepted) await this.sql`update commands set state = 'delivered', delivered_at = now() where id = ${id} and state = 'queued'`;
    else await this.sql`update commands set state = 'refused', delivered_at = now(), finished_at = now(), reason = coalesce(reason, ${reason ?? null}) where id = ${id} and state in ('queued', 'delivered')`;
  }

  /** Queued commands of an agent still valid, marked delivered (an agent polling over HTTPS takes them). */
  async takeQueued(agent: string): Promise<SignedCommand[]> {
    const rows = await this.sql`
      update commands set state = 'delivered', delivered_at = now()
      where id in (select id from commands where agent = ${agent} and state = 'queued' and expires_at > now() order by requested_at for update skip locked)
      returning signed`;
    return rows.map((r) => r.signed as SignedCommand);
  }

  /**
   * Queued commands not yet expired and not handed to the channel in the last `retryMs`, claimed for
   * (re-)delivery by this process, oldest first.
   */
  async claimQueued(retryMs = 10_000, limit = 100): Promise<{ id: string; agent: string; signed: SignedCommand }[]> {
    return (await this.sql`
      update commands set attempted_at = now()
      where id in (select id from commands where state = 'queued' and expires_at > now()
          and (attempted_at is null or attempted_at < now() - make_interval(secs => ${retryMs / 1000}))
        order by requested_at limit ${limit} for update skip locked)
      returning id, agent, signed, requested_at`)
      .sort((a, b) => (a.requested_at as Date).getTime() - (b.requested_at as Date).getTime())
      .map((r) => ({ id: r.id as string, agent: r.agent as string, signed: r.signed as SignedCommand }));
  }

  /** Queued commands past their expiry become `expired`; answers how many. */
  async expire(): Promise<number> {
    const expired = (await this.sql`update commands set state = 'expired', finished_at = now(), reason = 'not delivered before it expired' where state = 'queued' and expires_at <= now()`).count;
    const lost = (await this.sql`update commands set state = 'lost', finished_at = now(), reason = 'delivered, but no outcome came within a day of its expiry'
      where state = 'delivered' and expires_at <= now() - make_interval(secs => ${LOST_AFTER_MS / 1000})`).count;
    return expired + lost;
  }

  /**
   * An agent's `command.result`, in the keeper's batch transaction: updates the command it answers
   * (only if that command was sent to this agent), or records it (a scheduled run, or a command
   * the agent refused that the server never sent). Answers the namespace the entry belongs to.
   */
  async applyResult(tx: TransactionSql, agent: string, instance: string | undefined, r: CommandResultData): Promise<{ known: boolean; duplicate?: boolean; namespace: string | null; by: string | null }> {
    const output = r.output ? JSON.stringify(r.output) : null;
    const started = r.started_at ?? null;
    const upd = await tx`
      update commands set state = ${r.status}, started_at = coalesce(to_timestamp(${started}::float8 / 1000), started_at), finished_at = now(), duration_ms = ${r.duration_ms},
        sqlstate = ${r.sqlstate ?? null}, error = ${r.error ?? null}, reason = ${r.reason ?? null}, output = ${output}::text::jsonb,
        delivered_at = coalesce(delivered_at, now())
      where id = ${r.id} and agent = ${agent} and state in ('queued', 'delivered')
      returning namespace, requested_by`;
    // An outcome already recorded is not overwritten (a late or forged second report of the same id).
    if (!upd.length && (await tx`select 1 from commands where id = ${r.id}`).length) return { known: true, duplicate: true, namespace: null, by: null };
    if (upd.length) return { known: true, namespace: upd[0].namespace as string | null, by: upd[0].requested_by as string };
    const [ns] = await tx`select coalesce((select namespace from agent_credentials where agent = ${agent}),
      (select n.name from instances i join clusters c on c.id = i.cluster_id join namespaces n on n.id = c.namespace_id where i.name = ${instance ?? null})) as ns`;
    await tx`
      insert into commands (id, agent, instance, namespace, action, params, requested_by, requested_at, state, delivered_at, task_id, scheduled_at, started_at, finished_at, duration_ms, sqlstate, error, reason, output)
      values (${r.id}, ${agent}, ${instance ?? null}, ${ns.ns as string | null}, ${r.action}, '{}', ${r.by ?? `agent ${agent}`}, now(), ${r.status}, now(),
        ${r.task?.id ?? null}, to_timestamp(${r.task?.scheduled_at ?? null}::float8 / 1000), to_timestamp(${started}::float8 / 1000), now(), ${r.duration_ms},
        ${r.sqlstate ?? null}, ${r.error ?? null}, ${r.reason ?? null}, ${output}::text::jsonb)
      on conflict (id) do nothing`;
    return { known: false, namespace: ns.ns as string | null, by: r.by ?? null };
  }

  async get(id: string): Promise<CommandRow | undefined> {
    const [r] = await this.sql.unsafe(`select ${COLUMNS} from commands where id = $1`, [id]);
    return r ? toRow(r) : undefined;
  }

  /** Newest first; `before` (a requested_at in ms) pages back. */
  async list(f: { instance?: string; namespaces?: string[] | null; taskId?: number; action?: string; state?: CommandState; limit?: number; before?: number }): Promise<CommandRow[]> {
    const rows = await this.sql.unsafe(`
      select ${COLUMNS} from commands
      where ($1::text is null or instance = $1) and ($2::text[] is null or namespace = any($2::text[])) and ($3::int is null or task_id = $3)
        and ($4::float8 is null or requested_at < to_timestamp($4::float8 / 1000)) and ($6::text is null or action = $6) and ($7::text is null or state = $7)
      order by coalesce(scheduled_at, requested_at) desc limit $5`, [f.instance ?? null, f.namespaces ?? null, f.taskId ?? null, f.before ?? null, f.limit ?? 100, f.action ?? null, f.state ?? null] as never[]);
    return rows.map(toRow);
  }

  async tasks(): Promise<TaskRow[]> {
    return (await this.sql`select * from tasks order by id`).map(toTask);
  }

  async task(id: number): Promise<TaskRow | undefined> {
    const [r] = await this.sql`select * from tasks where id = ${id}`;
    return r ? toTask(r) : undefined;
  }

  async createTask(t: TaskInput): Promise<TaskRow> {
    const [r] = await this.sql`
      insert into tasks (name, scope, target, namespace, action, params, cron, timezone, window_start, window_end, missed, lock_timeout_ms, statement_timeout_ms, enabled, created_by)
      values (${t.name}, ${t.scope}, ${t.target}, ${t.namespace}, ${t.action}, ${JSON.stringify(t.params)}::text::jsonb, ${t.cron}, ${t.timezone},
        ${t.window?.start ?? null}, ${t.window?.end ?? null}, ${t.missed}, ${t.lockTimeoutMs}, ${t.statementTimeoutMs}, ${t.enabled}, ${t.createdBy})
      returning *`;
    return toTask(r);
  }

  async updateTask(id: number, t: TaskInput): Promise<TaskRow | undefined> {
    const [r] = await this.sql`
      update tasks set name = ${t.name}, scope = ${t.scope}, target = ${t.target}, namespace = ${t.namespace}, action = ${t.action},
        params = ${JSON.stringify(t.params)}::text::jsonb, cron = ${t.cron}, timezone = ${t.timezone}, window_start = ${t.window?.start ?? null},
        window_end = ${t.window?.end ?? null}, missed = ${t.missed}, lock_timeout_ms = ${t.lockTimeoutMs}, statement_timeout_ms = ${t.statementTimeoutMs},
        enabled = ${t.enabled}, updated_at = now()
      where id = ${id} returning *`;
    return r ? toTask(r) : undefined;
  }

  async deleteTask(id: number): Promise<boolean> {
    return (await this.sql`delete from tasks where id = ${id}`).count > 0;
  }

  /** The next task set version: every set sent takes one, so an agent can refuse an older one (a replay). */
  async nextTaskVersion(): Promise<number> {
    const [r] = await this.sql`select nextval('task_set_version')::int as v`;
    return r.v as number;
  }

  /**
   * Per agent, from its tasks_sync commands: the digest of the newest set it accepted, whether one is
   * on its way (queued or delivered, not expired), the digest of the newest sent, when, and whether
   * that one was refused.
   */
  async taskSyncState(): Promise<Map<string, { digest: string | null; pending: boolean; sentDigest: string | null; sentAt: number; refused: boolean }>> {
    const rows = await this.sql`
      select agent,
        (array_agg(params->>'digest' order by requested_at desc) filter (where state = 'ok'))[1] as digest,
        coalesce(bool_or(state in ('queued', 'delivered') and expires_at > now()), false) as pending,
        (array_agg(params->>'digest' order by requested_at desc))[1] as sent_digest,
        (extract(epoch from max(requested_at)) * 1000)::float8 as sent_at,
        (array_agg(state order by requested_at desc))[1] = 'refused' as refused
      from commands where action = 'tasks_sync' group by agent`;
    return new Map(rows.map((r) => [r.agent as string, {
      digest: r.digest as string | null, pending: r.pending as boolean, sentDigest: r.sent_digest as string | null, sentAt: r.sent_at as number, refused: r.refused as boolean,
    }]));
  }

  /** The task set each agent says it holds (its last heartbeat), for agents that report one. */
  async heldTaskSets(): Promise<Map<string, { version: number; digest: string | null }>> {
    const rows = await this.sql`select name, heartbeat->'tasks' as tasks from agents where heartbeat ? 'tasks'`;
    return new Map(rows.map((r) => {
      const t = r.tasks as { version?: number; digest?: string };
      return [r.name as string, { version: Number(t.version ?? -1), digest: t.digest ?? null }];
    }));
  }

  async scripts(): Promise<ScriptRow[]> {
    return (await this.sql`select * from scripts order by name`).map((r) => ({
      id: r.id as number, name: r.name as string, sql: r.sql as string, description: r.description as string | null, readOnly: r.read_only as boolean,
      createdBy: r.created_by as string, createdAt: ms(r.created_at)!,
    }));
  }

  async createScript(s: { name: string; sql: string; description: string | null; readOnly: boolean; createdBy: string }): Promise<ScriptRow | undefined> {
    const rows = await this.sql`insert into scripts (name, sql, description, read_only, created_by) values (${s.name}, ${s.sql}, ${s.description}, ${s.readOnly}, ${s.createdBy})
      on conflict (name) do nothing returning id, created_at`;
    return rows.length ? { id: rows[0].id as number, ...s, createdAt: ms(rows[0].created_at)! } : undefined;
  }

  async deleteScript(id: number): Promise<boolean> {
    return (await this.sql`delete from scripts where id = ${id}`).count > 0;
  }
}
