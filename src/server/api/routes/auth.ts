import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { isSystemAdmin, type Principal } from '../../auth/index.ts';
import type { ApiContext } from '../context.ts';
import { clearedCookies, sessionCookies } from '../access.ts';
import { ErrorReply } from '../schemas.ts';

const GrantSchema = Type.Object({ namespace: Type.String(), role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]) });

/** What the console knows of the person signed in. */
export const Me = Type.Object({
  name: Type.String(),
  via: Type.Union([Type.Literal('session'), Type.Literal('token')]),
  isAdmin: Type.Boolean({ description: 'system administrator (for a token: its owner is one and the token carries that power)' }),
  grants: Type.Array(GrantSchema),
  tokenScopes: Type.Optional(Type.Array(GrantSchema)),
  mustChangePassword: Type.Boolean(),
}, { $id: 'Me' });

export const me = (p: Principal) => ({
  name: p.name, via: p.kind === 'token' ? 'token' as const : 'session' as const, isAdmin: isSystemAdmin(p), grants: p.grants,
  ...(p.tokenScopes ? { tokenScopes: p.tokenScopes } : {}), mustChangePassword: p.mustChangePassword,
});

/** Sign-in and sign-out of the console, and the password of the one signed in. */
export default async function authRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const maxAgeS = Math.round(ctx.auth.sessionIdleMs / 1000);
  app.post('/api/v1/auth/login', {
    config: { access: 'public', audit: 'login' },
    schema: {
      tags: ['access'], summary: 'Sign in with a name and password: sets the session cookie (httpOnly) and the CSRF cookie whose value changes must carry in X-CSRF-Token',
      body: Type.Object({ name: Type.String({ minLength: 1, maxLength: 200 }), password: Type.String({ minLength: 1, maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 200: Type.Object({ user: Type.Ref(Me), csrf: Type.String() }), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 429: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const { name, password } = req.body as { name: string; password: string };
    req.audit = { actor: name, target: name, detail: {} };
    const r = await ctx.auth.login(name, password, req.ip);
    req.principal = r.principal;
    req.audit = { target: name, detail: {} };
    reply.header('set-cookie', sessionCookies(r.sessionId, r.csrf, ctx.secureCookies, maxAgeS));
    return { user: me(r.principal), csrf: r.csrf };
  });

  app.post('/api/v1/auth/logout', {
    config: { access: 'user', audit: 'logout', duringPasswordChange: true },
    schema: { tags: ['access'], summary: 'Sign out: ends the session', response: { 204: Type.Null(), 401: Type.Ref(ErrorReply) } },
  }, async (req, reply) => {
    await ctx.auth.logout(req.principal!);
    reply.header('set-cookie', clearedCookies(ctx.secureCookies));
    return reply.status(204).send();
  });

  app.get('/api/v1/auth/me', {
    config: { access: 'user', duringPasswordChange: true },
    schema: { tags: ['access'], summary: 'Who is signed in (or whose token this is), and their roles', response: { 200: Type.Ref(Me), 401: Type.Ref(ErrorReply) } },
  }, async (req) => me(req.principal!));

  app.post('/api/v1/auth/password', {
    config: { access: 'user', audit: 'password.change', duringPasswordChange: true },
    schema: {
      tags: ['access'], summary: 'Change your own password (ends your other sessions: sign in again)',
      body: Type.Object({ current: Type.String({ maxLength: 1024 }), next: Type.String({ maxLength: 1024 }) }, { additionalProperties: false }),
      response: { 204: Type.Null(), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const { current, next } = req.body as { current: string; next: string };
    // Both fields are secrets: the audit entry says only whose password it was.
    req.audit = { target: req.principal!.name, detail: {} };
    await ctx.auth.changePassword(req.principal!, current, next);
    reply.header('set-cookie', clearedCookies(ctx.secureCookies));
    return reply.status(204).send();
  });
}
