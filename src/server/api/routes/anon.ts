import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { can } from '../../auth/index.ts';
import { AnonJobInputError } from '../../anon/index.ts';
import type { AnonJobKind } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ApiError } from '../errors.ts';
import { ErrorReply } from '../schemas.ts';

const Str = Type.String();
export const AnonJobView = Type.Object({
  id: Type.Integer(), kind: Str, instance: Str, namespace: Str, source: Str, target: Type.Union([Type.Null(), Str]),
  status: Type.String({ description: 'running, done, failed, or interrupted (a running job whose process stopped reporting)' }),
  requestedBy: Str, startedAt: Type.Number(), updatedAt: Type.Number(), finishedAt: Type.Union([Type.Null(), Type.Number()]),
  progress: Type.Unknown({ description: 'scan: tables done of all; copy: phase, rows, bytes of the estimated total, tables done, the tables being copied' }),
  result: Type.Unknown({ description: 'scan: findings (rule, confidence, evidence) and the dictionary as YAML; copy: the report. Only from GET /anon/jobs/{id}' }),
  error: Type.Union([Type.Null(), Str]),
}, { $id: 'AnonJob' });
const Errors = { 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) };

/** docs/anon.md: scans and masked copies of a registered instance's database, run by the server, with progress and history. */
export default async function anonRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post('/api/v1/instances/:id/anon/jobs', {
    // A scan and a copy read every row of the database: admins of the namespace only.
    config: { access: { role: 'admin', instance: 'params.id' }, audit: 'anon.job' },
    schema: {
      tags: ['anon'],
      summary: 'Start a scan (finds personal data, answers a dictionary to review) or a masked copy (sync) of one of the instance\'s databases',
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }),
      body: Type.Object({
        kind: Type.Union([Type.Literal('scan'), Type.Literal('sync')]),
        source: Type.String({ minLength: 1, maxLength: 2000, description: 'connection URI of the database on this instance (read access is enough); the password is not stored' }),
        target: Type.Optional(Type.String({ maxLength: 2000, description: 'sync: connection URI of an empty database, or of an incomplete copy to finish' })),
        dictionary: Type.Optional(Type.String({ maxLength: 5_000_000, description: "sync: the reviewed dictionary (YAML), for example a scan job's" })),
        key: Type.Optional(Type.String({ maxLength: 1000, description: 'sync: the secret of the keyed rules (16+ characters); not stored. The same key gives the same copy' })),
        jobs: Type.Optional(Type.Integer({ minimum: 1, maximum: 16, description: 'tables copied at once (default 2)' })),
        sampleRows: Type.Optional(Type.Integer({ minimum: 10, maximum: 100_000, description: 'scan: rows sampled per table (default 1,000)' })),
      }, { additionalProperties: false }),
      response: { 202: Type.Ref(AnonJobView), ...Errors },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const b = req.body as { kind: AnonJobKind; source: string; target?: string; dictionary?: string; key?: string; jobs?: number; sampleRows?: number };
    const inst = await ctx.store.inventory.getInstance(id);
    if (!inst) throw new ApiError('PGFLEET_API_NOT_FOUND', `no instance ${id}`);
    let job: number;
    try {
      job = await ctx.anonJobs.start({ ...b, instance: inst.name, namespace: inst.namespace, databases: inst.databases, requestedBy: req.principal!.name });
    } catch (err) {
      if (err instanceof AnonJobInputError) throw new ApiError('PGFLEET_API_BAD_PARAM', err.message);
      throw err;
    }
    req.audit = { ...req.audit, target: inst.name, namespace: inst.namespace, detail: { job, kind: b.kind } };
    return reply.status(202).send(await ctx.store.anonJobs.get(job));
  });

  app.get('/api/v1/anon/jobs', {
    config: { access: { role: 'viewer', list: true } },
    schema: {
      tags: ['anon'], summary: 'Anonymization jobs of your namespaces, newest first (without their results)',
      querystring: Type.Object({ limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 100 })) }),
      response: { 200: Type.Array(Type.Ref(AnonJobView)), ...Errors },
    },
  }, async (req) => {
    const p = req.principal!;
    const namespaces = (await ctx.store.access.namespaces()).filter((ns) => can(p, 'viewer', ns));
    return ctx.store.anonJobs.list(namespaces, (req.query as { limit?: number }).limit ?? 100);
  });

  app.get('/api/v1/anon/jobs/:job', {
    config: { access: 'user' },
    schema: {
      tags: ['anon'], summary: 'One anonymization job with its progress and result (a scan\'s findings and dictionary, a copy\'s report)',
      params: Type.Object({ job: Type.Integer({ minimum: 1 }) }), response: { 200: Type.Ref(AnonJobView), ...Errors },
    },
  }, async (req) => {
    const { job } = req.params as { job: number };
    const row = await ctx.store.anonJobs.get(job);
    if (!row || !can(req.principal!, 'viewer', row.namespace)) throw new ApiError('PGFLEET_API_NOT_FOUND', `no anonymization job ${job} in your namespaces`);
    return row;
  });
}
