import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { latestSamples } from '../../../store/index.ts';
import { can, isSystemAdmin } from '../../auth/index.ts';
import type { ApiContext } from '../context.ts';
import { formatExposition, promLabels, type ExpositionFamily } from '../prometheus.ts';
import { ErrorReply } from '../schemas.ts';

const MetricsQuery = Type.Object({
  lookback_s: Type.Optional(Type.Integer({ minimum: 1, maximum: 86_400, default: 300, description: 'series with no sample in this many seconds are left out' })),
  namespace: Type.Optional(Type.String({ minLength: 1, description: 'only the instances of this namespace (node series of their hosts included)' })),
  instance: Type.Optional(Type.String({ minLength: 1, description: 'only this instance and its host' })),
}, { additionalProperties: false });

/**
 * GET /metrics: the newest value of every series in the Prometheus text format, so an existing
 * Prometheus (federation-style, `honor_labels: true`) or Grafana can read the fleet from pgfleet.
 */
export default async function metricsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/metrics', {
    config: { access: { role: 'viewer', list: true } },
    schema: {
      tags: ['prometheus'],
      summary: 'Newest value of every series, Prometheus text exposition format 0.0.4',
      description: 'Instance series carry `instance`, `namespace` and `cluster` labels, host series `node`; the series\' own labels follow ' +
        '(one that clashes is renamed `exported_<name>`). Names: the catalog name with `.` as `_` (`pg_stat_database_xact_commit`). ' +
        'Counters are the cumulative values the agent read. Each sample carries its own timestamp (ms).',
      querystring: MetricsQuery,
      produces: ['text/plain'],
      response: { 200: Type.String({ description: 'text/plain; version=0.0.4' }), 400: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const q = req.query as Static<typeof MetricsQuery>;
    const samples = await latestSamples(ctx.store.sql, Date.now() - (q.lookback_s ?? 300) * 1000);
    const p = req.principal!;
    // A system administrator without a filter sees everything; anyone else the instances of their
    // namespaces, and the hosts those run on.
    const filtered = q.namespace !== undefined || q.instance !== undefined || !isSystemAdmin(p);
    const keep = (owner: string, namespace: string | null): boolean => namespace !== null && can(p, 'viewer', namespace) &&
      (q.instance === undefined || owner === q.instance) && (q.namespace === undefined || namespace === q.namespace);
    const nodes = new Set<string>();
    if (filtered) {
      for (const r of await ctx.store.inventory.instanceOwners()) if (r.node !== null && keep(r.name, r.namespace)) nodes.add(r.node);
    }
    const families = new Map<string, ExpositionFamily>();
    for (const s of samples) {
      if (filtered && (s.ownerKind === 'i' ? !keep(s.owner, s.namespace) : !nodes.has(s.owner))) continue;
      let f = families.get(s.metric);
      if (!f) {
        const def = ctx.metrics.get(s.metric);
        f = { name: s.metric, type: s.kind, help: def?.description ? `${def.description}${def.unit ? ` (${def.unit})` : ''}` : undefined, samples: [] };
        families.set(s.metric, f);
      }
      const target: Record<string, string> = s.ownerKind === 'i' ? { instance: s.owner, namespace: s.namespace ?? '', cluster: s.cluster ?? '' } : { node: s.owner };
      f.samples.push({ labels: Object.fromEntries(promLabels(target, s.labels)), value: s.value, ts: s.ts });
    }
    // Stable order inside a family: by its labels.
    for (const f of families.values()) f.samples.sort((a, b) => { const x = JSON.stringify(a.labels); const y = JSON.stringify(b.labels); return x < y ? -1 : x > y ? 1 : 0; });
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(formatExposition([...families.values()]));
  });
}
