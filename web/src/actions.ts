// Actions, commands and scheduled tasks (docs/actions.md): API helpers, and the pure pieces the
// console shows before a user confirms (what will run) and after (how it ended).
import type { Action } from '../../src/protocol/index.ts';
import type { CommandRow, TaskRow } from '../../src/store/index.ts';
import { getJson, type Grant, type Me } from './api.ts';

/** The actions a user asks for (the protocol's, less the two that steer the agent itself). */
export type ActionName = Exclude<Action, 'cancel_command' | 'tasks_sync'>;

/** A command as GET /api/v1/commands answers it: the server's own row type (types only, nothing bundled). */
export type Command = CommandRow;

/** Whether a command is still on its way or running. */
export const isPending = (c: Pick<Command, 'state'>): boolean => c.state === 'queued' || c.state === 'delivered';

const RANK = { viewer: 1, operator: 2, admin: 3 } as const;

/** Whether the signed-in user has `role` in `namespace` (the server decides; this only hides buttons). */
export function hasRole(me: Pick<Me, 'isAdmin' | 'grants'> | null, role: Grant['role'], namespace: string): boolean {
  if (!me) return false;
  if (me.isAdmin) return true;
  return me.grants.some((g) => (g.namespace === namespace || g.namespace === '*') && RANK[g.role] >= RANK[role]);
}

const ident = (s: string): string => (/^[a-z_][a-z0-9_$]*$/.test(s) ? s : `"${s.replaceAll('"', '""')}"`);
const literal = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/** What an action will run, as a DBA reads it (shown in the confirmation). */
export function describeAction(action: ActionName, p: Record<string, unknown>): string {
  const tables = (p.tables as { schema: string; table: string }[] | undefined)?.map((t) => `${ident(t.schema)}.${ident(t.table)}`).join(', ');
  switch (action) {
    case 'cancel_backend': return `SELECT pg_cancel_backend(${String(p.pid)})`;
    case 'terminate_backend': return `SELECT pg_terminate_backend(${String(p.pid)})`;
    case 'vacuum': {
      const opts = [p.analyze ? 'ANALYZE' : '', p.freeze ? 'FREEZE' : ''].filter(Boolean);
      return `VACUUM ${opts.length ? `(${opts.join(', ')}) ` : ''}${tables ?? `(database ${String(p.database)})`}`;
    }
    case 'analyze': return `ANALYZE ${tables ?? `(database ${String(p.database)})`}`;
    case 'reindex': return `REINDEX ${p.index ? 'INDEX' : 'TABLE'} CONCURRENTLY ${ident(String(p.schema))}.${ident(String(p.index ?? p.table))}`;
    case 'create_index': return `CREATE ${p.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${p.name ? `${ident(String(p.name))} ` : ''}ON ${ident(String(p.schema))}.${ident(String(p.table))} (${(p.columns as string[]).map(ident).join(', ')})`;
    case 'drop_index': return `DROP INDEX CONCURRENTLY ${ident(String(p.schema))}.${ident(String(p.index))}`;
    case 'alter_system': return [
      ...(p.settings as { name: string; value: string | null }[]).map((s) => (s.value === null ? `ALTER SYSTEM RESET ${s.name}` : `ALTER SYSTEM SET ${s.name} = ${literal(s.value)}`)),
      ...(p.reload === false ? [] : ['SELECT pg_reload_conf()']),
    ].join(';\n');
    case 'reload_conf': return 'SELECT pg_reload_conf()';
    case 'reset_stats': return p.kind === 'database' ? 'SELECT pg_stat_reset()' : p.kind === 'statements' ? 'SELECT pg_stat_statements_reset()' : `SELECT pg_stat_reset_shared(${literal(String(p.kind))})`;
    case 'explain': return `EXPLAIN (FORMAT JSON${p.analyze ? ', ANALYZE, BUFFERS' : ''}) ${String(p.query)}`;
    case 'script': return `script ${String(p.script)}${(p.params as unknown[] | undefined)?.length ? ` (${(p.params as unknown[]).length} parameters)` : ''}`;
  }
}

/** How a command ended, in one line. */
export function describeOutcome(c: Command): string {
  switch (c.state) {
    case 'queued': return 'waiting for the agent';
    case 'delivered': return 'running';
    case 'ok': {
      const o = c.output ?? {};
      if (Array.isArray(o.restart_needed) && o.restart_needed.length) return `done; needs a restart: ${(o.restart_needed as string[]).join(', ')}`;
      return `done${c.durationMs !== null ? ` in ${c.durationMs < 1000 ? `${Math.round(c.durationMs)} ms` : `${(c.durationMs / 1000).toFixed(1)} s`}` : ''}`;
    }
    case 'error': return `failed${c.sqlstate ? ` (SQLSTATE ${c.sqlstate})` : ''}: ${(c.error ?? '').split('\n')[0]}`;
    case 'refused': return `refused: ${c.reason ?? ''}`;
    case 'cancelled': return 'cancelled';
    case 'skipped': return `skipped: ${c.reason ?? ''}`;
    case 'expired': return 'expired: no agent took it in time';
    case 'lost': return 'lost: delivered, but no outcome came back';
  }
}

export function runAction(instance: string, action: ActionName, params: Record<string, unknown>, opts: { waitS?: number; lockTimeoutMs?: number } = {}): Promise<Command> {
  return getJson<Command>(`/api/v1/instances/${encodeURIComponent(instance)}/actions/${action}`, undefined, {
    method: 'POST', body: JSON.stringify({ params, wait_s: opts.waitS ?? 2, ...(opts.lockTimeoutMs ? { lock_timeout_ms: opts.lockTimeoutMs } : {}) }),
  });
}

export function fetchCommand(id: string, signal?: AbortSignal): Promise<Command> {
  return getJson<Command>(`/api/v1/commands/${id}`, signal);
}

export function fetchCommands(q: { instance?: string; task?: number; limit?: number } = {}, signal?: AbortSignal): Promise<Command[]> {
  const s = new URLSearchParams();
  if (q.instance) s.set('instance', q.instance);
  if (q.task) s.set('task', String(q.task));
  s.set('limit', String(q.limit ?? 50));
  return getJson<Command[]>(`/api/v1/commands?${s}`, signal);
}

export function cancelCommand(id: string): Promise<Command> {
  return getJson<Command>(`/api/v1/commands/${id}/cancel`, undefined, { method: 'POST', body: JSON.stringify({ wait_s: 5 }) });
}

/** A task as GET /api/v1/tasks answers it: the stored task, its next runs and the instances it covers. */
export type Task = Omit<TaskRow, 'action'> & { action: ActionName; nextRuns: number[]; instances: string[] };

export interface TaskInput {
  name: string;
  scope: Task['scope'];
  target: string;
  action: ActionName;
  params: Record<string, unknown>;
  cron: string;
  timezone?: string;
  window?: { start: string; end: string };
  missed?: 'skip' | 'run';
  lock_timeout_ms?: number;
  statement_timeout_ms?: number;
  enabled?: boolean;
}

export const fetchTasks = (signal?: AbortSignal): Promise<Task[]> => getJson<Task[]>('/api/v1/tasks', signal);
export const createTask = (t: TaskInput): Promise<Task> => getJson<Task>('/api/v1/tasks', undefined, { method: 'POST', body: JSON.stringify(t) });
export const setTaskEnabled = (id: number, enabled: boolean): Promise<Task> => getJson<Task>(`/api/v1/tasks/${id}`, undefined, { method: 'PATCH', body: JSON.stringify({ enabled }) });
export const deleteTask = (id: number): Promise<void> => getJson<void>(`/api/v1/tasks/${id}`, undefined, { method: 'DELETE' });
export const runTaskNow = (id: number): Promise<Command[]> => getJson<Command[]>(`/api/v1/tasks/${id}/run`, undefined, { method: 'POST' });
export const fetchTaskRuns = (id: number, signal?: AbortSignal): Promise<Command[]> => getJson<Command[]>(`/api/v1/tasks/${id}/runs?limit=50`, signal);
