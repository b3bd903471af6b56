import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { Cron } from 'croner';
import { DB_ACTIONS, paramsProblem, type Action } from '../../../protocol/index.ts';
import { AuthError, can, type Principal } from '../../auth/index.ts';
import { defaultTimeouts, instancesOf } from '../../commands/index.ts';
import type { TaskInput, TaskRow } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const HHMM = Type.String({ pattern: '^([01]\\d|2[0-3]):[0-5]\\d$' });
const TaskBody = Type.Object({
  name: Type.String({ minLength: 1, maxLength: 200 }),
  scope: Type.Union([Type.Literal('instance'), Type.Literal('cluster'), Type.Literal('namespace')]),
  target: Type.String({ minLength: 1, maxLength: 201, description: 'instance name; "<namespace>/<cluster>"; or the namespace' }),
  action: Type.Union(DB_ACTIONS.map((a) => Type.Literal(a))),
  params: Type.Record(Type.String(), Type.Unknown(), { description: "the action's parameters, as for POST /api/v1/instances/{id}/actions/{action} (a script: { database, script, params })" }),
  cron: Type.String({ minLength: 1, maxLength: 200, description: 'cron expression, 5 fields, or 6 with seconds first' }),
  timezone: Type.Optional(Type.String({ maxLength: 64, description: "IANA zone of the cron and window (default: the agent's)" })),
  window: Type.Optional(Type.Object({ start: HHMM, end: HHMM }, { additionalProperties: false, description: 'maintenance window: runs only between these local times' })),
  missed: Type.Optional(Type.Union([Type.Literal('skip'), Type.Literal('run')], { description: 'a run missed while the agent was down: skip it (default) or run it once' })),
  lock_timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000 })),
  statement_timeout_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000 })),
  enabled: Type.Optional(Type.Boolean()),
}, { additionalProperties: false });

const TaskView = Type.Object({
  id: Type.Integer(), name: Type.String(), scope: Type.String(), target: Type.String(), namespace: Type.String(), action: Type.String(), params: Type.Unknown(),
  cron: Type.String(), timezone: Type.Union([Type.String(), Type.Null()]), window: Type.Union([Type.Object({ start: Type.String(), end: Type.String() }), Type.Null()]),
  missed: Type.String(), lockTimeoutMs: Type.Integer(), statementTimeoutMs: Type.Integer(), enabled: Type.Boolean(), createdBy: Type.String(),
  createdAt: Type.Number(), updatedAt: Type.Number(), nextRuns: Type.Array(Type.Number(), { description: 'the next 3 times it is due (ms)' }),
  instances: Type.Array(Type.String(), { description: 'the instances its scope covers now' }),
});
const ScriptView = Type.Object({ id: Type.Integer(), name: Type.String(), sql: Type.String(), description: Type.Union([Type.String(), Type.Null()]), readOnly: Type.Boolean(), createdBy: Type.String(), createdAt: Type.Number() });
const Errors = { 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply), 409: Type.Ref(ErrorReply) };
type Body = { name: string; scope: TaskRow['scope']; target: string; action: Action; params: Record<string, unknown>; cron: string; timezone?: string; window?: { start: string; end: string }; missed?: 'skip' | 'run'; lock_timeout_ms?: number; statement_timeout_ms?: number; enabled?: boolean };

/** The role a task's action needs in its namespace. */
const roleFor = (action: string): 'operator' | 'admin' => (action === 'script' ? 'admin' : 'operator');

/** Scheduled tasks (run by the agents, also while the server is away) and saved scripts. */
export default async function tasksRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const view = async (tasks: TaskRow[]) => {
    const instances = await ctx.store.inventory.listInstances();
    return tasks.map((t) => {
      let nextRuns: number[] = [];
      try { nextRuns = new Cron(t.cron, { paused: true, ...(t.timezone ? { timezone: t.timezone } : {}) }).nextRuns(3).map((d) => d.getTime()); } catch { /* checked at creation */ }
      return { ...t, nextRuns: t.enabled ? nextRuns : [], instances: instancesOf(t, instances).map((i) => i.name) };
    });
  };

  /** A task from a request body, checked: its namespace, the caller's role there, its action's parameters, its cron. */
  async function taskFrom(p: Principal, b: Body): Promise<TaskInput> {
    let namespace: string;
    if (b.scope === 'instance') {
      const inst = await ctx.store.inventory.getInstance(b.target);
      if (!inst) throw new ApiError('PGFLEET_API_NOT_FOUND', `no instance ${b.target}`);
      namespace = inst.namespace;
    } else if (b.scope === 'cluster') {
      const slash = b.target.indexOf('/');
      if (slash <= 0) throw new ApiError('PGFLEET_API_BAD_PARAM', 'a cluster target is "<namespace>/<cluster>"');
      namespace = b.target.slice(0, slash);
    } else namespace = b.target;
    if (!can(p, roleFor(b.action), namespace)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', `a ${b.action} task needs the ${roleFor(b.action)} role in namespace ${namespace}`);
    let params = b.params;
    if (b.action === 'script') {
      const s = (await ctx.store.commands.scripts()).find((x) => x.name === b.params.script);
      if (!s) throw new ApiError('PGFLEET_API_BAD_PARAM', `params.script: no saved script named ${String(b.params.script)}`);
      params = { database: b.params.database, name: s.name, sql: s.sql, ...(b.params.params ? { params: b.params.params } : {}), read_only: s.readOnly };
    }
    const bad = paramsProblem(b.action, params);
    if (bad) throw new ApiError('PGFLEET_API_BAD_PARAM', bad);
    try { new Cron(b.cron, { paused: true, ...(b.timezone ? { timezone: b.timezone } : {}) }).nextRun(); } catch (err) {
      throw new ApiError('PGFLEET_API_BAD_PARAM', `cron "${b.cron}"${b.timezone ? ` in ${b.timezone}` : ''}: ${(err as Error).message}`);
    }
    if (b.window && b.window.start === b.window.end) throw new ApiError('PGFLEET_API_BAD_PARAM', `window: ${b.window.start}–${b.window.end} is empty (an end before the start wraps past midnight)`);
    if (b.timezone) {
      try { new Intl.DateTimeFormat('en', { timeZone: b.timezone }); } catch { throw new ApiError('PGFLEET_API_BAD_PARAM', `unknown time zone ${b.timezone}`); }
    }
    const d = defaultTimeouts(b.action);
    return {
      name: b.name, scope: b.scope, target: b.target, namespace, action: b.action, params, cron: b.cron, timezone: b.timezone ?? null, window: b.window ?? null,
      missed: b.missed ?? 'skip', lockTimeoutMs: b.lock_timeout_ms ?? d.lockTimeoutMs, statementTimeoutMs: b.statement_timeout_ms ?? d.statementTimeoutMs,
      enabled: b.enabled ?? true, createdBy: p.name,
    };
  }

  async function ownTask(p: Principal, id: number, role: 'viewer' | 'operator' | 'admin'): Promise<TaskRow> {
    const t = await ctx.store.commands.task(id);
    if (!t || !can(p, 'viewer', t.namespace)) throw new ApiError('PGFLEET_API_NOT_FOUND', `no task ${id} in your namespaces`);
    const need = role === 'viewer' ? 'viewer' : role === 'admin' ? 'admin' : roleFor(t.action);
    if (!can(p, need, t.namespace)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', `this needs the ${need} role in namespace ${t.namespace}`);
    return t;
  }

  app.get('/api/v1/tasks', {
    config: { access: { role: 'viewer', list: true } },
    schema: { tags: ['tasks'], summary: 'Scheduled tasks of your namespaces, with their next runs and the instances they cover', response: { 200: Type.Array(TaskView), ...Errors } },
  }, async (req) => view((await ctx.store.commands.tasks()).filter((t) => can(req.principal!, 'viewer', t.namespace))));

  app.post('/api/v1/tasks', {
    config: { access: 'user', audit: 'tasks.create' },
    schema: { tags: ['tasks'], summary: 'Schedule an action (operators of the namespace; scripts: its admins); the agents get the new task set at once', body: TaskBody, response: { 201: TaskView, ...Errors } },
  }, async (req, reply) => {
    const t = await ctx.store.commands.createTask(await taskFrom(req.principal!, req.body as Body));
    req.audit = { ...req.audit, target: `task ${t.id}`, namespace: t.namespace };
    await ctx.commands.tasksChanged();
    return reply.status(201).send((await view([t]))[0]);
  });

  app.put('/api/v1/tasks/:id', {
    config: { access: 'user', audit: 'tasks.update' },
    schema: { tags: ['tasks'], summary: 'Change a scheduled task', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), body: TaskBody, response: { 200: TaskView, ...Errors } },
  }, async (req) => {
    const { id } = req.params as { id: number };
    await ownTask(req.principal!, id, 'operator');
    const t = (await ctx.store.commands.updateTask(id, await taskFrom(req.principal!, req.body as Body)))!;
    req.audit = { ...req.audit, target: `task ${id}`, namespace: t.namespace };
    await ctx.commands.tasksChanged();
    return (await view([t]))[0];
  });

  app.patch('/api/v1/tasks/:id', {
    config: { access: 'user', audit: 'tasks.enable' },
    schema: {
      tags: ['tasks'], summary: 'Enable or disable a scheduled task (the agents get the new set at once)',
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), body: Type.Object({ enabled: Type.Boolean() }, { additionalProperties: false }), response: { 200: TaskView, ...Errors },
    },
  }, async (req) => {
    const { id } = req.params as { id: number };
    const t = await ownTask(req.principal!, id, 'operator');
    const { enabled } = req.body as { enabled: boolean };
    const { id: _id, createdAt: _c, updatedAt: _u, ...input } = t;
    const updated = (await ctx.store.commands.updateTask(id, { ...input, enabled }))!;
    req.audit = { ...req.audit, target: `task ${id}`, namespace: t.namespace, detail: { enabled } };
    await ctx.commands.tasksChanged();
    return (await view([updated]))[0];
  });

  app.delete('/api/v1/tasks/:id', {
    config: { access: 'user', audit: 'tasks.delete' },
    schema: { tags: ['tasks'], summary: 'Delete a scheduled task (its run history stays)', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 204: Type.Null(), ...Errors } },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const t = await ownTask(req.principal!, id, 'operator');
    await ctx.store.commands.deleteTask(id);
    req.audit = { ...req.audit, target: `task ${id}`, namespace: t.namespace, detail: { name: t.name } };
    await ctx.commands.tasksChanged();
    return reply.status(204).send();
  });

  app.get('/api/v1/tasks/:id/runs', {
    config: { access: 'user' },
    schema: {
      tags: ['tasks'], summary: "A task's runs, newest first: when due, when started, how long, how it ended (skipped runs say why)",
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
      response: { 200: Type.Array(Type.Ref('Command')), ...Errors },
    },
  }, async (req) => {
    const { id } = req.params as { id: number };
    const t = await ownTask(req.principal!, id, 'viewer');
    return ctx.store.commands.list({ taskId: t.id, limit: (req.query as { limit?: number }).limit ?? 100 });
  });

  app.post('/api/v1/tasks/:id/run', {
    config: { access: 'user', audit: 'tasks.run' },
    schema: {
      tags: ['tasks'], summary: 'Run a task now on every instance it covers (outside its schedule); answers the commands',
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 202: Type.Array(Type.Ref('Command')), ...Errors },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const t = await ownTask(req.principal!, id, 'operator');
    req.audit = { ...req.audit, target: `task ${id}`, namespace: t.namespace };
    const rows = [];
    for (const i of instancesOf(t, await ctx.store.inventory.listInstances())) {
      if (!i.agent) continue;
      rows.push(await ctx.commands.issue(req.principal!.name, { agent: i.agent, instance: i.name, namespace: i.namespace }, t.action as Action, t.params as never,
        { lockTimeoutMs: t.lockTimeoutMs, statementTimeoutMs: t.statementTimeoutMs, taskId: t.id }));
    }
    return reply.status(202).send(rows);
  });

  app.get('/api/v1/scripts', {
    config: { access: 'user' },
    schema: { tags: ['tasks'], summary: 'Saved SQL scripts (run by admins of a namespace, as an action or a task)', response: { 200: Type.Array(ScriptView), ...Errors } },
  }, async () => ctx.store.commands.scripts());

  app.post('/api/v1/scripts', {
    config: { access: 'admin', audit: 'scripts.create' },
    schema: {
      tags: ['tasks'], summary: 'Save a SQL script (system administrators); $1…$n take the parameters given when it runs',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 100, pattern: '^[A-Za-z0-9_.-]+$' }), sql: Type.String({ minLength: 1, maxLength: 100_000 }),
        description: Type.Optional(Type.String({ maxLength: 2000 })), readOnly: Type.Optional(Type.Boolean({ description: 'runs in a read-only transaction, also on replicas' })),
      }, { additionalProperties: false }),
      response: { 201: ScriptView, ...Errors },
    },
  }, async (req, reply) => {
    const b = req.body as { name: string; sql: string; description?: string; readOnly?: boolean };
    const s = await ctx.store.commands.createScript({ name: b.name, sql: b.sql, description: b.description ?? null, readOnly: b.readOnly ?? false, createdBy: req.principal!.name });
    if (!s) throw new ApiError('PGFLEET_API_CONFLICT', `a script named ${b.name} exists`);
    req.audit = { ...req.audit, target: `script ${b.name}` };
    return reply.status(201).send(s);
  });

  app.delete('/api/v1/scripts/:id', {
    config: { access: 'admin', audit: 'scripts.delete' },
    schema: { tags: ['tasks'], summary: 'Delete a saved script (tasks that run it keep their copy)', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 204: Type.Null(), ...Errors } },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    if (!await ctx.store.commands.deleteScript(id)) throw new ApiError('PGFLEET_API_NOT_FOUND', `no script ${id}`);
    req.audit = { ...req.audit, target: `script ${id}` };
    return reply.status(204).send();
  });
}
