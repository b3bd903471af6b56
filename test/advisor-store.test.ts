// The advisor's workload rules fed from what pgfleet collected: an agent streams a PostgreSQL 16
// instance's statistics to the store while it spills sorts to disk, writes past max_wal_size and
// leaves dead tuples; POST /api/v1/advisor with the instance then cites those measurements.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpus, totalmem } from 'node:os';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startInprocAgent, startTestPostgres, tempDir, waitFor, type TestPostgres, adminFetch } from './harness/index.ts';

const dir = tempDir();
let store: TestPostgres | undefined;
let target: TestPostgres | undefined;
let server: RunningServer | undefined;
let agent: Agent | undefined;
let sql: postgres.Sql | undefined;
after(async () => {
  await agent?.stop();
  await server?.stop();
  await sql?.end({ timeout: 1 });
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

interface Advice {
  recommendations: { name: string; recommended: string; reason: string; current: string | null }[];
  roles: { role: string; database: string; settings: Record<string, string>; reason: string }[];
  tables: { table: string; reason: string }[];
}

test('POST /api/v1/advisor with an instance reads its measured workload from the store', async () => {
  [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(16, { shared_preload_libraries: 'pg_stat_statements', work_mem: '64kB', max_wal_size: '32MB', checkpoint_timeout: '1h' })]);
  sql = postgres(target.url, { max: 1, onnotice: () => {} });
  await sql`create extension pg_stat_statements`;
  await sql`create table dead (id int, pad text) with (autovacuum_enabled = false)`;
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
  agent = startInprocAgent(server, dir.path, { id: 'agent-adv', namespace: 'prod', node: 'adv-host', statementsIntervalS: 1, nodeMetrics: true, targets: [{ name: 'adv-1', cluster: 'adv', url: target.url }] });
  // The counters' first samples are the baseline the increases are measured from.
  const points = async (metric: string) => ((await (await adminFetch(server!, `/api/v1/series?instance=adv-1&metric=${metric}&from=now-10m`)).json()) as { series: { points: [number, number | null][] }[] })
    .series.reduce((n, s) => n + s.points.filter(([, v]) => v !== null).length, 0);
  await waitFor('first samples of adv-1', async () => (await points('pg_stat_database.temp_bytes')) > 0 && (await points('pg_checkpointer.checkpoints_req')) > 0, 60_000);

  for (let i = 0; i < 3; i++) await sql`select count(*) from (select g, md5(g::text) as h from generate_series(1, 200000) g order by h) s`;
  await sql`create table burst as select g, repeat('x', 500) as pad from generate_series(1, 300000) g`;
  await sql`insert into dead select g, repeat('z', 50) from generate_series(1, 100000) g`;
  await sql`delete from dead where id % 2 = 0`;

  const ask = async () => {
    const res = await adminFetch(server!, `/api/v1/advisor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cpus: 2, ram: '4GB', disk: 'ssd', workload: 'oltp', instance: 'adv-1', workloadDays: 1 }) });
    assert.equal(res.status, 200);
    return ((await res.json()) as { advice: Advice }).advice;
  };
  // Statements every second, tables every second in this agent (5 min by default): poll until all three show.
  const advice = await waitFor('the measured workload in the advice', async () => {
    const a = await ask();
    const wal = a.recommendations.find((r) => r.name === 'max_wal_size')!;
    return a.roles.length > 0 && /checkpoints were requested/.test(wal.reason) && a.tables.some((t) => t.table === 'public.dead') ? a : undefined;
  }, 90_000, 1000);
  const role = advice.roles[0];
  assert.equal(role.database, 'postgres');
  assert.match(role.reason, /pg_stat_statements: query -?\d+ \(select count\(\*\) from \(select g, md5.*\) wrote \d+(\.\d+)? MB of temporary files over 3 calls/);
  const wal = advice.recommendations.find((r) => r.name === 'max_wal_size')!;
  assert.equal(wal.current, '32MB');
  assert.match(wal.reason, /^\d+ of \d+ checkpoints were requested \(WAL reached max_wal_size, 32 MB\)/);
  assert.match(advice.tables.find((t) => t.table === 'public.dead')!.reason, /^50000 dead tuples against 50000 live/);
  // Without CPUs and RAM, the instance's node metrics say what the machine has (this machine's /proc).
  const hw = await adminFetch(server, `/api/v1/advisor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disk: 'ssd', workload: 'oltp', instance: 'adv-1' }) });
  assert.equal(hw.status, 200);
  const profile = ((await hw.json()) as { advice: { profile: { cpus: number; ramBytes: number } } }).advice.profile;
  assert.deepEqual([profile.cpus, Math.round(profile.ramBytes / 2 ** 20)], [cpus().length, Math.round(totalmem() / 2 ** 20)]);
  const none = await adminFetch(server, `/api/v1/advisor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ disk: 'ssd', workload: 'oltp' }) });
  assert.equal(none.status, 400);
  assert.match(((await none.json()) as { message: string }).message, /^cpus, ram, major \(13–18\) are needed/);
  // workloadDays 0: the same request without the measurements.
  const plain = (await (await adminFetch(server, `/api/v1/advisor`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ cpus: 2, ram: '4GB', disk: 'ssd', workload: 'oltp', instance: 'adv-1', workloadDays: 0 }) })).json() as { advice: Advice }).advice;
  assert.deepEqual([plain.roles, plain.tables], [[], []]);
});
