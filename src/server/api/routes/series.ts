import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply, SeriesQuery, SeriesReply } from '../schemas.ts';
import { parseTime } from '../time.ts';

/** `name=value,name=value` → labels; says which part is wrong. */
export function parseMatch(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of text.split(',').filter((p) => p.trim() !== '')) {
    const eq = part.indexOf('=');
    if (eq <= 0) throw new ApiError('PGFLEET_API_BAD_PARAM', `match: expected name=value, got "${part.slice(0, 60)}"`);
    const name = part.slice(0, eq).trim();
    if (name in out) throw new ApiError('PGFLEET_API_BAD_PARAM', `match: label "${name}" is given twice`);
    out[name] = part.slice(eq + 1);
  }
  return out;
}

export default async function seriesRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/series', {
    schema: {
      tags: ['series'], summary: 'One metric of one instance over a range, bucketed to at most maxPoints points',
      querystring: SeriesQuery,
      response: { 200: SeriesReply, 400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const q = req.query as Static<typeof SeriesQuery>;
    const now = Date.now();
    return ctx.series.query({
      instance: q.instance, metric: q.metric,
      from: parseTime('from', q.from ?? 'now-1h', now), to: parseTime('to', q.to ?? 'now', now),
      maxPoints: q.maxPoints ?? 300, fn: q.fn,
      by: q.by === undefined ? undefined : q.by.split(',').map((s) => s.trim()).filter(Boolean),
      agg: q.agg as 'sum' | 'avg' | 'max' | 'min' | undefined,
      match: q.match ? parseMatch(q.match) : undefined,
    });
  });
}
