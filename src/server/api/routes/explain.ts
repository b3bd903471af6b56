import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { analyzePlan, explainReport, ExplainError, HINT_CODES, parseExplain, planHints } from '../../../explain/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const Ms = Type.Union([Type.Number(), Type.Null()]);
const Node = Type.Recursive((Self) => Type.Object({
  nodeType: Type.String(), label: Type.String({ description: 'the head EXPLAIN TEXT prints: Parallel Seq Scan, HashAggregate, Hash Left Join' }),
  relationName: Type.Optional(Type.String()), indexName: Type.Optional(Type.String()), subplanName: Type.Optional(Type.String()),
  actualRows: Ms, planRows: Ms, loops: Ms,
  inclusiveTime: Type.Union([Type.Number(), Type.Null()], { description: 'ms over all loops, wall clock (parallel workers counted once)' }),
  exclusiveTime: Ms, uncertain: Type.Optional(Type.Literal(true)), children: Type.Array(Self),
}), { $id: 'ExplainNode' });
const Hint = Type.Object({
  code: Type.Union(HINT_CODES.map((c) => Type.Literal(c))), nodeType: Type.Union([Type.String(), Type.Null()]), where: Type.String(), message: Type.String(),
  evidence: Type.Record(Type.String(), Type.Union([Type.Number(), Type.String()])), savingMs: Type.Number(), advice: Type.String(),
});

export default async function explainRoutes(app: FastifyInstance, _ctx: ApiContext): Promise<void> {
  app.post('/api/v1/explain', {
    // Plans of thousands of nodes in JSON run to megabytes.
    bodyLimit: 16 * 1024 * 1024,
    schema: {
      tags: ['explain'],
      summary: 'Analyze an EXPLAIN plan (TEXT or JSON, psql framing allowed): time per node and hints. Nothing is stored.',
      body: Type.Object({ plan: Type.String({ minLength: 1, description: 'EXPLAIN output as printed or pasted' }) }, { additionalProperties: false }),
      response: {
        200: Type.Object({ planningTime: Ms, executionTime: Ms, root: Node, hints: Type.Array(Hint) }),
        400: Type.Ref(ErrorReply), 413: Type.Ref(ErrorReply),
      },
    },
  }, async (req) => {
    const { plan } = req.body as { plan: string };
    try {
      const analysis = analyzePlan(parseExplain(plan));
      return explainReport(analysis, planHints(analysis));
    } catch (err) {
      if (err instanceof ExplainError) throw new ApiError('PGFLEET_API_BAD_PARAM', `plan: ${err.message}`);
      throw err;
    }
  });
}
