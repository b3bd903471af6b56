// Worker jobs on a real store: partitions ahead, retention by dropping whole days,
// and one runner per job through advisory locks.
import { readdirSync } from 'node:fs';
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS, openStore, type Store } from '../src/store/index.ts';
import { JOB_LOCKS, Worker } from '../src/server/worker/index.ts';
import { startTestPostgres, type TestPostgres } from './harness/index.ts';

let pg: TestPostgres;
let store: Store;
before(async () => { pg = await startTestPostgres(13); store = await openStore(pg.url); });
after(async () => { await store?.close(); await pg?.destroy(); });

const partitions = async () => (await store.sql`
  select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid
  where i.inhparent = 'sample_sets'::regclass order by 1`).map((r) => r.name as string);

test('partitions are created ahead and retention drops whole days past it', async () => {
  const now = Date.UTC(2026, 10, 22, 12);
  await store.timeseries.ensurePartitions(now - 10 * DAY_MS, now);
  const [metric] = [...(await store.timeseries.ensureMetrics([{ name: 'w.gauge', kind: 'gauge' }])).values()];
  const series = await store.timeseries.resolveSeries([{ ownerKind: 'i', ownerId: 1, metricId: metric.id, labels: {} }]);
  const [setId] = await store.timeseries.resolveSets([{ ownerKind: 'i', ownerId: 1, series, counters: [false] }]);
  await store.sql.begin((tx) => store.timeseries.writeSets(tx, { setId: [setId, setId], ts: [now - 9 * DAY_MS, now - 3 * DAY_MS], vals: [[1], [2]] }, now));
  const worker = new Worker(store, { retentionDays: 7 });
  await worker.runAll(now);
  const names = await partitions();
  assert.ok(names.includes('sample_sets_20261124'), `two days ahead exist: ${names.join(', ')}`);
  assert.ok(!names.includes('sample_sets_20261113'), 'a day older than retention is dropped');
  const got = await store.timeseries.readRaw(series, now - 10 * DAY_MS, now);
  assert.deepEqual(got.get(series[0])?.values, [2], 'only the sample within retention is left (raw or compacted)');
  assert.deepEqual(worker.runs, { partitions: 1, retention: 1, rollup_1m: 1, rollup_1h: 1, compaction: 1, store_size: 1, advisor: 0 }, "no advisor job without its source");
});

test('a job held by another process is not run here', async () => {
  const holder = await store.sql.reserve();
  await holder`select pg_advisory_lock(${JOB_LOCKS.retention})`;
  try {
    const worker = new Worker(store, { retentionDays: 7 });
    await worker.runAll();
    assert.deepEqual(worker.runs, { partitions: 1, retention: 0, rollup_1m: 1, rollup_1h: 1, compaction: 1, store_size: 1, advisor: 0 });
  } finally {
    await holder`select pg_advisory_unlock(${JOB_LOCKS.retention})`;
    holder.release();
  }
});

test('migrations run once even when several servers start together', async () => {
  const stores = await Promise.all([1, 2, 3].map(() => openStore(pg.url)));
  const [r] = await store.sql`select count(*)::int as n, count(distinct version)::int as distinct from schema_migrations`;
  await Promise.all(stores.map((s) => s.close()));
  assert.equal(r.n, readdirSync(new URL('../src/store/migrations/', import.meta.url)).filter((f) => f.endsWith('.sql')).length);
  assert.equal(r.distinct, r.n, 'each migration applied once');
});
