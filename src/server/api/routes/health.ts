import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';

export default async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/health', {
    schema: {
      tags: ['health'], summary: 'Liveness of the server and its store',
      response: {
        200: Type.Object({ status: Type.String(), version: Type.String(), store: Type.String(), uptime_s: Type.Number() }),
        503: Type.Object({ status: Type.String(), version: Type.String(), store: Type.String(), uptime_s: Type.Number() }),
      },
    },
  }, async (_req, reply) => {
    let store = 'ok';
    try { await ctx.store.sql`select 1`; } catch (err) { store = `unavailable: ${(err as Error).message}`; }
    const body = { status: store === 'ok' ? 'ok' : 'degraded', version: ctx.version, store, uptime_s: process.uptime() };
    return reply.status(store === 'ok' ? 200 : 503).send(body);
  });
}
