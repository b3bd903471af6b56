import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { can } from '../../auth/index.ts';
import type { ApiContext } from '../context.ts';
import { CollectorState, ErrorReply, Instance } from '../schemas.ts';

export default async function instancesRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/instances', {
    config: { access: { role: 'viewer', list: true } },
    schema: {
      tags: ['inventory'], summary: 'Every instance with status, key numbers and sparklines, problems first',
      response: { 200: Type.Object({ instances: Type.Array(Type.Ref(Instance)) }) },
    },
  }, async (req) => ({ instances: (await ctx.instances.list()).filter((i) => can(req.principal!, 'viewer', i.namespace)) }));

  app.get('/api/v1/instances/:id', {
    config: { access: { role: 'viewer', instance: 'params.id' } },
    schema: {
      tags: ['inventory'], summary: 'One instance, its databases and the metrics stored for it',
      params: Type.Object({ id: Type.String() }),
      response: {
        200: Type.Object({
          instance: Type.Ref(Instance), databases: Type.Array(Type.String()), metrics: Type.Array(Type.String()),
          collectors: Type.Array(Type.Ref(CollectorState), { description: "the agent's last heartbeat about this instance's collectors and its node's" }),
        }),
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
    // The heartbeat lists every collector of the agent: this instance's, and node-level ones (no instance).
    const collectors = await ctx.store.sql<{ id: string; state: string; runs: number; failures: number; last_error: string | null; note: string | null }[]>`
      select c->>'id' as id, c->>'state' as state, (c->>'runs')::int as runs, (c->>'failures')::int as failures,
        c->>'last_error' as last_error, c->>'note' as note
      from instances i join agents a on a.id = i.agent_id, jsonb_array_elements(a.heartbeat->'collectors') c
      where i.id = ${row.id} and (c->>'instance' is null or c->>'instance' = ${id})
      order by 1`;
    return { instance: await ctx.instances.view(row), databases: row.databases, metrics: metrics.map((m) => m.name), collectors };
  });
}
