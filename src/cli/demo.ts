import { Type, type Static } from '@sinclair/typebox';
import { sourceUrl } from '../source-url.ts';
import { mkdirSync, chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Agent, InprocTransport } from '../agent/index.ts';
import { commandPublicKey } from '../protocol/index.ts';
import { InprocCommandChannel } from '../server/commands/index.ts';
import { startPostgres, type RunningPostgres } from '../pg-embedded/index.ts';
import { startServer, type RunningServer } from '../server/index.ts';
import type { FieldSpec } from './config.ts';
import { DemoWorkload } from './demo-workload.ts';
import { logLine } from './log.ts';

export const DemoConfig = Type.Object({
  data_dir: Type.String({ default: '.pgfleet/demo' }),
  listen: Type.String({ default: '127.0.0.1:8080', pattern: '^.+:\\d{1,5}$' }),
  interval_s: Type.Integer({ minimum: 1, maximum: 60, default: 5 }),
}, { additionalProperties: false });
export type DemoConfig = Static<typeof DemoConfig>;

export const DEMO_FIELDS: FieldSpec[] = [
  { key: 'data_dir', flag: 'data-dir', env: 'PGFLEET_DEMO_DIR', type: 'string', description: 'where the demo keeps its databases between runs' },
  { key: 'listen', flag: 'listen', env: 'PGFLEET_LISTEN', type: 'string', description: 'host:port of the console (port 0: any free port)' },
  { key: 'interval_s', flag: 'interval-s', type: 'number', description: 'collect every N seconds at most' },
];

/**
 * The whole platform on one machine: an embedded PostgreSQL as the store,
 * a second one as the monitored target with a workload, an agent and the
 * server (api, keeper, worker) in this process, messages handed over in-process.
 */
/**
 * How to sign in to the demo. The first admin's one-time password is kept in the demo's folder
 * (readable by its owner only) until it has been changed, so a restarted demo shows it again.
 */
async function demoSignIn(server: RunningServer, dir: string): Promise<string> {
  const file = join(dir, 'admin-password');
  if (server.firstAdmin) writeFileSync(file, server.firstAdmin.password, { mode: 0o600 });
  const admin = await server.store.access.userByName('admin');
  if (admin?.must_change_password && existsSync(file)) {
    return `  sign in as: admin / ${readFileSync(file, 'utf8').trim()}  (one-time: you choose a new password at the first sign-in)\n`;
  }
  rmSync(file, { force: true });
  return '  sign in as admin with the password you chose\n';
}

export async function runDemo(cfg: DemoConfig): Promise<() => Promise<void>> {
  const dir = resolve(cfg.data_dir);
  mkdirSync(dir, { recursive: true });
  chmodSync(dir, 0o755);
  const stops: { name: string; stop: () => Promise<void> }[] = [];
  // Each part gets a few seconds: one that hangs must not keep the PostgreSQL servers
  // (own process groups, outliving a killed demo) from being stopped after it.
  const stopAll = async () => {
    for (const { name, stop } of stops.reverse()) {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<'late'>((r) => { timer = setTimeout(() => r('late'), 8000); });
      const r = await Promise.race([stop().catch((err) => logLine('warn', `stopping ${name}: ${(err as Error).message}`)), late]);
      clearTimeout(timer);
      if (r === 'late') logLine('warn', `stopping ${name} took more than 8 s; going on`);
    }
  };
  try {
    logLine('info', `starting the store and the target PostgreSQL in ${dir}`);
    const [store, target] = await Promise.all([
      startPostgres({ dataDir: join(dir, 'store'), settings: { synchronous_commit: 'off' } }),
      startPostgres({ dataDir: join(dir, 'target'), settings: { shared_preload_libraries: 'pg_stat_statements', track_io_timing: 'on' } }),
    ]) as [RunningPostgres, RunningPostgres];
    stops.push({ name: 'the store PostgreSQL', stop: () => store.stop() }, { name: 'the target PostgreSQL', stop: () => target.stop() });

    const i = cfg.listen.lastIndexOf(':');
    // Commands go to the demo's agent in this process, signed and checked as over NATS.
    const channel = new InprocCommandChannel();
    const server = await startServer({
      role: 'all', commandChannel: channel, storeUrl: store.url, host: cfg.listen.slice(0, i), port: Number(cfg.listen.slice(i + 1)),
      webDir: fileURLToPath(sourceUrl('../web/dist', import.meta.url, '../')), retentionDays: 7, log: logLine,
    }).catch((err) => {
      if ((err as { code?: string }).code === 'EADDRINUSE') throw new Error(`${cfg.listen} is in use; pick another with --listen 127.0.0.1:<port> (0 for any free port)`);
      throw err;
    });
    stops.push({ name: 'the server', stop: server.stop });

    const workload = new DemoWorkload(target.url);
    await workload.start();
    stops.push({ name: 'the workload', stop: () => workload.stop() });

    const agent = new Agent({
      id: 'agent-demo', namespace: 'demo', node: 'demo-host',
      targets: [{ name: 'demo-1', cluster: 'demo', url: target.url }],
      preset: 'standard', catalogDirs: [], spoolDir: join(dir, 'spool'),
      statementTimeoutMs: 5000, lockTimeoutMs: 1000, maxIntervalS: cfg.interval_s, heartbeatS: 15, nodeMetrics: true,
      transport: new InprocTransport(async (bytes) => { await server.keeper.ingest([{ bytes, source: 'inproc' }]); }, channel.register),
      commandKey: commandPublicKey(await server.commands!.publicKey()),
      log: logLine,
    });
    agent.start();
    stops.push({ name: 'the agent', stop: () => agent.stop() });

    logLine('info', `monitored target: ${target.url} (its database "demo" runs the workload); store: ${store.url}`);
    logLine('info', `pgfleet demo is running: open ${server.url}/ (API docs: ${server.url}/docs); Ctrl-C stops it`);
    process.stdout.write(`\n  pgfleet console: ${server.url}/\n${await demoSignIn(server, dir)}\n`);
  } catch (err) {
    await stopAll();
    throw err;
  }
  return stopAll;
}
