import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ADVICE_FORMATS, compareEffect, effectMeasures, meanOf, type EffectMeasure, DISK_KINDS, formatAdvice, WORKLOADS } from '../../../advisor/index.ts';
import { adviseAndKeep, adviseFor, AdviceInputError, DEFAULT_ADVICE_PROFILE, profileProblems, type AdviceInput } from '../../advisor/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const Size = Type.Union([Type.String({ description: 'such as 16GB or 512MB' }), Type.Number({ description: 'bytes' })]);
const Str = Type.String();
const Recommendation = Type.Object({
  name: Str, current: Type.Union([Str, Type.Null()]), recommended: Str, setting: Str, unit: Type.Union([Str, Type.Null()]), context: Str,
  reason: Str, confidence: Str, sql: Str, rollbackSql: Str, isDefault: Type.Boolean(), afterLoading: Type.Union([Str, Type.Null()]),
});
const Scoped = { settings: Type.Record(Str, Str), reason: Str, sql: Str, rollbackSql: Str };
const Advice = Type.Object({
  profile: Type.Object({
    cpus: Type.Integer(), ramBytes: Type.Number(), disk: Str, workload: Str, major: Type.Integer(), connections: Type.Integer(),
    dataBytes: Type.Union([Type.Number(), Type.Null()]), replication: Type.Boolean(), allowDurabilityRisk: Type.Boolean(),
  }),
  recommendations: Type.Array(Recommendation),
  tables: Type.Array(Type.Object({ database: Type.Union([Str, Type.Null()]), table: Str, ...Scoped })),
  roles: Type.Array(Type.Object({ role: Str, database: Str, ...Scoped })),
  memory: Type.Object({ worstCaseBytes: Type.Number(), limitBytes: Type.Number(), formula: Str }),
  notes: Type.Array(Str),
});

/** docs/advisor.md: recommendations from the hardware and intent, compared with an instance's current settings when one is named. */
export default async function advisorRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post('/api/v1/advisor', {
    config: { access: { role: 'viewer', instance: 'body.instance' }, audit: false },
    schema: {
      tags: ['advisor'],
      summary: 'Configuration recommendations with the reason for each; with `instance`, against its current settings (and its major when not given)',
      body: Type.Object({
        cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024, description: 'default with instance: its node\'s online CPUs (node metrics)' })),
        ram: Type.Optional(Type.Union([Size], { description: 'default with instance: its node\'s MemTotal (node metrics)' })),
        disk: Type.Union(DISK_KINDS.map((d) => Type.Literal(d))), workload: Type.Union(WORKLOADS.map((w) => Type.Literal(w))),
        major: Type.Optional(Type.Integer()), connections: Type.Optional(Type.Integer({ minimum: 1 })), dataSize: Type.Optional(Size),
        replication: Type.Optional(Type.Boolean()), allowDurabilityRisk: Type.Optional(Type.Boolean()),
        instance: Type.Optional(Type.String({ description: 'an instance name or id: its settings as its agent last sent them, and its measured workload' })),
        workloadDays: Type.Optional(Type.Number({ minimum: 0, maximum: 400, default: 7, description: 'with instance: the days of collected statistics the workload rules read (0: none)' })),
      }, { additionalProperties: false }),
      response: {
        200: Type.Object({ advice: Advice, ...Object.fromEntries(ADVICE_FORMATS.filter((f) => f !== 'json' && f !== 'report').map((f) => [f, Str])) }),
        400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const b = req.body as AdviceInput & { instance?: string };
    const inst = b.instance !== undefined ? await ctx.series.instance(b.instance) : undefined;
    try {
      const advice = await adviseFor(ctx, inst, b);
      return { advice, conf: formatAdvice(advice, 'conf'), sql: formatAdvice(advice, 'sql'), patroni: formatAdvice(advice, 'patroni') };
    } catch (err) {
      if (err instanceof AdviceInputError) throw new ApiError('PGFLEET_API_BAD_PARAM', err.message);
      throw err;
    }
  });

  const ProfileBody = Type.Object({
    disk: Type.Union(DISK_KINDS.map((d) => Type.Literal(d))), workload: Type.Union(WORKLOADS.map((w) => Type.Literal(w))),
    cpus: Type.Optional(Type.Integer({ minimum: 1, maximum: 1024 })), ram: Type.Optional(Size), connections: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
    dataSize: Type.Optional(Size), replication: Type.Optional(Type.Boolean()), allowDurabilityRisk: Type.Optional(Type.Boolean()),
  }, { additionalProperties: false, description: 'what pgfleet cannot measure (disk kind, workload), and overrides of what it measured (CPUs and RAM come from the node metrics)' });
  const AdviceRun = Type.Object({
    ts: Type.Number(), profile: Type.Unknown(), advice: Type.Union([Advice, Type.Null()]), changes: Type.Integer(), restart: Type.Integer(),
    error: Type.Union([Type.String(), Type.Null()], { description: 'why there is no advice (no settings yet, no hardware figures)' }),
  });

  app.get('/api/v1/instances/:id/advice', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['advisor'], summary: "The worker's latest advice for the instance (it runs every few hours with the instance's profile), and that profile",
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      response: {
        200: Type.Object({
          run: Type.Union([AdviceRun, Type.Null()], { description: 'null until the worker has run' }),
          profile: Type.Unknown(), profileSet: Type.Boolean({ description: 'false: the default profile (ssd, mixed) is used' }),
        }),
        404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    await ctx.series.instance(id);
    const [run] = await ctx.store.advisor.runs<AdviceInput, unknown>(id, 1);
    const set = await ctx.store.advisor.profile<AdviceInput>(id);
    return { run: run ? { ts: run.ts, profile: run.profile, advice: run.advice, changes: run.changes, restart: run.restart, error: run.error } : null, profile: set?.profile ?? DEFAULT_ADVICE_PROFILE, profileSet: set !== undefined };
  });

  app.put('/api/v1/instances/:id/advisor-profile', {
    config: { access: { role: 'operator', instance: 'params.id' }, audit: 'advisor.profile' },
    schema: {
      tags: ['advisor'], summary: "Set the instance's advisor profile; the advice is computed again at once",
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }), body: ProfileBody,
      response: { 200: Type.Object({ run: AdviceRun }), 400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const inst = await ctx.series.instance(id);
    const profile = req.body as AdviceInput;
    // Checked before it is stored: a bad profile would fail every run after.
    const problems = profileProblems(profile);
    if (problems.length) throw new ApiError('PGFLEET_API_BAD_PARAM', problems.join('; '));
    await ctx.store.advisor.setProfile(id, profile, req.principal!.name);
    req.audit = { ...req.audit, target: id, detail: { ...profile } };
    await adviseAndKeep(ctx, inst, profile);
    const [run] = await ctx.store.advisor.runs<AdviceInput, unknown>(id, 1);
    return { run: { ts: run.ts, profile: run.profile, advice: run.advice, changes: run.changes, restart: run.restart, error: run.error } };
  });

  app.get('/api/v1/instances/:id/config-changes', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['advisor'],
      summary: "Configuration changes applied through pgfleet (ALTER SYSTEM actions) with each value before and after, and the measurements they act on compared over the same length of time before and after",
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      querystring: Type.Object({ window: Type.Optional(Type.Integer({ minimum: 5, maximum: 10_080, default: 60, description: 'minutes compared on each side (less when the change is more recent)' })) }),
      response: {
        200: Type.Object({
          changes: Type.Array(Type.Object({
            command: Type.String(), at: Type.Number(), by: Type.String(), windowMs: Type.Number(),
            settings: Type.Array(Type.Object({ name: Type.String(), before: Type.Union([Type.String(), Type.Null()]), after: Type.Union([Type.String(), Type.Null()]), pending_restart: Type.Boolean() }, { additionalProperties: true })),
            effects: Type.Array(Type.Object({
              key: Type.String(), label: Type.String(), unit: Type.String(), before: Type.Union([Type.Number(), Type.Null()]), after: Type.Union([Type.Number(), Type.Null()]),
              change: Type.Union([Type.Number(), Type.Null()]), verdict: Type.String({ description: 'better, worse, same (within ±5 %) or unknown (no data)' }),
            })),
          })),
        }),
        404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const windowMs = ((req.query as { window?: number }).window ?? 60) * 60_000;
    const inst = await ctx.series.instance(id);
    const now = Date.now();
    const rate = async (metric: string, from: number, to: number): Promise<number | null> => {
      try {
        const r = await ctx.series.query({ instance: id, metric, from, to, maxPoints: 30, fn: 'rate', by: [] }, inst);
        // Only buckets wholly inside the window (the first one starts before `from`), and at least three of them.
        const inside = (r.series[0]?.points ?? []).filter(([t, v]) => t >= from && t + r.step_ms <= to && v !== null);
        return inside.length >= 3 ? meanOf(inside.map((p) => p[1])) : null;
      } catch (err) {
        if (err instanceof ApiError) return null; // a metric this instance does not send (PostgreSQL 13 has no pg_stat_wal)
        throw err;
      }
    };
    const measure = async (m: EffectMeasure, from: number, to: number): Promise<number | null> => {
      const [a, b] = await Promise.all(m.metrics.map((x) => rate(x, from, to)));
      if (m.metrics.length === 1) return a;
      return a === null || b === null || a + b === 0 ? null : a / (a + b);
    };
    const applied = await ctx.store.commands.list({ instance: id, action: 'alter_system', state: 'ok', limit: 20 });
    return {
      changes: await Promise.all(applied.map(async (c) => {
        const at = c.finishedAt ?? c.requestedAt;
        const settings = ((c.output?.settings ?? []) as { name: string; before: string | null; after: string | null; pending_restart?: boolean }[])
          .map((x) => ({ ...x, pending_restart: x.pending_restart === true }));
        const span = Math.min(windowMs, now - at);
        // A setting waiting for a restart is not in effect: nothing of it to measure yet.
        const measures = effectMeasures(settings.filter((x) => x.before !== x.after && !x.pending_restart).map((x) => x.name));
        const effects = span < 60_000 ? [] : await Promise.all(measures.map(async (m) => compareEffect(m, await measure(m, at - span, at), await measure(m, at, at + span))));
        return { command: c.id, at, by: c.requestedBy, windowMs: span, settings, effects };
      })),
    };
  });
}
