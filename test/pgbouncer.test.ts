/**
 * pgbouncer's pools, statistics and lists, read by the agent through the admin
 * console of a real pgbouncer (Debian's package) in front of a real PostgreSQL.
 */
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { Agent, NoopTransport } from '../src/agent/index.ts';
import { decodeEnvelope, type Envelope, type MetricsData } from '../src/protocol/index.ts';
import { freePort, serverOsUser } from '../src/pg-embedded/index.ts';
import { startTestPostgres, tempDir, waitFor, type TestPostgres } from './harness/index.ts';

const PGBOUNCER = ['/usr/sbin/pgbouncer', '/usr/bin/pgbouncer'].find(existsSync);
const dir = tempDir();
let pg: TestPostgres | undefined;
let bouncer: ChildProcess | undefined;
let agent: Agent | undefined;
after(async () => {
  await agent?.stop();
  bouncer?.kill('SIGTERM');
  await pg?.destroy();
  dir.remove();
});

/** Starts pgbouncer on a free port in front of `pg` (as the postgres OS user when we are root: it refuses root). */
async function startPgbouncer(target: TestPostgres): Promise<{ port: number; proc: ChildProcess }> {
  assert.ok(PGBOUNCER, 'pgbouncer is not installed (Debian: apt-get install -y pgbouncer; .ci/run does it)');
  const port = await freePort();
  writeFileSync(join(dir.path, 'users.txt'), '"postgres" ""\n"stats" ""\n');
  writeFileSync(join(dir.path, 'pgbouncer.ini'), [
    '[databases]', `app = host=127.0.0.1 port=${target.port} dbname=postgres user=postgres`,
    '[pgbouncer]', 'listen_addr = 127.0.0.1', `listen_port = ${port}`, 'unix_socket_dir =',
    'auth_type = trust', `auth_file = ${join(dir.path, 'users.txt')}`, 'admin_users = postgres', 'stats_users = stats',
    'pool_mode = transaction',
    `logfile = ${join(dir.path, 'pgbouncer.log')}`, `pidfile = ${join(dir.path, 'pgbouncer.pid')}`, '',
  ].join('\n'));
  const owner = serverOsUser();
  if (owner) execFileSync('chown', ['-R', `${owner.uid}:${owner.gid}`, dir.path]);
  const proc = spawn(PGBOUNCER!, [join(dir.path, 'pgbouncer.ini')], { stdio: 'ignore', ...(owner ? { uid: owner.uid, gid: owner.gid } : {}) });
  await waitFor('pgbouncer to accept connections', async () => {
    const sql = postgres(`postgres://stats@127.0.0.1:${port}/pgbouncer`, { max: 1, fetch_types: false, prepare: false, connect_timeout: 2, onnotice: () => {} });
    try { await sql.unsafe('SHOW VERSION').simple(); return true; } catch { return false; } finally { await sql.end({ timeout: 1 }); }
  }, 15_000);
  return { port, proc };
}

const point = (envs: Envelope[], name: string, labels: Record<string, string> = {}) => {
  for (const e of [...envs].reverse()) {
    if (e.type !== 'metrics') continue;
    const f = (e.data as MetricsData).metrics.find((m) => m.name === name);
    const p = f?.points.find((x) => Object.entries(labels).every(([k, v]) => x.l?.[k] === v));
    if (p) return p;
  }
  return undefined;
};

test('the agent reports pgbouncer pools, stats and lists, and pgbouncer.up = 0 when it stops', async () => {
  pg = await startTestPostgres(16);
  const { port, proc } = await startPgbouncer(pg);
  bouncer = proc;
  const seen: Envelope[] = [];
  agent = new Agent({
    id: 'agent-bouncer', namespace: 'default', node: 'bouncer-host', targets: [], preset: 'minimal', catalogDirs: [],
    pgbouncers: [{ name: 'bouncer-1', url: `postgres://stats@127.0.0.1:${port}/pgbouncer` }],
    spoolDir: join(dir.path, 'spool'), statementTimeoutMs: 2000, lockTimeoutMs: 500, maxIntervalS: 1, heartbeatS: 60, nodeMetrics: false,
    transport: new NoopTransport((b) => seen.push(decodeEnvelope(b))),
  });
  agent.start();
  // Traffic through the pool: 25 transactions, and one client holding a server connection.
  const app = postgres(`postgres://postgres@127.0.0.1:${port}/app`, { max: 2, prepare: false, fetch_types: false, onnotice: () => {} });
  for (let i = 0; i < 25; i++) await app.unsafe(`SELECT ${i}`);
  const holding = app.begin(async (tx) => { await tx.unsafe('SELECT pg_sleep(3)'); });
  const active = await waitFor('cl_active of app', () => {
    const p = point(seen, 'pgbouncer.pools.sv_active', { pgbouncer: 'bouncer-1', database: 'app', user: 'postgres' });
    return p && p.v >= 1 ? p : undefined;
  }, 20_000);
  assert.equal(active.l?.pool_mode, 'transaction');
  await holding;
  const xacts = await waitFor('total_xact_count of app', () => {
    const p = point(seen, 'pgbouncer.stats.total_xact_count', { database: 'app' });
    return p && p.v >= 26 ? p : undefined;
  }, 20_000);
  assert.ok(xacts.v >= 26, `${xacts.v} transactions`);
  assert.equal(point(seen, 'pgbouncer.up', { pgbouncer: 'bouncer-1' })?.v, 1);
  assert.ok(point(seen, 'pgbouncer.lists.items', { list: 'databases' })!.v >= 1);
  const stats = seen.filter((e) => e.type === 'metrics' && (e.data as MetricsData).collector === 'pgbouncer');
  assert.ok(stats.every((e) => e.instance === undefined && (e.data as MetricsData).node === 'bouncer-host'), 'node-level metrics of the host');
  await app.end({ timeout: 1 });

  proc.kill('SIGTERM');
  await waitFor('pgbouncer.up = 0', () => point(seen, 'pgbouncer.up', { pgbouncer: 'bouncer-1' })?.v === 0, 20_000);
});
