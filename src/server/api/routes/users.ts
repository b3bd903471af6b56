import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { AuthError } from '../../auth/index.ts';
import type { Grant, UserRow } from '../../../store/index.ts';
import type { ApiContext } from '../context.ts';
import { ErrorReply } from '../schemas.ts';

export const Grants = Type.Array(Type.Object({
  namespace: Type.String({ minLength: 1, maxLength: 200, description: "a namespace, or '*' for every namespace" }),
  role: Type.Union([Type.Literal('viewer'), Type.Literal('operator'), Type.Literal('admin')]),
}, { additionalProperties: false }), { maxItems: 1000 });

const User = Type.Object({
  id: Type.Integer(), name: Type.String(), displayName: Type.Union([Type.String(), Type.Null()]), source: Type.String(),
  isAdmin: Type.Boolean(), disabled: Type.Boolean(), mustChangePassword: Type.Boolean(), locked: Type.Boolean(),
  createdAt: Type.Number(), lastLoginAt: Type.Union([Type.Number(), Type.Null()]), grants: Grants,
});

/** A user as the API shows it: never the password hash. */
const view = (u: UserRow) => ({
  id: u.id, name: u.name, displayName: u.display_name, source: u.source, isAdmin: u.is_admin, disabled: u.disabled,
  mustChangePassword: u.must_change_password, locked: u.locked_until !== null && u.locked_until > Date.now(),
  createdAt: u.created_at, lastLoginAt: u.last_login_at, grants: u.grants,
});

const Id = Type.Object({ id: Type.Integer({ minimum: 1 }) });
const NAME = '^[A-Za-z0-9._@-]{1,100}$';

/** Users and their roles: system administrators only. */
export default async function usersRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  const one = async (id: number) => {
    const u = await ctx.store.access.userById(id);
    if (!u) throw new AuthError('PGFLEET_AUTH_NOT_FOUND', `no user with id ${id}`);
    return u;
  };
  /** Demotes, disables or deletes, unless nobody would be left to administer pgfleet. */
  const changePower = async (u: UserRow, p: { isAdmin?: boolean; disabled?: boolean; remove?: boolean }) => {
    if (await ctx.store.access.changeAdminPower(u.id, p) === 'last-admin') {
      throw new AuthError('PGFLEET_AUTH_CONFLICT', `${u.name} is the last active system administrator: make another one first`);
    }
  };

  app.get('/api/v1/users', {
    config: { access: 'admin' },
    schema: { tags: ['access'], summary: 'Users, their roles per namespace, and whether they are locked', response: { 200: Type.Array(User), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply) } },
  }, async () => (await ctx.store.access.listUsers()).map(view));

  app.post('/api/v1/users', {
    config: { access: 'admin', audit: 'users.create' },
    schema: {
      tags: ['access'], summary: 'Create a local user; without a password, a one-time password is made and returned once (it only serves to choose a new one)',
      body: Type.Object({
        name: Type.String({ pattern: NAME }), displayName: Type.Optional(Type.String({ maxLength: 200 })),
        password: Type.Optional(Type.String({ maxLength: 1024 })), isAdmin: Type.Optional(Type.Boolean({ default: false })), grants: Type.Optional(Grants),
      }, { additionalProperties: false }),
      response: { 201: Type.Object({ user: User, oneTimePassword: Type.Optional(Type.String()) }), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 409: Type.Ref(ErrorReply) },
    },
  }, async (req, reply) => {
    const b = req.body as { name: string; displayName?: string; password?: string; isAdmin?: boolean; grants?: Grant[] };
    const r = await ctx.auth.createUser({ name: b.name, displayName: b.displayName, password: b.password, isAdmin: b.isAdmin ?? false, grants: b.grants ?? [] });
    req.audit = { target: b.name };
    return reply.status(201).send({ user: view(r.user), ...(r.oneTimePassword ? { oneTimePassword: r.oneTimePassword } : {}) });
  });

  app.patch('/api/v1/users/:id', {
    config: { access: 'admin', audit: 'users.update' },
    schema: {
      tags: ['access'], summary: 'Change a user: display name, system administrator, disabled (ends their sessions; their tokens stop working)',
      params: Id,
      body: Type.Object({ displayName: Type.Optional(Type.Union([Type.String({ maxLength: 200 }), Type.Null()])), isAdmin: Type.Optional(Type.Boolean()), disabled: Type.Optional(Type.Boolean()) }, { additionalProperties: false }),
      response: { 200: User, 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply), 409: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const { id } = req.params as { id: number };
    const b = req.body as { displayName?: string | null; isAdmin?: boolean; disabled?: boolean };
    const u = await one(id);
    await changePower(u, { isAdmin: b.isAdmin, disabled: b.disabled });
    if (b.displayName !== undefined) await ctx.store.access.setDisplayName(id, b.displayName);
    req.audit = { target: u.name };
    return view(await one(id));
  });

  app.put('/api/v1/users/:id/grants', {
    config: { access: 'admin', audit: 'users.grants' },
    schema: {
      tags: ['access'], summary: "Set a user's roles per namespace (replaces them all)",
      params: Id, body: Grants,
      response: { 200: User, 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const { id } = req.params as { id: number };
    const u = await one(id);
    const grants = req.body as Grant[];
    if (new Set(grants.map((g) => g.namespace)).size !== grants.length) throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', 'one role per namespace');
    if (u.source === 'ldap') throw new AuthError('PGFLEET_AUTH_BAD_REQUEST', `${u.name}'s roles come from the directory's groups at each login`);
    await ctx.store.access.setGrants(id, grants);
    req.audit = { target: u.name };
    return view(await one(id));
  });

  app.post('/api/v1/users/:id/password', {
    config: { access: 'admin', audit: 'users.password_reset' },
    schema: {
      tags: ['access'], summary: "Reset a user's password: to the one given, or to a one-time password returned once; either way they choose a new one at their next sign-in, and their sessions end",
      params: Id, body: Type.Object({ password: Type.Optional(Type.String({ maxLength: 1024 })) }, { additionalProperties: false }),
      response: { 200: Type.Object({ oneTimePassword: Type.Optional(Type.String()) }), 400: Type.Ref(ErrorReply), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply) },
    },
  }, async (req) => {
    const { id } = req.params as { id: number };
    const u = await one(id);
    const p = await ctx.auth.setPassword(id, (req.body as { password?: string } | undefined)?.password);
    req.audit = { target: u.name };
    return p ? { oneTimePassword: p } : {};
  });

  app.delete('/api/v1/users/:id', {
    config: { access: 'admin', audit: 'users.delete' },
    schema: { tags: ['access'], summary: 'Delete a user, their sessions and their tokens', params: Id, response: { 204: Type.Null(), 401: Type.Ref(ErrorReply), 403: Type.Ref(ErrorReply), 404: Type.Ref(ErrorReply), 409: Type.Ref(ErrorReply) } },
  }, async (req, reply) => {
    const { id } = req.params as { id: number };
    const u = await one(id);
    await changePower(u, { remove: true });
    req.audit = { target: u.name };
    return reply.status(204).send();
  });
}
