import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AuthError, can, isSystemAdmin } from '../../auth/index.ts';
import { AUDIT_RESULTS, type AuditResult, type Grant, type TokenRow } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';
import { parseTime } from '../time.ts';
import { Grants } from './users.ts';

const TimeParam = (what: string) => Type.String({ description: `${what}: ISO time, ms since epoch, or now-<n>(s|m|h|d|w)` });

const Token = Type.Object({
  id: Type.Integer(), prefix: Type.String({ description: 'the start of the token (pgf_<prefix>_…), to recognise it' }), name: Type.String(), owner: Type.String(),
  scopes: Grants, systemAdmin: Type.Boolean(), createdAt: Type.Number(), expiresAt: Type.Number(),
  revokedAt: Type.Union([Type.Number(), Type.Null()]), lastUsedAt: Type.Union([Type.Number(), Type.Null()]),
});

/** A token as the API shows it: never its secret nor its hash. */
const view = (t: TokenRow) => ({
  id: t.id, prefix: t.prefix, name: t.name, owner: t.user_name, scopes: t.scopes, systemAdmin: t.system_admin,
  createdAt: t.created_at, expiresAt: t.expires_at, revokedAt: t.revoked_at, lastUsedAt: t.last_used_at,
});

const AuditEntry = Type.Object({
  id: Type.Integer(), ts: Type.Number(), actor: Type.String(), actorKind: Type.String(), ip: Type.Union([Type.String(), Type.Null()]),
  action: Type.String(), target: Type.Union([Type.String(), Type.Null()]), namespace: Type.Union([Type.String(), Type.Null()]),
  detail: Type.Union([Type.Object({}, { additionalProperties: true }), Type.Null()]), result: Type.String(), status: Type.Union([Type.Integer(), Type.Null()]),
});

/** API tokens for automation, the audit log, and the namespaces one may see. */
export default async function tokensRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.get('/api/v1/tokens', {
    config: { access: 'user' },
    schema: {
      tags: ['access'], summary: 'Your API tokens (a system administrator: everyone\'s, with all=true)',
      querystring: Type.Object({ all: Type.Optional(Type.Boolean({ default: false })) }, { additionalProperties: false }),
      response: { 200: Type.Array(Token), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const all = (req.query as { all?: boolean }).all === true;
    if (all && !isSystemAdmin(req.principal!)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'only a system administrator sees everyone\'s tokens');
    return (await ctx.store.access.listTokens(all ? undefined : req.principal!.userId)).map(view);
  });

  app.post('/api/v1/tokens', {
    config: { access: 'user', audit: 'tokens.create' },
    schema: {
      tags: ['access'],
      summary: 'Make an API token (Authorization: Bearer pgf_…). The token is in this answer only: it is kept hashed. It acts for you, within its scopes and never beyond your own roles at the time of use',
      body: Type.Object({
        name: Type.String({ minLength: 1, maxLength: 200 }), scopes: Grants,
        systemAdmin: Type.Optional(Type.Boolean({ default: false, description: 'with your system administration power (only if you have it)' })),
        expiresInDays: Type.Optional(Type.Integer({ minimum: 1, maximum: 366, default: 90 })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ token: Type.String(), info: Token }), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const b = req.body as { name: string; scopes: Grant[]; systemAdmin?: boolean; expiresInDays?: number };
    const r = await ctx.auth.createToken(req.principal!, { name: b.name, scopes: b.scopes, systemAdmin: b.systemAdmin ?? false, expiresInDays: b.expiresInDays ?? 90 });
    const info = view((await ctx.store.access.tokenById(r.id))!);
    req.audit = { target: `${info.prefix} (${b.name})` };
    return reply.status(201).send({ token: r.token, info });
  });

  app.delete('/api/v1/tokens/:id', {
    config: { access: 'user', audit: 'tokens.revoke' },
    schema: {
      tags: ['access'], summary: 'Revoke a token (yours; a system administrator: anyone\'s): it stops working at once',
      params: Type.Object({ id: Type.Integer({ minimum: 1 }) }),
      response: { 204: Type.Null(), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const t = await ctx.store.access.tokenById(id);
    if (!t || (t.user_id !== req.principal!.userId && !isSystemAdmin(req.principal!))) throw new AuthError('PGFLEET_AUTH_NOT_FOUND', `no token ${id} of yours`);
    await ctx.store.access.revokeToken(id);
    req.audit = { target: `${t.prefix} (${t.name})` };
    return reply.status(204).send();
  });

  app.get('/api/v1/audit', {
    config: { access: 'admin' },
    schema: {
      tags: ['access'], summary: 'The audit log, newest first: every change and every action, with who, when, from where, what and the result',
      querystring: Type.Object({
        from: Type.Optional(TimeParam('Start')), to: Type.Optional(TimeParam('End (default now)')),
        actor: Type.Optional(Type.String()), action: Type.Optional(Type.String({ description: 'a prefix: users. finds every user change' })),
        result: Type.Optional(Type.Union(AUDIT_RESULTS.map((r) => Type.Literal(r)))), namespace: Type.Optional(Type.String()),
        before: Type.Optional(Type.Integer({ minimum: 1, description: 'entries older than this id (the next page)' })),
        limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
      }, { additionalProperties: false }),
      response: { 200: Type.Array(AuditEntry), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const q = req.query as { from?: string; to?: string; actor?: string; action?: string; result?: AuditResult; namespace?: string; before?: number; limit?: number };
    const now = Date.now();
    return ctx.store.audit.list({
      ...(q.from ? { from: parseTime('from', q.from, now) } : {}), ...(q.to ? { to: parseTime('to', q.to, now) } : {}),
      actor: q.actor, action: q.action, result: q.result, namespace: q.namespace, before: q.before, limit: q.limit ?? 100,
    });
  });

  app.get('/api/v1/namespaces', {
    config: { access: 'user' },
    schema: { tags: ['access'], summary: 'The namespaces you may see, with your role in each', response: { 200: Type.Array(Type.Object({ name: Type.String(), role: Type.String() })), 401: Type.Ref(ErrorReply) } },
  }, async (req) => {
    const p = req.principal!;
    const out: { name: string; role: string }[] = [];
    for (const name of await ctx.store.access.namespaces()) {
      const role = (['admin', 'operator', 'viewer'] as const).find((r) => can(p, r, name));
      if (role) out.push({ name, role });
    }
    return out;
  });
}
