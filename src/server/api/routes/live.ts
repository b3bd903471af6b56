import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { ApiContext } from '../context.ts';
import type { LiveUpdate } from '../../keeper/index.ts';

/** Server-Sent Events: one `update` event per committed change, so the console refetches what it shows. */
export default async function liveRoutes(app: FastifyInstance, ctx: ApiContext): Promise<void> {
  // Streams never end on their own: close them when the server stops, or it would wait for every client.
  const open = new Set<ServerResponse>();
  app.addHook('preClose', async () => {
    for (const res of open) res.end();
    open.clear();
  });
  app.get('/api/v1/live', {
    schema: { tags: ['live'], summary: 'Server-Sent Events stream of committed updates (event name: update)' },
  }, (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive', 'x-accel-buffering': 'no' });
    res.write('retry: 3000\n\n');
    const onUpdate = (u: LiveUpdate) => res.write(`event: update\ndata: ${JSON.stringify(u)}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    ctx.live.on('update', onUpdate);
    open.add(res);
    req.raw.on('close', () => {
      clearInterval(keepAlive);
      ctx.live.off('update', onUpdate);
      open.delete(res);
    });
  });
}
