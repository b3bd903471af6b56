import { test } from 'node:test';
import assert from 'node:assert/strict';
import { advise, formatAdvice, type WorkloadStats } from './index.ts';

const GB = 1024 ** 3;
const MB = 1024 ** 2;
const quiet: WorkloadStats = {
  seconds: 86_400, tempFiles: 0, tempBytes: 0, blocksHit: 1e9, blocksRead: 1e6, checkpointsTimed: 96, checkpointsRequested: 0,
  walBytes: 50 * GB, walSeconds: 86_400, maxWalSizeBytes: 1 * GB, checkpointTimeoutMs: 300_000, workMemBytes: 4 * MB, maxConnections: 100, connections: 20,
  tables: [{ schema: 'public', name: 'orders', liveTuples: 1e6, deadTuples: 5000, autovacuumEnabled: true, lastAutovacuum: '2026-11-23', freezeAge: 1e6 }],
  autovacuumFreezeMaxAge: 200e6,
};
const profile = { cpus: 8, ramBytes: 32 * GB, disk: 'ssd' as const, workload: 'web' as const, major: 16 as const };
const rec = (a: ReturnType<typeof advise>, name: string) => a.recommendations.find((r) => r.name === name)!;

test('a quiet server: the workload changes nothing, and nothing is cited', () => {
  const base = advise(profile);
  const a = advise(profile, {}, quiet);
  assert.deepEqual(a.recommendations.map((r) => [r.name, r.recommended]), base.recommendations.map((r) => [r.name, r.recommended]));
  assert.deepEqual([a.tables, a.roles, a.notes], [[], [], []]);
});

test('spills: covered ones cited for work_mem; larger ones get their role the memory, per database; without pg_stat_statements the averages', () => {
  const statements = [
    { queryid: '42', query: 'select * from orders order by created_at', role: 'report', database: 'shop', calls: 10, tempBytesWritten: 10 * 400 * MB },
    { queryid: '43', query: 'select customer, sum(total) from orders group by 1', role: 'report', database: 'shop', calls: 100, tempBytesWritten: 100 * 100 * MB },
    { queryid: '44', query: 'select * from carts order by id', role: 'app', database: 'shop', calls: 1000, tempBytesWritten: 1000 * 20 * MB },
  ];
  const a = advise(profile, {}, { ...quiet, tempFiles: 2000, tempBytes: 40_000 * MB, statements });
  const wm = rec(a, 'work_mem');
  assert.equal(wm.recommended, advise(profile).recommendations.find((r) => r.name === 'work_mem')!.recommended, 'the memory guard still sets it');
  assert.match(wm.reason, /Measured: query 44 \(select \* from carts order by id\) wrote 19\.5 GB of temporary files over 1000 calls, 20 MB per call; all databases wrote 39\.1 GB in 2000 temporary files \(pg_stat_database\): this work_mem keeps 1 of the 3 spilling queries in memory/);
  assert.deepEqual(a.roles.map((r) => [r.role, r.database, r.settings.work_mem]), [['report', 'shop', '600MB']], 'one role, its largest spill per call × 1.5');
  assert.match(a.roles[0].reason, /query 42 .* 400 MB per call; .*more than the memory guard lets every backend have/);
  assert.equal(a.roles[0].sql, "ALTER ROLE report IN DATABASE shop SET work_mem = '600MB';");
  const b = advise(profile, {}, { ...quiet, tempFiles: 10, tempBytes: 2000 * MB });
  assert.match(rec(b, 'work_mem').reason, /10 temporary files, 2 GB in all \(200 MB on average\): the average one needs more than this.*Install pg_stat_statements/);
});

test('requested checkpoints: max_wal_size from the WAL rate over a day, or 4 × the current size without pg_stat_wal', () => {
  const a = advise(profile, {}, { ...quiet, checkpointsRequested: 60, walBytes: 864 * GB });
  // 10.24 MiB/s × 900 s × 1.9 = 17.1 GiB → 18 GB.
  assert.equal(rec(a, 'max_wal_size').recommended, '18GB');
  assert.match(rec(a, 'max_wal_size').reason, /^60 of 156 checkpoints were requested \(WAL reached max_wal_size, 1 GB\), not timed \(2\.5 per hour\); WAL is written at 10\.2 MB\/s on average/);
  assert.equal(rec(a, 'max_wal_size').confidence, 'high');
  const b = advise(profile, {}, { ...quiet, checkpointsRequested: 60, walBytes: undefined, walSeconds: undefined, maxWalSizeBytes: 2 * GB });
  assert.equal(rec(b, 'max_wal_size').recommended, '8GB');
  assert.match(rec(b, 'max_wal_size').reason, /without pg_stat_wal/);
  // A few requested among many timed ones: left to the baseline.
  assert.doesNotMatch(rec(advise(profile, {}, { ...quiet, checkpointsRequested: 2 }), 'max_wal_size').reason, /requested \(/);
});

test('dead tuples: a per-table setting with the numbers; old frozen XIDs and a full connection table are notes', () => {
  const a = advise(profile, {}, { ...quiet, connections: 95, tables: [
    { schema: 'public', name: 'queue', liveTuples: 20_000, deadTuples: 400_000, autovacuumEnabled: true, lastAutovacuum: null, freezeAge: 190e6 },
    { schema: 'Shop', name: 'big', liveTuples: 100e6, deadTuples: 2e6, autovacuumEnabled: true, lastAutovacuum: '2026-11-20 10:00', freezeAge: 1e6 },
    { schema: 'public', name: 'fine', liveTuples: 100e6, deadTuples: 500_000, autovacuumEnabled: true, lastAutovacuum: '2026-11-23', freezeAge: 1e6 },
  ] });
  assert.deepEqual(a.tables.map((t) => t.table), ['public.queue', '"Shop".big']);
  assert.match(a.tables[0].reason, /^400000 dead tuples against 20000 live \(2000 %\); last autovacuum never/);
  assert.equal(a.tables[1].sql, 'ALTER TABLE "Shop".big SET (autovacuum_vacuum_scale_factor = 0.01, autovacuum_vacuum_threshold = 1000);');
  assert.equal(a.tables[1].rollbackSql, 'ALTER TABLE "Shop".big RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);');
  assert.ok(a.notes.some((n) => /public\.queue: its oldest unfrozen transaction ID is 190000000 transactions old/.test(n)));
  assert.ok(a.notes.some((n) => /95 of max_connections 100 backends/.test(n)));
});

test('review fixes: a role\'s work_mem at most 5 % of RAM; max_wal_size never below the current; autovacuum off again on rollback', () => {
  const huge = [{ queryid: '7', query: 'select * from big order by x', role: 'report', database: 'app', calls: 5, tempBytesWritten: 500 * GB }];
  const a = advise({ ...profile, ramBytes: 16 * GB, workload: 'oltp' }, {}, { ...quiet, tempFiles: 5, tempBytes: 500 * GB, statements: huge });
  assert.equal(a.roles[0].settings.work_mem, `${Math.floor((16 * GB * 0.05) / MB)}MB`);
  assert.match(a.roles[0].reason, /at most 5 % of RAM/);
  const b = advise({ ...profile, workload: 'oltp' }, {}, { ...quiet, checkpointsRequested: 100, checkpointsTimed: 600, maxWalSizeBytes: 64 * GB, walBytes: 2000 * GB, walSeconds: 7 * 86_400 });
  assert.equal(rec(b, 'max_wal_size').recommended, '64GB');
  assert.match(rec(b, 'max_wal_size').reason, /kept at the current size/);
  const c = advise(profile, {}, { ...quiet, tables: [{ schema: 'public', name: 'q', liveTuples: 10_000, deadTuples: 90_000, autovacuumEnabled: false, lastAutovacuum: null, freezeAge: 0 }] });
  assert.equal(c.tables[0].rollbackSql, 'ALTER TABLE public.q RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold); ALTER TABLE public.q SET (autovacuum_enabled = off);');
});

test('reserved words are quoted; a table\'s SQL says which database it runs in', () => {
  const statements = [{ queryid: '9', query: 'select * from big order by x', role: 'user', database: 'order', calls: 1, tempBytesWritten: 500 * MB }];
  const a = advise(profile, {}, { ...quiet, tempFiles: 1, tempBytes: 500 * MB, statements,
    tables: [{ database: 'shop', schema: 'public', name: 'user', liveTuples: 10_000, deadTuples: 90_000, autovacuumEnabled: true, lastAutovacuum: null, freezeAge: 0 }] });
  assert.match(a.roles[0].sql, /^ALTER ROLE "user" IN DATABASE "order" SET work_mem = /);
  assert.equal(a.tables[0].table, 'public."user"');
  assert.match(formatAdvice(a, 'sql'), /^-- in database shop:\nALTER TABLE public\."user" SET \(/m);
});
