import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';

const Ingest = Type.Object({
  batches: Type.Integer(), accepted: Type.Integer(), duplicates: Type.Integer(), dead: Type.Integer(), failures: Type.Integer(),
  newest_sample_ts: Type.Union([Type.Integer(), Type.Null()], { description: 'newest ts (ms) of the samples this process committed' }),
  lag_ms: Type.Union([Type.Integer(), Type.Null()], { description: 'now − newest_sample_ts: how far behind the fleet this keeper is' }),
  committed_at: Type.Union([Type.Integer(), Type.Null()], { description: 'when this process last committed a batch (ms)' }),
}, { description: "this process's keeper, when it stored anything since it started" });
const Health = Type.Object({ status: Type.String(), version: Type.String(), store: Type.String(), uptime_s: Type.Number(), ingest: Type.Optional(Ingest) });

export default async function healthRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/health', {
    config: { access: 'public' },
    schema: {
      tags: ['health'], summary: 'Liveness of the server and its store, and the ingest lag of its keeper',
      response: { 200: Health, 503: Health },
    },
  }, async (_req, reply) => {
    let store = 'ok';
    try { await ctx.store.sql`select 1`; } catch (err) { store = `unavailable: ${(err as Error).message}`; }
    const s = ctx.keeper.stats;
    const now = Date.now();
    const ingest = s.batches === 0 ? undefined : {
      batches: s.batches, accepted: s.accepted, duplicates: s.duplicates, dead: s.dead, failures: s.failures,
      newest_sample_ts: s.newestSampleTs || null, lag_ms: s.newestSampleTs ? now - s.newestSampleTs : null, committed_at: s.committedAt || null,
    };
    const body = { status: store === 'ok' ? 'ok' : 'degraded', version: ctx.version, store, uptime_s: process.uptime(), ...(ingest ? { ingest } : {}) };
    return reply.status(store === 'ok' ? 200 : 503).send(body);
  });
}
