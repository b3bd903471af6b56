import type { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import type { FastifyInstance, FastifyServerOptions } from 'fastify';
import { loadCatalog, metricDefs } from '../catalog/index.ts';
import { openStore, type Store } from '../store/index.ts';
import { buildApi } from './api/app.ts';
import { InstancesService } from './api/instances-service.ts';
import { ObjectsService } from './api/objects-service.ts';
import { TopologyService } from './api/topology-service.ts';
import { SeriesService } from './api/series-service.ts';
import { DEFAULT_ROUTES, ensureIngestStream, Keeper, LiveReceiver, NatsSource, StoreReceiver, type Routes } from './keeper/index.ts';
import { startLiveHub } from './live/index.ts';
import { Worker } from './worker/index.ts';
import { AgentAuth, AuthService, type Directory } from './auth/index.ts';
import { AnonJobService } from './anon/index.ts';
import { CommandService, NatsCommandChannel, NoopCommandChannel, type CommandChannel } from './commands/index.ts';

export const SERVER_VERSION = '0.1.0';
export const SERVER_ROLES = ['all', 'api', 'keeper', 'worker'] as const;
export type ServerRole = (typeof SERVER_ROLES)[number];

export interface ServerOptions {
  role: ServerRole;
  storeUrl: string;
  /** NATS servers; without them the keeper takes input only over HTTP and in-process. */
  natsServers?: string[];
  host: string;
  port: number;
  webDir?: string;
  retentionDays: number;
  rollup1mDays?: number;
  rollup1hDays?: number;
  catalogDirs?: string[];
  routes?: Routes;
  ackWaitS?: number;
  /** A consumer that delivers nothing this long while messages wait for it is created again (NatsSourceOptions.stallMs); 0: never. */
  consumerStallS?: number;
  /** Fastify's request log: true (stdout), or options such as { level, stream }. */
  logger?: FastifyServerOptions['logger'];
  /** When set, HTTPS ingest requires this bearer token. */
  ingestToken?: string;
  /** PEM files: the API (and HTTPS ingest) speaks TLS. */
  tls?: { certFile: string; keyFile: string };
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
  /** A directory (LDAP) that checks passwords and gives roles from groups. */
  directory?: Directory;
  /** The keeper's NKEY seed (SU…) for a NATS with pgfleet's generated authorization. */
  natsNkeySeed?: string;
  /** PEM file of the CA of the NATS servers' certificates: the keeper connects with TLS, verified. */
  natsCaFile?: string;
  /** Reverse proxies (addresses, CIDRs) whose X-Forwarded-For gives the client's address. */
  trustProxy?: string[];
  /** How commands reach agents (default: NATS request/reply when NATS is given, else only agents' HTTPS polls); the demo passes an in-process one. */
  commandChannel?: CommandChannel;
  /** The worker advises every instance this often (default 6 h). */
  advisorEveryMs?: number;
  /** Session cookies carry Secure (default: when the API speaks TLS; set it behind a TLS proxy). */
  secureCookies?: boolean;
}

export interface RunningServer {
  store: Store;
  keeper: Keeper;
  app?: FastifyInstance;
  /** http://host:port when the api role runs. */
  url?: string;
  worker?: Worker;
  live?: EventEmitter;
  /** Signs and delivers commands (api role). */
  commands?: CommandService;
  /** On a store without users: the first admin and its one-time password, to be shown once. */
  firstAdmin?: { name: string; password: string };
  stop(): Promise<void>;
}

/** Starts the roles asked for in one process; `all` runs api, keeper and worker together. */
export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const log = opts.log ?? (() => {});
  const has = (r: ServerRole) => opts.role === 'all' || opts.role === r;
  const store = await openStore(opts.storeUrl).catch((err: Error) => {
    throw new Error(`cannot open the store ${describeStore(opts.storeUrl)}: ${err.message}`, { cause: err });
  });
  const o = store.sql.options as unknown as { host: string[]; port: number[]; database: string; user: string };
  log('info', `store: ${o.user}@${o.host.join(',')}:${o.port.join(',')}/${o.database}${opts.storeUrl ? '' : ' (from PG* variables and libpq defaults: give --store to choose)'}`);
  const collectors = loadCatalog(opts.catalogDirs ?? []);
  const metrics = new Map(metricDefs(collectors).map((m) => [m.name, m]));
  const keeper = new Keeper(store, {
    routes: opts.routes ?? DEFAULT_ROUTES,
    receivers: [new StoreReceiver(store), new LiveReceiver()],
    maxAgeMs: opts.retentionDays * 86_400_000,
  });
  const stops: (() => Promise<void>)[] = [];
  const running: RunningServer = { store, keeper, stop: async () => {
    for (const s of stops.reverse()) await s().catch((err) => log('warn', `stopping: ${(err as Error).message}`));
    await store.close();
  } };
  try {
    if (has('worker')) {
      const worker = new Worker(store, {
        retentionDays: opts.retentionDays, rollup1mDays: opts.rollup1mDays, rollup1hDays: opts.rollup1hDays, log,
        advisor: { source: { store, series: new SeriesService(store, metrics) }, everyMs: opts.advisorEveryMs },
      });
      worker.start();
      running.worker = worker;
      stops.push(() => worker.stop());
    }
    if (has('keeper') && opts.natsServers?.length) {
      const nc = await connectNats(opts, opts.natsServers, 'pgfleet-keeper');
      await ensureIngestStream(nc, { ackWaitS: opts.ackWaitS });
      const source = new NatsSource(nc, keeper, {
        stream: { ackWaitS: opts.ackWaitS }, stallMs: opts.consumerStallS === undefined ? undefined : opts.consumerStallS * 1000,
        onError: (err) => log('warn', `ingest batch failed, will be redelivered: ${(err as Error).message}`),
        onStall: (message) => log('warn', message),
      });
      await source.start();
      stops.push(async () => {
        await source.stop();
        await nc.drain().catch(() => nc.close());
        const s = keeper.stats;
        log('info', `keeper stopped: ${s.accepted} messages stored in ${s.batches} batches, ${s.duplicates} duplicates, ${s.dead} dead letters, ${s.failures} failed batches, ${source.consumerResets} stalled consumers created again`);
      });
    }
    if (has('api')) {
      const liveHub = await startLiveHub(store);
      stops.push(liveHub.stop);
      let channel = opts.commandChannel;
      if (!channel && opts.natsServers?.length) {
        const nc = await connectNats(opts, opts.natsServers, 'pgfleet-api');
        stops.push(async () => { await nc.drain().catch(() => nc.close()); });
        channel = new NatsCommandChannel(nc);
      }
      const commands = new CommandService(store, channel ?? new NoopCommandChannel(), { log });
      commands.start();
      stops.push(() => commands.stop());
      running.commands = commands;
      const anonJobs = new AnonJobService(store, log, opts.storeUrl);
      stops.push(() => anonJobs.stop());
      const series = new SeriesService(store, metrics);
      const auth = new AuthService(store, { directory: opts.directory });
      running.firstAdmin = await auth.bootstrap();
      const app = await buildApi({
        auth, agentAuth: new AgentAuth(store), secureCookies: opts.secureCookies ?? opts.tls !== undefined,
        version: SERVER_VERSION, store, keeper,
        keeperCheck: (envs, now = Date.now()) => Keeper.check(envs.map((envelope) => ({ envelope, source: 'http' })), now, { maxAgeMs: opts.retentionDays * 86_400_000 }),
        series, instances: new InstancesService(store, series), objects: new ObjectsService(store, series), topology: new TopologyService(store), collectors, metrics, live: liveHub.hub,
        ingestToken: opts.ingestToken || undefined, commands, anonJobs,
      }, {
        webDir: opts.webDir, logger: opts.logger, trustProxy: opts.trustProxy,
        tls: opts.tls ? { cert: readFileSync(opts.tls.certFile), key: readFileSync(opts.tls.keyFile) } : undefined,
      });
      await app.listen({ host: opts.host, port: opts.port });
      const addr = app.server.address();
      const port = typeof addr === 'object' && addr ? addr.port : opts.port;
      running.app = app;
      running.live = liveHub.hub;
      running.url = `${opts.tls ? 'https' : 'http'}://${opts.host.includes(':') ? `[${opts.host}]` : opts.host}:${port}`;
      stops.push(() => app.close());
    }
  } catch (err) {
    await running.stop();
    throw err;
  }
  return running;
}

/** A connection to NATS as the server: its NKEY, TLS when asked for, reconnecting for ever. */
function connectNats(opts: ServerOptions, servers: string[], name: string): Promise<NatsConnection> {
  return connect({
    servers, name, reconnect: true, maxReconnectAttempts: -1, reconnectTimeWait: 500,
    ...(opts.natsNkeySeed ? { authenticator: nkeyAuthenticator(new TextEncoder().encode(opts.natsNkeySeed)) } : {}),
    ...(opts.natsCaFile ? { tls: { caFile: opts.natsCaFile } } : servers.some((u) => u.startsWith('tls://')) ? { tls: {} } : {}),
  });
}

/** The store URI without its password, for messages. */
function describeStore(url: string): string {
  if (!url) return '(PG* variables and libpq defaults)';
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return '(an unparsable URI)';
  }
}
