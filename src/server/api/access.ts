// Every API route declares who may call it (config.access); this file enforces it for all of them:
// who is asking (session cookie or bearer token), whether they may, CSRF on console changes, and
// the audit entry of every change.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AuthError, can, isSystemAdmin, type AgentIdentity, type AuthService, type Principal } from '../auth/index.ts';
import type { NamespaceRole, Store } from '../../store/index.ts';
import { redactUri } from '../../anon-db/index.ts';

/**
 * Who may call a route:
 * - `public`: anyone (health, sign-in, the documentation);
 * - `agent`: agents, with their own credential (ingest);
 * - `user`: anyone signed in;
 * - `admin`: system administrators;
 * - `{ role, instance | namespace }`: that role in the namespace of the instance or namespace named
 *   by the request (`params.id`, `query.instance`, `body.instance`, `params.namespace`);
 * - `{ role, list: true }`: signed in; the route shows only what the caller's namespaces hold.
 */
export type RouteAccess = 'public' | 'agent' | 'user' | 'admin'
  | { role: NamespaceRole; instance: 'params.id' | 'query.instance' | 'body.instance' }
  | { role: NamespaceRole; namespace: 'params.namespace' }
  | { role: NamespaceRole; list: true };

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
    /** The audit log's name for a change (default `METHOD /route`); false: not a change (a POST that only reads). */
    audit?: string | false;
    /** Allowed while the user must still choose a new password. */
    duringPasswordChange?: boolean;
  }
  interface FastifyRequest {
    principal?: Principal;
    /** HTTPS ingest with an agent's own credential: the agent and namespace every envelope must be of. */
    agentIdentity?: AgentIdentity;
    /** Set by a route: what its audit entry says beyond the route (target, namespace, detail, actor of a sign-in). */
    audit?: { target?: string; namespace?: string; detail?: Record<string, unknown>; actor?: string };
  }
}

export const SESSION_COOKIE = 'pgfleet_session';
export const CSRF_COOKIE = 'pgfleet_csrf';
const CHANGES = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** Routes outside the API (documentation, console files) need no declaration. */
const needsDeclaration = (url: string) => url.startsWith('/api/') || url === '/metrics';

export function cookieOf(req: FastifyRequest, name: string): string | undefined {
  const header = req.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) {
      // A malformed value is no session (and no reason for a 500).
      try { return decodeURIComponent(part.slice(eq + 1).trim()); } catch { return undefined; }
    }
  }
  return undefined;
}

/** Keys whose values never go to the audit log (routes whose bodies are all secret set their own detail). */
const SECRET_KEY = /pass|secret|token|key|credential|current|next/i;

function withoutSecrets(v: unknown, depth = 0): unknown {
  if (typeof v === 'string') {
    // A connection URI's password (anonymization jobs' sources and targets) is a secret too.
    const s = redactUri(v);
    return s.length > 200 ? `${s.slice(0, 200)}…` : s;
  }
  if (v === null || typeof v !== 'object') return v;
  if (depth > 4) return '(truncated)';
  if (Array.isArray(v)) return v.slice(0, 20).map((x) => withoutSecrets(x, depth + 1));
  return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, SECRET_KEY.test(k) ? '(hidden)' : withoutSecrets(x, depth + 1)]));
}

/** Installs authentication, authorization and auditing on every route registered after it. */
export function installAccess(app: FastifyInstance, deps: { auth: AuthService; store: Store; secureCookies: boolean; onAuditError?: (err: Error) => void }): void {
  const { auth, store } = deps;
  app.addHook('onRoute', (route) => {
    if (needsDeclaration(route.url) && route.config?.access === undefined) {
      throw new Error(`route ${String(route.method)} ${route.url} declares no access (config.access): every API route must say who may call it`);
    }
  });

  app.decorateRequest('principal', undefined);
  app.decorateRequest('audit', undefined);
  app.decorateRequest('agentIdentity', undefined);

  // Who is asking (a bearer token, else the console's session cookie), and the checks that need no
  // body: before parsing, so a caller who may not call a route learns nothing from its validation.
  app.addHook('onRequest', async (req) => {
    const access = req.routeOptions.config?.access;
    if (access === undefined || access === 'agent') return;
    const authz = req.headers.authorization;
    if (authz?.startsWith('Bearer ')) {
      req.principal = await auth.fromToken(authz.slice(7).trim());
      if (!req.principal && access !== 'public') throw new AuthError('PGFLEET_AUTH_REQUIRED', 'the API token is unknown, expired or revoked');
    } else {
      const sid = cookieOf(req, SESSION_COOKIE);
      if (sid) req.principal = await auth.fromSession(sid);
    }
    if (access === 'public') return;
    const p = req.principal;
    if (!p) throw new AuthError('PGFLEET_AUTH_REQUIRED', 'sign in first (POST /api/v1/auth/login) or send an API token (Authorization: Bearer …)');
    if (p.kind === 'user' && CHANGES.has(req.method) && req.headers['x-csrf-token'] !== p.csrf) {
      throw new AuthError('PGFLEET_AUTH_CSRF', 'a change from a console session needs the X-CSRF-Token header (the pgfleet_csrf cookie\'s value)');
    }
    if (p.mustChangePassword && !req.routeOptions.config.duringPasswordChange) {
      throw new AuthError('PGFLEET_AUTH_PASSWORD_CHANGE', 'choose a new password first (POST /api/v1/auth/password)');
    }
    if (access === 'admin' && !isSystemAdmin(p)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', 'only a system administrator may do this');
  });

  // The role in the namespace of the instance or namespace the request names: after validation, when they are known.
  app.addHook('preHandler', async (req) => {
    const access = req.routeOptions.config?.access;
    if (access === undefined || typeof access === 'string' || 'list' in access) return;
    const p = req.principal!;
    const namespace = 'namespace' in access ? (req.params as Record<string, string>).namespace : await namespaceOfInstance(req, access.instance);
    // An unknown instance: the route answers 404 (an absent optional one: nothing to check).
    if (namespace === undefined) return;
    // The message names neither the namespace nor whether it exists beyond what the caller asked.
    if (!can(p, access.role, namespace)) throw new AuthError('PGFLEET_AUTH_FORBIDDEN', `you need the ${access.role} role in this ${'namespace' in access ? 'namespace' : "instance's namespace"}`);
    req.audit = { ...req.audit, namespace };
  });

  async function namespaceOfInstance(req: FastifyRequest, where: 'params.id' | 'query.instance' | 'body.instance'): Promise<string | undefined> {
    const [part, key] = where.split('.') as ['params' | 'query' | 'body', string];
    const name = (req[part] as Record<string, unknown> | undefined)?.[key];
    if (typeof name !== 'string') return undefined;
    return (await store.inventory.getInstance(name))?.namespace;
  }

  // Every change, allowed or not, goes to the audit log before the answer leaves: a caller who
  // has the answer can find it in the log.
  app.addHook('onSend', async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    const config = req.routeOptions.config;
    if (!CHANGES.has(req.method) || config?.access === undefined || config.audit === false || !needsDeclaration(req.routeOptions.url ?? '')) return payload;
    const p = req.principal;
    const status = reply.statusCode;
    const body = req.body && typeof req.body === 'object' && !Buffer.isBuffer(req.body) ? withoutSecrets(req.body) as Record<string, unknown> : undefined;
    const params = req.params && Object.keys(req.params as object).length ? req.params as Record<string, unknown> : undefined;
    await store.audit.append({
      actor: req.audit?.actor ?? (p ? (p.kind === 'token' ? `${p.name} (token ${p.tokenPrefix})` : p.name) : 'anonymous'),
      actorKind: req.audit?.actor ? 'anonymous' : p ? p.kind === 'token' ? 'token' : 'user' : 'anonymous',
      ip: req.ip,
      action: config.audit ?? `${req.method} ${req.routeOptions.url}`,
      target: req.audit?.target ?? (params ? Object.values(params).join('/') : null),
      namespace: req.audit?.namespace ?? null,
      detail: req.audit?.detail ?? (body || params ? { ...(params ? { params } : {}), ...(body ? { body } : {}) } : null),
      result: status < 400 ? 'ok' : status === 401 || status === 403 || status === 429 ? 'denied' : 'failed',
      status,
    }).catch((err: Error) => deps.onAuditError?.(err));
    return payload;
  });
}

/** Session and CSRF cookies: the session's is httpOnly; the CSRF value is read by the console. */
export function sessionCookies(sessionId: string, csrf: string, secure: boolean, maxAgeS: number): string[] {
  const common = `Path=/; SameSite=Strict; Max-Age=${maxAgeS}${secure ? '; Secure' : ''}`;
  return [`${SESSION_COOKIE}=${sessionId}; HttpOnly; ${common}`, `${CSRF_COOKIE}=${csrf}; ${common}`];
}

export function clearedCookies(secure: boolean): string[] {
  return sessionCookies('', '', secure, 0);
}
