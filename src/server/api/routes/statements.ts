import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { STATEMENT_COUNTERS } from '../../../protocol/index.ts';
import { ACTIVITY_BY, STATEMENT_SORTS, type ActivityBy, type StatementSort } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';
import { checkWindow, chooseStep, parseTime } from '../time.ts';

const Window = {
  from: Type.Optional(Type.String({ description: 'Start: ISO time, ms since epoch, or now-<n>(s|m|h|d|w). Default now-1h.' })),
  to: Type.Optional(Type.String({ description: 'End, same forms. Default now.' })),
};
const QueryId = Type.String({ pattern: '^-?[0-9]{1,20}$', description: "pg_stat_statements' queryid" });
const Counters = Type.Object(Object.fromEntries(STATEMENT_COUNTERS.map((c) => [c, Type.Number()])));
const Errors = { 400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) };
const OptStr = Type.Optional(Type.String());
const OptMs = Type.Optional(Type.Number({ description: 'ms since the epoch' }));
/** A session as the agent sent it (docs/protocol.md#activity). */
const Session = Type.Object({
  pid: Type.Integer(), leader_pid: Type.Optional(Type.Integer()), backend_type: Type.String(), state: Type.String(),
  usename: OptStr, datname: OptStr, application_name: OptStr, client_addr: OptStr, wait_event_type: OptStr, wait_event: OptStr,
  backend_start: OptMs, xact_start: OptMs, query_start: OptMs, state_change: OptMs,
  queryid: OptStr, query: Type.Optional(Type.String({ description: 'redacted, at most 2,000 characters' })),
  blocked_by: Type.Optional(Type.Array(Type.Integer(), { description: 'pids of the sessions it waits for (pg_blocking_pids), when it waits for a lock' })),
});
/** How far back from `at` a sessions snapshot still stands for that moment. */
const SESSIONS_LOOKBACK_MS = 3_600_000;

const TopQuery = Type.Object({
  ...Window,
  sort: Type.Optional(Type.Union(STATEMENT_SORTS.map((s) => Type.Literal(s)), { description: 'Ranking: any counter, or mean_exec_time. Default total_exec_time.' })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })),
  datname: Type.Optional(Type.String({ maxLength: 200 })),
  usename: Type.Optional(Type.String({ maxLength: 200 })),
}, { additionalProperties: false });

const SeriesQuery = Type.Object({ ...Window, maxPoints: Type.Optional(Type.Integer({ minimum: 2, maximum: 5000, default: 300 })) }, { additionalProperties: false });

const ActivityQuery = Type.Object({
  ...Window,
  by: Type.Optional(Type.Union(ACTIVITY_BY.map((s) => Type.Literal(s)), { description: 'Grouping. Default wait_event_type (an active session with no wait event is CPU).' })),
  maxPoints: Type.Optional(Type.Integer({ minimum: 2, maximum: 5000, default: 300 })),
  active: Type.Optional(Type.Boolean({ description: 'Only active sessions (default true); false adds idle in transaction and the like.' })),
}, { additionalProperties: false });

/** The window of a request; says which end is wrong. */
function windowOf(q: { from?: string; to?: string }): { from: number; to: number } {
  const now = Date.now();
  const from = parseTime('from', q.from ?? 'now-1h', now);
  const to = parseTime('to', q.to ?? 'now', now);
  checkWindow(from, to);
  return { from, to };
}

export default async function statementsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/instances/:id/statements', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['queries'], summary: 'Top statements of an instance in a window, from pg_stat_statements deltas, with redacted texts',
      params: Type.Object({ id: Type.String() }), querystring: TopQuery,
      response: {
        200: Type.Object({
          instance: Type.String(), from: Type.Number(), to: Type.Number(), sort: Type.String(),
          total: Counters,
          statements: Type.Array(Type.Object({
            queryid: Type.String(), datname: Type.String(), usename: Type.String(), toplevel: Type.Boolean(), text: Type.Union([Type.String(), Type.Null()]),
            counters: Counters, mean_exec_time: Type.Number(), time_share: Type.Number(),
          })),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as Static<typeof TopQuery>;
    const inst = await ctx.series.instance(id);
    const { from, to } = windowOf(q);
    const sort = (q.sort ?? 'total_exec_time') as StatementSort;
    const r = await ctx.store.statements.top({ instanceId: inst.id, from, to, sort, limit: q.limit ?? 20, datname: q.datname, usename: q.usename });
    return { instance: inst.name, from, to, sort, ...r };
  });

  app.get('/api/v1/instances/:id/statements/:queryid', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['queries'], summary: "One statement's redacted text and its counters per step over a window",
      params: Type.Object({ id: Type.String(), queryid: QueryId }), querystring: SeriesQuery,
      response: {
        200: Type.Object({
          instance: Type.String(), queryid: Type.String(), text: Type.Union([Type.String(), Type.Null()]),
          from: Type.Number(), to: Type.Number(), step_ms: Type.Number(),
          points: Type.Array(Type.Object({ t: Type.Number(), counters: Counters, mean_exec_time: Type.Number() })),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id, queryid } = req.params as { id: string; queryid: string };
    if (BigInt(queryid) > 9223372036854775807n || BigInt(queryid) < -9223372036854775808n) {
      throw new ApiError('PGFLEET_API_BAD_PARAM', `queryid ${queryid.slice(0, 30)} is outside the range of a 64-bit integer`);
    }
    const q = req.query as Static<typeof SeriesQuery>;
    const inst = await ctx.series.instance(id);
    const { from, to } = windowOf(q);
    const text = await ctx.store.statements.text(inst.id, queryid);
    // No finer than the snapshots: a bucket shorter than the interval would be mostly empty.
    const step = chooseStep(from, to, q.maxPoints ?? 300, await ctx.store.statements.typicalInterval('statement_stats', inst.id, from, to) ?? 60_000);
    const points = await ctx.store.statements.series({ instanceId: inst.id, queryid, from, to, stepMs: step });
    if (text === null && points.length === 0) throw new ApiError('PGFLEET_API_NOT_FOUND', `statement ${queryid} is not known on instance "${inst.name}"`);
    return {
      instance: inst.name, queryid, text, from, to, step_ms: step,
      points: points.map((p) => ({ t: p.t, counters: p.c, mean_exec_time: p.c.calls > 0 ? p.c.total_exec_time / p.c.calls : 0 })),
    };
  });

  app.get('/api/v1/instances/:id/activity', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['activity'], summary: 'Wait-event timeline: average sessions per step and group, from sampled pg_stat_activity',
      params: Type.Object({ id: Type.String() }), querystring: ActivityQuery,
      response: {
        200: Type.Object({
          instance: Type.String(), by: Type.String(), from: Type.Number(), to: Type.Number(), step_ms: Type.Number(),
          groups: Type.Array(Type.Object({ key: Type.String(), points: Type.Array(Type.Object({ t: Type.Number(), sessions: Type.Number() })) })),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as Static<typeof ActivityQuery>;
    const inst = await ctx.series.instance(id);
    const { from, to } = windowOf(q);
    const by = (q.by ?? 'wait_event_type') as ActivityBy;
    const step = chooseStep(from, to, q.maxPoints ?? 300, await ctx.store.statements.typicalInterval('activity_samples', inst.id, from, to) ?? 15_000);
    const rows = await ctx.store.statements.activityTimeline({ instanceId: inst.id, from, to, stepMs: step, by, activeOnly: q.active ?? true });
    const groups = new Map<string, { t: number; sessions: number }[]>();
    for (const r of rows) {
      let g = groups.get(r.key);
      if (!g) { g = []; groups.set(r.key, g); }
      g.push({ t: r.t, sessions: r.sessions });
    }
    return { instance: inst.name, by, from, to, step_ms: step, groups: [...groups].map(([key, points]) => ({ key, points })) };
  });

  app.get('/api/v1/instances/:id/activity/top', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['activity'], summary: 'The statements with the most sampled active time in a window, with their wait events',
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({ ...Window, limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 20 })) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          instance: Type.String(), from: Type.Number(), to: Type.Number(),
          statements: Type.Array(Type.Object({ queryid: Type.String(), active_ms: Type.Number(), text: Type.Union([Type.String(), Type.Null()]), waits: Type.Record(Type.String(), Type.Number()) })),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as { from?: string; to?: string; limit?: number };
    const inst = await ctx.series.instance(id);
    const { from, to } = windowOf(q);
    return { instance: inst.name, from, to, statements: await ctx.store.statements.activityTop({ instanceId: inst.id, from, to, limit: q.limit ?? 20 }) };
  });
  app.get('/api/v1/instances/:id/sessions', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['activity'],
      summary: 'The non-idle sessions at a moment (the newest snapshot at or before it): what each runs and waits for, and who blocks whom',
      params: Type.Object({ id: Type.String() }),
      querystring: Type.Object({
        at: Type.Optional(Type.String({ description: 'The moment: ISO time, ms since epoch, or now-<n>(s|m|h|d|w). Default now.' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          instance: Type.String(), at: Type.Number(),
          ts: Type.Union([Type.Number(), Type.Null()], { description: 'when the snapshot was taken; null when there is none in the hour before `at`' }),
          sessions: Type.Array(Session),
        }),
        ...Errors,
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const q = req.query as { at?: string };
    const inst = await ctx.series.instance(id);
    const at = parseTime('at', q.at ?? 'now', Date.now());
    const snap = await ctx.store.statements.sessionsAt(inst.id, at, SESSIONS_LOOKBACK_MS);
    return { instance: inst.name, at, ts: snap?.ts ?? null, sessions: snap?.sessions ?? [] };
  });
}
