import { Type, type Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply, SeriesQuery, SeriesReply } from '../schemas.ts';
import { parseDuration, parseTime } from '../time.ts';

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

/** At most this many queries in one POST /api/v1/series/query. */
export const MAX_BATCH_QUERIES = 24;

const BatchQuery = Type.Object({
  instance: Type.String({ minLength: 1, description: 'instance id' }),
  from: Type.Optional(Type.String({ description: 'as for GET /api/v1/series; default now-1h' })),
  to: Type.Optional(Type.String({ description: 'default now' })),
  maxPoints: Type.Optional(Type.Integer({ minimum: 1, maximum: 10_000, default: 300 })),
  queries: Type.Array(Type.Object({
    metric: Type.String({ minLength: 1 }),
    fn: Type.Optional(Type.Union([Type.Literal('value'), Type.Literal('rate')])),
    by: Type.Optional(Type.String()),
    agg: Type.Optional(Type.Union(['sum', 'avg', 'max', 'min'].map((a) => Type.Literal(a)))),
    match: Type.Optional(Type.String()),
    offset: Type.Optional(Type.String({ description: 'read the window this long before (`1d`, `7d`, `2h`…); points come back shifted by it, on the same time axis' })),
  }, { additionalProperties: false }), { minItems: 1, maxItems: MAX_BATCH_QUERIES }),
}, { additionalProperties: false });

export default async function seriesRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post('/api/v1/series/query', {
    config: { access: { role: 'viewer', instance: 'body.instance' }, audit: false },
    schema: {
      tags: ['series'],
      summary: 'Several series queries of one instance over one window in one request (a chart\'s lines), optionally each offset back in time for comparison',
      body: BatchQuery,
      response: {
        200: Type.Object({ instance: Type.String(), from: Type.Number(), to: Type.Number(), results: Type.Array(Type.Intersect([SeriesReply, Type.Object({ offset_ms: Type.Number() })])) }),
        400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const b = req.body as Static<typeof BatchQuery>;
    const now = Date.now();
    const from = parseTime('from', b.from ?? 'now-1h', now);
    const to = parseTime('to', b.to ?? 'now', now);
    const inst = await ctx.series.instance(b.instance);
    const results = await Promise.all(b.queries.map(async (q, i) => {
      const offset = q.offset === undefined ? 0 : parseDuration(`queries[${i}].offset`, q.offset);
      const res = await ctx.series.query({
        instance: b.instance, metric: q.metric, from: from - offset, to: to - offset, maxPoints: b.maxPoints ?? 300, fn: q.fn,
        by: q.by === undefined ? undefined : q.by.split(',').map((s) => s.trim()).filter(Boolean),
        agg: q.agg as 'sum' | 'avg' | 'max' | 'min' | undefined,
        match: q.match ? parseMatch(q.match) : undefined,
      }, inst);
      if (offset === 0) return { ...res, offset_ms: 0 };
      // Shifted points must land on the window's buckets.
      if (offset % res.step_ms !== 0) {
        throw new ApiError('PGFLEET_API_BAD_PARAM', `queries[${i}].offset: ${q.offset} is not a whole number of steps (the step of this window is ${res.step_ms} ms); 1d and 7d always are`);
      }
      // On the asked window's time axis: a step divides a day, so 1 d and 7 d keep the buckets aligned.
      return {
        ...res, from, to, offset_ms: offset,
        series: res.series.map((s) => ({ labels: s.labels, points: s.points.map(([t, v]) => [t + offset, v] as [number, number | null]) })),
      };
    }));
    return { instance: inst.name, from, to, results };
  });

  app.get('/api/v1/series', {
    config: { access: { role: 'viewer', instance: 'query.instance' } },
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
