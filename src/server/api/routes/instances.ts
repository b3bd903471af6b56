import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ErrorReply, Instance } from '../schemas.ts';

export default async function instancesRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/instances', {
    schema: {
      tags: ['inventory'], summary: 'Every instance with status, key numbers and sparklines, problems first',
      response: { 200: Type.Object({ instances: Type.Array(Type.Ref(Instance)) }) },
    },
  }, async () => ({ instances: await ctx.instances.list() }));

  app.get('/api/v1/instances/:id', {
    schema: {
      tags: ['inventory'], summary: 'One instance, its databases and the metrics stored for it',
      params: Type.Object({ id: Type.String() }),
      response: {
        200: Type.Object({ instance: Type.Ref(Instance), databases: Type.Array(Type.String()), metrics: Type.Array(Type.String()) }),
        404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { id } = req.params as { id: string };
    const row = await ctx.series.instance(id);
    const metrics = await ctx.store.sql<{ name: string }[]>`
      select distinct m.name from series s join metrics m on m.id = s.metric_id
      where (s.owner_kind = 'i' and s.owner_id = ${row.id}) or (s.owner_kind = 'n' and s.owner_id = ${row.node_id ?? -1})
      order by m.name`;
    return { instance: await ctx.instances.view(row), databases: row.databases, metrics: metrics.map((m) => m.name) };
  });
}
