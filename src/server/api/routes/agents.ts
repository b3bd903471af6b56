import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AuthError, can } from '../../auth/index.ts';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';

const EnrollmentToken = Type.Object({
  id: Type.Integer(), prefix: Type.String(), namespace: Type.String(), createdBy: Type.String(), createdAt: Type.Number(),
  expiresAt: Type.Number(), usesLeft: Type.Union([Type.Integer(), Type.Null()]), revokedAt: Type.Union([Type.Number(), Type.Null()]),
});
const AgentCredential = Type.Object({
  agent: Type.String(), namespace: Type.String(), nkey: Type.Union([Type.String(), Type.Null()]), enrolledAt: Type.Number(), revokedAt: Type.Union([Type.Number(), Type.Null()]),
});
const Errors = { 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) };

/** Agent enrollment: tokens per namespace, the agents' own credentials, and the NATS authorization they imply. */
export default async function agentsRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  app.post('/api/v1/enrollment-tokens', {
    config: { access: 'user', audit: 'agents.enrollment_token.create' },
    schema: {
      tags: ['access'], summary: 'Make an enrollment token for a namespace (its admins): a new agent registers with it once and gets a credential of its own. Shown in this answer only',
      body: Type.Object({
        namespace: Type.String({ minLength: 1, maxLength: 100 }),
        expiresInHours: Type.Optional(Type.Integer({ minimum: 1, maximum: 720, default: 24 })),
        uses: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000, description: 'agents it may enroll (default: any number until it expires)' })),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ token: Type.String(), id: Type.Integer(), expiresAt: Type.Number() }), ...Errors },
    },
  }, async (req, reply) => {
    const b = req.body as { namespace: string; expiresInHours?: number; uses?: number };
    const r = await ctx.agentAuth.createEnrollmentToken(req.principal!, { namespace: b.namespace, expiresInHours: b.expiresInHours ?? 24, uses: b.uses ?? null });
    req.audit = { target: b.namespace, namespace: b.namespace };
    return reply.status(201).send(r);
  });

  app.get('/api/v1/enrollment-tokens', {
    config: { access: 'user' },
    schema: { tags: ['access'], summary: 'Enrollment tokens of the namespaces you administer (never their secrets)', response: { 200: Type.Array(EnrollmentToken), ...Errors } },
  }, async (req) => (await ctx.store.agentCredentials.enrollmentTokens())
    .filter((t) => can(req.principal!, 'admin', t.namespace))
    .map((t) => ({ id: t.id, prefix: t.prefix, namespace: t.namespace, createdBy: t.created_by, createdAt: t.created_at, expiresAt: t.expires_at, usesLeft: t.uses_left, revokedAt: t.revoked_at })));

  app.delete('/api/v1/enrollment-tokens/:id', {
    config: { access: 'user', audit: 'agents.enrollment_token.revoke' },
    schema: { tags: ['access'], summary: 'Revoke an enrollment token: no more agents enroll with it', params: Type.Object({ id: Type.Integer({ minimum: 1 }) }), response: { 204: Type.Null(), ...Errors } },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const t = (await ctx.store.agentCredentials.enrollmentTokens()).find((x) => x.id === id);
    if (!t || !can(req.principal!, 'admin', t.namespace)) throw new AuthError('PGFLEET_AUTH_NOT_FOUND', `no enrollment token ${id} in a namespace you administer`);
    await ctx.store.agentCredentials.revokeEnrollmentToken(id);
    req.audit = { target: t.prefix, namespace: t.namespace };
    return reply.status(204).send();
  });

  app.post('/api/v1/agents/enroll', {
    config: { access: 'public', audit: 'agents.enroll' },
    schema: {
      tags: ['access'],
      summary: "An agent registers with an enrollment token: answers the agent's credential for HTTPS ingest (in this answer only) and its namespace; with `nkey`, the public half of the agent's NATS key, it can connect to NATS under the generated authorization",
      body: Type.Object({ token: Type.String({ maxLength: 200 }), agent: Type.String({ maxLength: 100 }), nkey: Type.Optional(Type.String({ maxLength: 100 })) }, { additionalProperties: false }),
      response: { 201: Type.Object({ agent: Type.String(), namespace: Type.String(), credential: Type.String(), commandKey: Type.String({ description: "the server's command key (Ed25519, PEM): the agent runs only commands it signed" }) }), 409: Type.Ref(ErrorReply), ...Errors },
    },
  }, async (req, reply) => {
    const b = req.body as { token: string; agent: string; nkey?: string };
    req.audit = { actor: `agent ${b.agent.slice(0, 100)}`, target: b.agent.slice(0, 100) };
    // The key first: the credential is shown once, and must not be lost to a failure after it was made.
    const commandKey = await ctx.commands.publicKey();
    const r = await ctx.agentAuth.enroll(b.token, b.agent, b.nkey);
    req.audit = { ...req.audit, namespace: r.namespace };
    return reply.status(201).send({ agent: b.agent, namespace: r.namespace, credential: r.credential, commandKey });
  });

  app.get('/api/v1/agents', {
    config: { access: { role: 'viewer', list: true } },
    schema: { tags: ['access'], summary: 'Enrolled agents of your namespaces: namespace, NATS key, enrolled, revoked', response: { 200: Type.Array(AgentCredential), ...Errors } },
  }, async (req) => (await ctx.store.agentCredentials.credentials())
    .filter((c) => can(req.principal!, 'viewer', c.namespace))
    .map((c) => ({ agent: c.agent, namespace: c.namespace, nkey: c.nkey, enrolledAt: c.enrolled_at, revokedAt: c.revoked_at })));

  app.delete('/api/v1/agents/:id/credential', {
    config: { access: 'user', audit: 'agents.revoke' },
    schema: {
      tags: ['access'], summary: "Revoke an agent (its namespace's admins): HTTPS ingest refuses its credential at once; NATS refuses it once the authorization is generated again and reloaded",
      params: Type.Object({ id: Type.String({ maxLength: 100 }) }), response: { 204: Type.Null(), ...Errors },
    },
  }, async (req, reply) => {
    const { id } = req.params as { id: string };
    const c = await ctx.store.agentCredentials.credential(id);
    if (!c || !can(req.principal!, 'admin', c.namespace)) throw new AuthError('PGFLEET_AUTH_NOT_FOUND', `no enrolled agent ${id} in a namespace you administer`);
    await ctx.store.agentCredentials.revoke(id);
    req.audit = { target: id, namespace: c.namespace };
    return reply.status(204).send();
  });

  app.get('/api/v1/nats/authorization', {
    config: { access: 'admin' },
    schema: {
      tags: ['access'], summary: "The nats-server authorization block for the enrolled agents (each may publish only on its own subjects) and the keeper, by the keeper's public NKEY",
      querystring: Type.Object({ keeperNkey: Type.String({ minLength: 56, maxLength: 56 }) }, { additionalProperties: false }),
      produces: ['text/plain'],
      response: { 200: Type.String(), ...Errors },
    },
  }, async (req, reply) => reply.type('text/plain; charset=utf-8').send(await ctx.agentAuth.natsAuthorization((req.query as { keeperNkey: string }).keeperNkey)));
}
