import { Type, type TSchema } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ACTION_PARAMS, DB_ACTIONS, UUID_PATTERN, type Action, type ParamsOf } from '../../../protocol/index.ts';
import { AuthError, can, type Principal } from '../../auth/index.ts';
import type { CommandRow } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

export const CommandView = Type.Object({
  id: Type.String(), agent: Type.String(), instance: Type.Union([Type.String(), Type.Null()]), namespace: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(), params: Type.Unknown(), requestedBy: Type.String(), requestedAt: Type.Number(), expiresAt: Type.Union([Type.Number(), Type.Null()]),
  state: Type.String({ description: 'queued, delivered (accepted and running), then ok, error, refused, cancelled, skipped or expired' }),
  deliveredAt: Type.Union([Type.Number(), Type.Null()]), taskId: Type.Union([Type.Integer(), Type.Null()]), scheduledAt: Type.Union([Type.Number(), Type.Null()]),
  startedAt: Type.Union([Type.Number(), Type.Null()]), finishedAt: Type.Union([Type.Number(), Type.Null()]), durationMs: Type.Union([Type.Number(), Type.Null()]),
  sqlstate: Type.Union([Type.String(), Type.Null()]), error: Type.Union([Type.String(), Type.Null()]), reason: Type.Union([Type.String(), Type.Null()]),
  output: Type.Unknown({ description: 'what the action answered: statement, settings before and after, the plan (output.plan, EXPLAIN JSON), rows of a script' }),
}, { $id: 'Command' });

const Errors = { 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply), 409: Type.Ref(ErrorReply) };

const SUMMARY: Record<string, string> = {
  cancel_backend: "Cancel a backend's running query (pg_cancel_backend)",
  terminate_backend: 'Terminate a backend (pg_terminate_backend): its session ends',
  vacuum: 'VACUUM tables (or the whole database), with ANALYZE or FREEZE',
  analyze: 'ANALYZE tables (or the whole database)',
  reindex: 'REINDEX CONCURRENTLY an index or every index of a table; a failed build leaves no invalid index behind',
  create_index: 'CREATE INDEX CONCURRENTLY (for the advisor\'s index recommendations)',
  drop_index: 'DROP INDEX CONCURRENTLY',
  alter_system: 'ALTER SYSTEM SET or RESET settings, then reload; answers each value before and after and which need a restart',
  reload_conf: 'Reload the configuration (pg_reload_conf)',
  reset_stats: 'Reset statistics: the database\'s, pg_stat_statements, or a shared target',
  explain: 'EXPLAIN (FORMAT JSON) one statement; with ANALYZE (admins of the namespace: it runs the statement) read-only unless allow_writes, which rolls it back',
  script: 'Run a saved SQL script with parameters (admins of the namespace); read-only scripts also run on replicas',
};

/** The body of POST /api/v1/instances/:id/actions/script: the script is named, its text comes from the saved scripts. */
const ScriptParams = Type.Object({
  database: Type.String({ minLength: 1, maxLength: 63 }),
  script: Type.String({ minLength: 1, maxLength: 100 }),
  params: Type.Optional(Type.Array(Type.Union([Type.Null(), Type.String({ maxLength: 10_000 })]), { maxItems: 100 })),
}, { additionalProperties: false });

/** Common fields of every action request. */
const how = {
  wait_s: Type.Optional(Type.Integer({ minimum: 0, maximum: 60, description: 'wait this long for the outcome (200 when it ended, else 202 with the command as it is)' })),
  lock_timeout_ms: Type.Optional(Type.Integer({ minimum: 1, maximum: 600_000, description: 'default 5000' })),
  statement_timeout_ms: Type.Optional(Type.Integer({ minimum: 0, maximum: 86_400_000, description: 'default: none for maintenance, 60 s for the rest, 5 min for EXPLAIN and scripts' })),
};

/** The commands of namespaces where the principal has `role` (commands without a namespace: none). */
export function visible(p: Principal, rows: CommandRow[], role: 'viewer' | 'operator' = 'viewer'): CommandRow[] {
  return rows.filter((r) => r.namespace !== null && can(p, role, r.namespace));
}

/** Actions on instances through their agents, and the commands they became. */
export default async function actionsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const svc = ctx.commands;

  for (const action of DB_ACTIONS) {
    app.post(`/api/v1/instances/:id/actions/${action}`, {
      config: { access: { role: action === 'script' ? 'admin' : 'operator', instance: 'params.id' }, audit: `actions.${action}` },
      schema: {
        tags: ['actions'], summary: SUMMARY[action],
        params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
        body: Type.Object({ params: action === 'script' ? ScriptParams : ACTION_PARAMS[action] as TSchema, ...how }, { additionalProperties: false }),
        response: { 200: Type.Ref(CommandView), 202: Type.Ref(CommandView), ...Errors },
      },
    }, async (req, reply) => {
      const { id } = req.params as { id: string };
      const b = req.body as { params: Record<string, unknown>; wait_s?: number; lock_timeout_ms?: number; statement_timeout_ms?: number };
      const inst = await ctx.store.inventory.getInstance(id);
      if (!inst) throw new ApiError('PGFLEET_API_NOT_FOUND', `no instance ${id}`);
      // EXPLAIN ANALYZE executes the statement: its functions run, whatever they do (read-only or not). Like a script, admins only.
      if (action === 'explain' && b.params.analyze === true && !can(req.principal!, 'admin', inst.namespace)) {
        throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'EXPLAIN ANALYZE runs the statement: it needs the admin role in the namespace (EXPLAIN without ANALYZE needs operator)');
      }
      if (!inst.agent) throw new ApiError('PGFLEET_API_CONFLICT', `no agent watches instance ${id}`);
      let params: Record<string, unknown> = b.params;
      if (action === 'script') {
        const s = (await ctx.store.commands.scripts()).find((x) => x.name === b.params.script);
        if (!s) throw new ApiError('PGFLEET_API_NOT_FOUND', `no saved script named ${String(b.params.script)}`);
        params = { database: b.params.database, name: s.name, sql: s.sql, ...(b.params.params ? { params: b.params.params } : {}), read_only: s.readOnly };
      }
      const by = req.principal!.kind === 'token' ? `${req.principal!.name} (token ${req.principal!.tokenPrefix})` : req.principal!.name;
      let row = await svc.issue(by, { agent: inst.agent, instance: id, namespace: inst.namespace }, action as Action, params as ParamsOf<Action>,
        { lockTimeoutMs: b.lock_timeout_ms, statementTimeoutMs: b.statement_timeout_ms });
      req.audit = { ...req.audit, target: id, detail: { command: row.id, action } };
      if (b.wait_s) row = (await svc.waitFor(row.id, b.wait_s * 1000)) ?? row;
      const finished = !['queued', 'delivered'].includes(row.state);
      return reply.status(finished ? 200 : 202).send(row);
    });
  }

  app.get('/api/v1/commands', {
    config: { access: { role: 'viewer', list: true } },
    schema: {
      tags: ['actions'], summary: 'Commands of your namespaces, newest first: who asked what, and how it ended',
      querystring: Type.Object({
        instance: Type.Optional(Type.String({ maxLength: 100 })), task: Type.Optional(Type.Integer({ minimum: 1 })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })), before: Type.Optional(Type.Number({ minimum: 0, maximum: 8.64e15, description: 'requestedAt of the last row seen (ms)' })),
      }),
      response: { 200: Type.Array(Type.Ref(CommandView)), ...Errors },
    },
  }, async (req) => {
    const q = req.query as { instance?: string; task?: number; limit?: number; before?: number };
    const p = req.principal!;
    // The namespaces the caller may read, as a filter in the query: a page is a full page.
    const namespaces = (await ctx.store.access.namespaces()).filter((ns) => can(p, 'viewer', ns));
    const rows = await ctx.store.commands.list({ instance: q.instance, taskId: q.task, before: q.before, limit: q.limit ?? 100, namespaces });
    return visible(p, rows);
  });

  app.get('/api/v1/commands/:id', {
    config: { access: 'user' },
    schema: { tags: ['actions'], summary: 'One command and its outcome', params: Type.Object({ id: Type.String({ maxLength: 40 }) }), response: { 200: Type.Ref(CommandView), ...Errors } },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const row = new RegExp(UUID_PATTERN).test(id) ? await ctx.store.commands.get(id) : undefined;
    if (!row || !visible(req.principal!, [row]).length) throw new ApiError('PGFLEET_API_NOT_FOUND', `no command ${id} in your namespaces`);
    return row;
  });

  app.post('/api/v1/commands/:id/cancel', {
    config: { access: 'user', audit: 'actions.cancel' },
    schema: {
      tags: ['actions'], summary: 'Cancel a running command (its statement is cancelled on the instance); answers the cancel command',
      params: Type.Object({ id: Type.String({ maxLength: 40 }) }), body: Type.Optional(Type.Object({ wait_s: how.wait_s }, { additionalProperties: false })),
      response: { 200: Type.Ref(CommandView), 202: Type.Ref(CommandView), ...Errors },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const row = new RegExp(UUID_PATTERN).test(id) ? await ctx.store.commands.get(id) : undefined;
    if (!row || !visible(req.principal!, [row]).length) throw new ApiError('PGFLEET_API_NOT_FOUND', `no command ${id} in your namespaces`);
    if (!visible(req.principal!, [row], 'operator').length) throw new ApiError('PGFLEET_API_NOT_FOUND', `no command ${id} you may cancel`, 403);
    if (!['queued', 'delivered'].includes(row.state)) throw new ApiError('PGFLEET_API_CONFLICT', `command ${id} has already ended (${row.state})`);
    req.audit = { ...req.audit, target: row.instance ?? row.agent, namespace: row.namespace ?? undefined, detail: { command: id } };
    let cancel = await svc.issue(req.principal!.name, { agent: row.agent, instance: row.instance ?? undefined, namespace: row.namespace }, 'cancel_command', { command: id });
    const wait = (req.body as { wait_s?: number } | undefined)?.wait_s;
    if (wait) cancel = (await svc.waitFor(cancel.id, wait * 1000)) ?? cancel;
    return reply.status(['queued', 'delivered'].includes(cancel.state) ? 202 : 200).send(cancel);
  });

  app.get('/api/v1/commands/key', {
    config: { access: 'user' },
    schema: { tags: ['actions'], summary: "The server's command key (Ed25519 public key, PEM): agents refuse commands it did not sign", response: { 200: Type.Object({ publicKey: Type.String() }), ...Errors } },
  }, async () => ({ publicKey: await svc.publicKey() }));

  app.get('/api/v1/agent/commands', {
    config: { access: 'agent' },
    schema: {
      tags: ['actions'], summary: "An agent's long poll for its commands (installs without a broker): answers at once when one is queued, else an empty list after `wait` s",
      querystring: Type.Object({ wait: Type.Optional(Type.Integer({ minimum: 0, maximum: 30, default: 20 })) }),
      response: { 200: Type.Array(Type.Object({ command: Type.String(), sig: Type.String() })), 401: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const given = req.headers.authorization?.startsWith('Bearer ') ? req.headers.authorization.slice(7).trim() : '';
    const who = given.startsWith('pga_') ? await ctx.agentAuth.identify(given) : undefined;
    if (!who) throw new ApiError('PGFLEET_API_UNAUTHORIZED', 'send the agent credential (Authorization: Bearer pga_…): enroll the agent first');
    const stop = new AbortController();
    req.raw.on('close', () => stop.abort());
    return svc.takeForAgent(who.agent, ((req.query as { wait?: number }).wait ?? 20) * 1000, stop.signal);
  });
}
