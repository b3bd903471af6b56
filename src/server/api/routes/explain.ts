import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { analyzePlan, BUFFER_KEYS, diffPlans, explainReport, ExplainError, HINT_CODES, parseExplain, planHints } from '../../../explain/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const Ms = Type.Union([Type.Number(), Type.Null()]);
const Buffers = Type.Object(Object.fromEntries(BUFFER_KEYS.map((k) => [k, Type.Number()])), { description: 'blocks (8 kB by default)' });
const Node = Type.Recursive((Self) => Type.Object({
  nodeType: Type.String(), label: Type.String({ description: 'the head EXPLAIN TEXT prints: Parallel Seq Scan, HashAggregate, Hash Left Join' }),
  relationName: Type.Optional(Type.String()), schema: Type.Optional(Type.String()), alias: Type.Optional(Type.String()),
  indexName: Type.Optional(Type.String()), subplanName: Type.Optional(Type.String()),
  actualRows: Ms, planRows: Ms, loops: Ms,
  inclusiveTime: Type.Union([Type.Number(), Type.Null()], { description: 'ms over all loops, wall clock (parallel workers counted once)' }),
  exclusiveTime: Ms,
  exclusiveBounds: Type.Optional(Type.Tuple([Type.Number(), Type.Number()], { description: 'when the exclusive time is uncertain: the range (ms) it is sure to lie in' })),
  uncertain: Type.Optional(Type.Literal(true)),
  share: Type.Union([Type.Number(), Type.Null()], { description: "exclusive time as a share (0–1) of the root's time" }),
  estimateFactor: Type.Union([Type.Number(), Type.Null()], { description: 'how far the row estimate was off (≥ 1)' }),
  estimateDirection: Type.Union([Type.Literal('under'), Type.Literal('over'), Type.Null()]),
  rowsRemovedByFilter: Type.Optional(Type.Number()), rowsRemovedByJoinFilter: Type.Optional(Type.Number()), rowsRemovedByIndexRecheck: Type.Optional(Type.Number()),
  buffers: Type.Optional(Buffers), exclusiveBuffers: Type.Optional(Buffers),
  ioReadMs: Type.Optional(Type.Number()), ioWriteMs: Type.Optional(Type.Number()), readMBps: Type.Optional(Type.Number({ description: "the node's own reads, MB/s (track_io_timing)" })),
  props: Type.Record(Type.String(), Type.String(), { description: 'every other property EXPLAIN printed (Filter, Hash Cond, Sort Method, …)' }),
  children: Type.Array(Self),
}), { $id: 'ExplainNode' });
const Group = Type.Object({ key: Type.String(), nodes: Type.Integer(), exclusiveTime: Ms, share: Ms, sharedHit: Type.Number(), sharedRead: Type.Number() });
const Hint = Type.Object({
  code: Type.Union(HINT_CODES.map((c) => Type.Literal(c))), nodeType: Type.Union([Type.String(), Type.Null()]), where: Type.String(), message: Type.String(),
  evidence: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])), savingMs: Type.Number(), advice: Type.String(),
});

const Report = Type.Object({
  planningTime: Ms, executionTime: Ms, warnings: Type.Array(Type.String(), { description: 'doubts about the input, such as a plan that may be cut short' }),
  root: Node, byTable: Type.Array(Group), byNodeType: Type.Array(Group), hints: Type.Array(Hint),
});
const PlanBody = {
  plan: Type.String({ minLength: 1, description: 'EXPLAIN output as printed or pasted' }),
};

/** The analysis of a plan; input that is not a plan is the caller's mistake (400), with where it stops being one. */
function analysisOf(plan: string, field = 'plan') {
  try {
    return analyzePlan(parseExplain(plan));
  } catch (err) {
    if (err instanceof ExplainError) throw new ApiError('PGFLEET_API_BAD_PARAM', `${field}: ${err.message}`);
    throw err;
  }
}

function reportOf(plan: string) {
  const analysis = analysisOf(plan);
  return explainReport(analysis, planHints(analysis));
}

const Side = Type.Union([Type.Object({ label: Type.String(), target: Type.Union([Type.String(), Type.Null()]), exclusiveMs: Ms, rows: Ms, loops: Ms, planRows: Ms }), Type.Null()]);

/** A title for a saved plan: the root node's line. */
function titleOf(report: ReturnType<typeof reportOf>): string {
  const r = report.root;
  return `${r.label}${r.relationName ? ` on ${r.relationName}` : ''}${report.executionTime !== null ? ` (${report.executionTime} ms)` : ''}`;
}

export default async function explainRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post('/api/v1/explain', {
    config: { access: 'user', audit: false },
    // Plans of thousands of nodes in JSON run to megabytes.
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['explain'],
      summary: 'Analyze an EXPLAIN plan (TEXT or JSON, psql framing allowed): time per node and hints. Nothing is stored.',
      body: Type.Object(PlanBody, { additionalProperties: false }),
      response: { 200: Report, 400: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply) },
    },
  }, async (req) => reportOf((req.body as { plan: string }).plan));

  app.post('/api/v1/explain/diff', {
    config: { access: 'user', audit: false },
    bodyLimit: 32 * 1024 * 1024,
    schema: {
      tags: ['explain'], summary: 'Two plans of one query node by node: same, changed, only in one; where the exclusive time moved',
      body: Type.Object({ a: Type.String({ minLength: 1 }), b: Type.String({ minLength: 1 }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({
          executionMs: Type.Array(Ms, { minItems: 2, maxItems: 2 }),
          rows: Type.Array(Type.Object({ depth: Type.Integer(), status: Type.Union(['same', 'changed', 'only_a', 'only_b'].map((x) => Type.Literal(x))), a: Side, b: Side, deltaMs: Ms })),
        }),
        400: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { a, b } = req.body as { a: string; b: string };
    return diffPlans(analysisOf(a, 'a'), analysisOf(b, 'b'));
  });

  const Saved = Type.Object({ id: Type.String(), created_at: Type.Number(), title: Type.String(), query: Type.Union([Type.String(), Type.Null()]) });
  app.post('/api/v1/explain/plans', {
    config: { access: 'user', audit: 'explain.save' },
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['explain'], summary: 'Save a plan in the store; answers its id (an unguessable link: plans are not listed, only who has the link can open one) and analysis',
      body: Type.Object({ ...PlanBody, query: Type.Optional(Type.String({ maxLength: 1_000_000 })), title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })) }, { additionalProperties: false }),
      response: { 201: Type.Intersect([Saved, Type.Object({ report: Report })]), 400: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const body = req.body as { plan: string; query?: string; title?: string };
    const report = reportOf(body.plan);
    const saved = await ctx.store.explainPlans.save({ plan: body.plan, title: body.title ?? titleOf(report), ...(body.query ? { query: body.query } : {}) });
    reply.status(201);
    return { id: saved.id, created_at: saved.created_at, title: saved.title, query: saved.query, report };
  });
  app.get('/api/v1/explain/plans/:id', {
    config: { access: 'user' },
    schema: {
      tags: ['explain'], summary: 'A saved plan: its text, query and analysis',
      params: Type.Object({ id: Type.String({ maxLength: 64 }) }),
      response: { 200: Type.Intersect([Saved, Type.Object({ plan: Type.String(), report: Report })]), 400: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const saved = await ctx.store.explainPlans.get((req.params as { id: string }).id);
    if (!saved) throw new ApiError('PGFLEET_API_NOT_FOUND', 'no saved plan has this id');
    return { ...saved, report: reportOf(saved.plan) };
  });
}
