import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { can, isSystemAdmin, type Principal } from '../../auth/index.ts';
import type { ApiContext } from '../context.ts';
import { cookieOf, SESSION_COOKIE } from '../access.ts';
import type { LiveUpdate } from '../../keeper/index.ts';

/** Server-Sent Events: one `update` event per committed change, so the console refetches what it shows. */
export default async function liveRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // Streams never end on their own: close them when the server stops, or it would wait for every client.
  // Each open stream with what ends it: its timer and listener too, so a stopping server holds nothing.
  const open = new Map<ServerResponse, () => void>();
  app.addHook('preClose', async () => {
    for (const end of [...open.values()]) end();
    open.clear();
  });
  // Which namespaces each instance and agent serves: an update goes only to those who may see one of them.
  let owners = new Map<string, Set<string>>();
  let loadedAt = 0;
  let loading: Promise<void> | undefined;
  const load = () => (loading ??= (async () => {
    const rows = await ctx.store.inventory.instanceOwners();
    const next = new Map<string, Set<string>>();
    const add = (k: string, ns: string) => { const set = next.get(k); if (set) set.add(ns); else next.set(k, new Set([ns])); };
    for (const r of rows) { add(`i:${r.name}`, r.namespace); if (r.agent) add(`a:${r.agent}`, r.namespace); }
    owners = next;
    loadedAt = Date.now();
  })().finally(() => { loading = undefined; }));
  const visible = async (p: Principal, u: LiveUpdate): Promise<boolean> => {
    if (isSystemAdmin(p)) return true;
    const key = u.instance !== undefined ? `i:${u.instance}` : `a:${u.agent}`;
    // A new instance or agent: read the inventory again (at most every 2 s).
    if (!owners.has(key) && Date.now() - loadedAt > 2000) await load().catch(() => {});
    for (const ns of owners.get(key) ?? []) if (can(p, 'viewer', ns)) return true;
    return false;
  };

  app.get('/api/v1/live', {
    config: { access: { role: 'viewer', list: true } },
    schema: { tags: ['live'], summary: 'Server-Sent Events stream of committed updates (event name: update)' },
  }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 3000\n\n');
    let p = req.principal!;
    const onUpdate = (u: LiveUpdate) => {
      visible(p, u).then((ok) => { if (ok && !res.writableEnded) res.write(`event: update\ndata: ${JSON.stringify(u)}\n\n`); }, () => {});
    };
    // A stream lasts: every 15 s the session or token it opened with is checked again (revoked, disabled,
    // signed out, roles changed), and the stream ends when it no longer holds.
    const authz = req.headers.authorization;
    const sid = cookieOf(req, SESSION_COOKIE);
    const end = () => {
      clearInterval(keepAlive);
      ctx.live.off('update', onUpdate);
      open.delete(res);
      if (!res.writableEnded) res.end();
    };
    const keepAlive = setInterval(() => {
      if (res.writableEnded) { end(); return; }
      const again = authz?.startsWith('Bearer ') ? ctx.auth.fromToken(authz.slice(7).trim()) : sid ? ctx.auth.fromSession(sid, false) : Promise.resolve(undefined);
      again.then((now) => {
        if (res.writableEnded) return;
        if (!now || now.mustChangePassword) { end(); return; }
        p = now;
        res.write(': keep-alive\n\n');
      }, () => { if (!res.writableEnded) res.write(': keep-alive\n\n'); });
      // The inventory's namespaces are read again a minute after the last read (an instance can move).
      if (Date.now() - loadedAt > 60_000) load().catch(() => {});
    }, 15_000);
    ctx.live.on('update', onUpdate);
    open.set(res, end);
    req.raw.on('close', end);
  });
}
