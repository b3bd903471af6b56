import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { CollectorSummary, MetricDefSchema } from '../schemas.ts';

export default async function catalogRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/catalog', {
    config: { access: 'user' },
    schema: {
      tags: ['catalog'], summary: 'The metric catalog: collectors and every metric they produce',
      response: { 200: Type.Object({ collectors: Type.Array(CollectorSummary), metrics: Type.Array(MetricDefSchema) }) },
    },
  }, async () => ({
    collectors: ctx.collectors.map((c) => ({ id: c.id, description: c.description, scope: c.scope, interval_s: c.interval_s, role: c.role, presets: c.presets })),
    metrics: [...ctx.metrics.values()],
  }));
}
