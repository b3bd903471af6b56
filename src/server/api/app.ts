import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fastifyStatic from '@fastify/static';
import { existsSync } from 'node:fs';
import type { ApiContext } from './context.ts';
import { installErrorHandler } from './errors.ts';
import { CollectorState, ErrorReply, Instance } from './schemas.ts';
import catalogRoutes from './routes/catalog.ts';
import healthRoutes from './routes/health.ts';
import ingestRoutes from './routes/ingest.ts';
import instancesRoutes from './routes/instances.ts';
import liveRoutes from './routes/live.ts';
import metricsRoutes from './routes/metrics.ts';
import objectsRoutes from './routes/objects.ts';
import seriesRoutes from './routes/series.ts';
import settingsRoutes from './routes/settings.ts';
import explainRoutes from './routes/explain.ts';
import advisorRoutes from './routes/advisor.ts';
import topologyRoutes from './routes/topology.ts';
import statementsRoutes from './routes/statements.ts';
import storeRoutes from './routes/store.ts';
import authRoutes, { Me } from './routes/auth.ts';
import usersRoutes from './routes/users.ts';
import tokensRoutes from './routes/tokens.ts';
import agentsRoutes from './routes/agents.ts';
import actionsRoutes, { CommandView } from './routes/actions.ts';
import tasksRoutes from './routes/tasks.ts';
import anonRoutes, { AnonJobView } from './routes/anon.ts';
import { installAccess } from './access.ts';

export interface ApiOptions {
  /** Folder of the built console (web/dist); the console is not served when absent. */
  webDir?: string;
  logger?: FastifyServerOptions['logger'];
  /** Reverse proxies whose X-Forwarded-For to believe (req.ip: the sign-in limits, the audit log). */
  trustProxy?: string[];
  /** PEM certificate and key: serve HTTPS. */
  tls?: { cert: Buffer; key: Buffer };
}

/** Builds the Fastify app: OpenAPI document and Swagger UI at /docs, the v1 routes, the console. */
export async function buildApi(ctx: ApiContext, opts: ApiOptions = {}): Promise<FastifyInstance> {
  const app = Fastify({
    logger: opts.logger ?? false,
    ajv: { customOptions: { coerceTypes: true, removeAdditional: false, allErrors: false } },
    ...(opts.trustProxy?.length ? { trustProxy: opts.trustProxy } : {}),
    ...(opts.tls ? { https: { cert: opts.tls.cert, key: opts.tls.key } } : {}),
  }) as unknown as FastifyInstance;
  installErrorHandler(app);
  // PostgreSQL text cannot hold a NUL character: refuse it in any parameter up front.
  app.addHook('onRequest', async (req, reply) => {
    if (/%00/i.test(req.url)) {
      return reply.status(400).send({ statusCode: 400, code: 'PGFLEET_API_BAD_PARAM', error: 'Bad Request', message: 'parameters must not contain the NUL character (%00)' });
    }
  });
  app.addSchema(ErrorReply);
  app.addSchema(Instance);
  app.addSchema(CollectorState);
  app.addSchema(Me);
  app.addSchema(CommandView);
  app.addSchema(AnonJobView);
  // Before any route: each must declare who may call it, and every request goes through the checks.
  installAccess(app, { auth: ctx.auth, store: ctx.store, secureCookies: ctx.secureCookies, onAuditError: (err) => app.log.error({ err }, 'audit entry not written') });
  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      components: {
        securitySchemes: {
          session: { type: 'apiKey', in: 'cookie', name: 'pgfleet_session', description: 'console session (changes also need the X-CSRF-Token header)' },
          token: { type: 'http', scheme: 'bearer', description: 'API token: pgf_…' },
        },
      },
      security: [{ session: [] }, { token: [] }],
      info: { title: 'pgfleet API', version: ctx.version, description: 'Monitor and manage a fleet of PostgreSQL instances. See docs/api.md.' },
      tags: [
        { name: 'inventory', description: 'Instances, clusters, nodes' },
        { name: 'series', description: 'Time series' },
        { name: 'catalog', description: 'Metric catalog' },
        { name: 'ingest', description: 'Agent messages over HTTPS' },
        { name: 'live', description: 'Push of committed updates' },
        { name: 'queries', description: 'Query statistics from pg_stat_statements' },
        { name: 'activity', description: 'Sampled sessions: wait events and active time' },
        { name: 'store', description: "The store's own size, growth and forecast" },
        { name: 'health', description: 'Server health' },
        { name: 'objects', description: 'Tables and indexes' },
        { name: 'settings', description: 'Server settings and their changes over time' },
        { name: 'explain', description: 'EXPLAIN plans: time per node and hints' },
        { name: 'advisor', description: 'Configuration recommendations (pgfleet tune)' },
        { name: 'topology', description: 'Clusters: who streams from whom, lag, slots, role changes' },
        { name: 'prometheus', description: 'The fleet as a Prometheus scrape target' },
        { name: 'actions', description: 'Actions on instances through their agents: signed commands, checked by the agent, audited' },
        { name: 'tasks', description: 'Scheduled tasks (run by the agents) and saved scripts' },
        { name: 'anon', description: 'Anonymization: scans for personal data and masked copies of databases, run by the server' },
        { name: 'access', description: 'Sign-in, users, roles per namespace, API tokens, the audit log' },
      ],
    },
    refResolver: { buildLocalReference: (json, _base, _frag, i) => (json.$id as string) ?? `def-${i}` },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });
  await app.register(healthRoutes, ctx);
  await app.register(instancesRoutes, ctx);
  await app.register(seriesRoutes, ctx);
  await app.register(statementsRoutes, ctx);
  await app.register(catalogRoutes, ctx);
  await app.register(storeRoutes, ctx);
  await app.register(liveRoutes, ctx);
  await app.register(metricsRoutes, ctx);
  await app.register(objectsRoutes, ctx);
  await app.register(actionsRoutes, ctx);
  await app.register(tasksRoutes, ctx);
  await app.register(anonRoutes, ctx);
  await app.register(settingsRoutes, ctx);
  await app.register(explainRoutes, ctx);
  await app.register(advisorRoutes, ctx);
  await app.register(topologyRoutes, ctx);
  await app.register(ingestRoutes, ctx);
  await app.register(authRoutes, ctx);
  await app.register(usersRoutes, ctx);
  await app.register(tokensRoutes, ctx);
  await app.register(agentsRoutes, ctx);

  const webDir = opts.webDir;
  if (webDir && existsSync(webDir)) {
    // wildcard: files are looked up per request, so a rebuilt console is served without a restart.
    await app.register(fastifyStatic, { root: webDir, wildcard: true, index: ['index.html'] });
    // The console routes on the client: any other GET that is not API gets index.html.
    app.setNotFoundHandler((req, reply) => {
      const path = req.url.split('?')[0];
      // Pages of the console get index.html; a missing file (a name with an extension) is a 404.
      const isPage = !path.startsWith('/api/') && path !== '/api' && !path.startsWith('/docs') && !/\.[A-Za-z0-9]+$/.test(path);
      if ((req.method === 'GET' || req.method === 'HEAD') && isPage) return reply.sendFile('index.html');
      reply.status(404).send({ statusCode: 404, code: 'PGFLEET_API_NOT_FOUND', error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });
  } else {
    app.setNotFoundHandler((req, reply) => {
      reply.status(404).send({ statusCode: 404, code: 'PGFLEET_API_NOT_FOUND', error: 'Not Found', message: `no route ${req.method} ${req.url.split('?')[0]}` });
    });
  }
  return app;
}
