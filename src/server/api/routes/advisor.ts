import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { ADVICE_FORMATS, ADVISOR_SETTINGS, advise, AdvisorError, DISK_KINDS, formatAdvice, parseSize, showValue, WORKLOADS, type AdvisorMajor, type Profile } from '../../../advisor/index.ts';
import { latestOfMetrics } from '../../../store/index.ts';
import { workloadFromStore } from '../advisor-stats.ts';
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
    const b = req.body as { workloadDays?: number; cpus?: number; ram?: string | number; disk: Profile['disk']; workload: Profile['workload']; major?: number; connections?: number; dataSize?: string | number; replication?: boolean; allowDurabilityRisk?: boolean; instance?: string };
    const size = (field: string, v: string | number) => {
      const n = typeof v === 'number' ? v : parseSize(v);
      if (n === undefined) throw new ApiError('PGFLEET_API_BAD_PARAM', `${field} must be a size such as 16GB or 512MB, got "${String(v)}"`);
      return n;
    };
    let current: Record<string, string> = {};
    let defaults = new Set<string>();
    let stats: Awaited<ReturnType<typeof workloadFromStore>>;
    let major = b.major;
    let cpus = b.cpus;
    let ramBytes = b.ram !== undefined ? size('ram', b.ram) : undefined;
    if (b.instance !== undefined) {
      const inst = await ctx.series.instance(b.instance);
      const state = await ctx.store.settings.at(inst.id, Date.now());
      if (state.asOf === null) throw new ApiError('PGFLEET_API_BAD_PARAM', `instance ${inst.name} has sent no settings yet: its agent sends them at start`);
      const wanted = new Set<string>(ADVISOR_SETTINGS);
      // The server-wide value (reset_val: what a session starts with), not the agent session's own.
      current = Object.fromEntries([...state.settings.values()].filter((s) => wanted.has(s.name)).map((s) => [s.name, showValue(s.reset_val ?? s.setting, s.unit)]));
      defaults = new Set([...state.settings.values()].filter((s) => wanted.has(s.name) && s.source === 'default').map((s) => s.name));
      const version = state.settings.get('server_version_num')?.setting;
      major ??= version ? Math.floor(Number(version) / 10000) : undefined;
      if ((cpus === undefined || ramBytes === undefined) && inst.node_id !== null) {
        // The agent's node metrics: what the machine has, read from /proc beside the instance.
        const hw = await latestOfMetrics(ctx.store.sql, { kind: 'n', id: inst.node_id }, ['node_cpu.count', 'node_memory.total'], Date.now() - 86_400_000);
        cpus ??= hw.find((x) => x.metric === 'node_cpu.count')?.value;
        ramBytes ??= hw.find((x) => x.metric === 'node_memory.total')?.value;
      }
      const days = b.workloadDays ?? 7;
      if (days > 0) stats = await workloadFromStore(ctx, inst, state, days * 86_400_000);
    }
    const missing = [
      ...(cpus === undefined ? ['cpus'] : []), ...(ramBytes === undefined ? ['ram'] : []), ...(major === undefined ? ['major (13–18)'] : []),
    ];
    if (missing.length) {
      throw new ApiError('PGFLEET_API_BAD_PARAM', `${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} needed: give ${missing.length === 1 ? 'it' : 'them'}, or an instance whose agent sends its settings and node metrics`);
    }
    try {
      const advice = advise({
        cpus: cpus!, ramBytes: ramBytes!, disk: b.disk, workload: b.workload, major: major as AdvisorMajor,
        ...(b.connections !== undefined ? { connections: b.connections } : {}), ...(b.dataSize !== undefined ? { dataBytes: size('dataSize', b.dataSize) } : {}),
        ...(b.replication !== undefined ? { replication: b.replication } : {}), ...(b.allowDurabilityRisk !== undefined ? { allowDurabilityRisk: b.allowDurabilityRisk } : {}),
      }, current, stats, { defaults });
      return { advice, conf: formatAdvice(advice, 'conf'), sql: formatAdvice(advice, 'sql'), patroni: formatAdvice(advice, 'patroni') };
    } catch (err) {
      if (err instanceof AdvisorError) throw new ApiError('PGFLEET_API_BAD_PARAM', err.problems.join('; '));
      throw err;
    }
  });
}
