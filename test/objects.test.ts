/**
 * GET /api/v1/instances/{id}/objects on the real path: a PostgreSQL 18 target with known tables
 * and indexes (dead rows, an unused index, an invalid one left by a failed CREATE INDEX
 * CONCURRENTLY, a vacuumed and analyzed table) → agent → keeper → store → the API, checked
 * against what SQL on the target says.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import type { Agent } from '../src/agent/index.ts';
import type { ObjectsReply } from '../src/server/api/objects-service.ts';
import { startServer, type RunningServer } from '../src/server/index.ts';
import { startInprocAgent, startTestPostgres, tempDir, waitFor, type TestPostgres, adminFetch } from './harness/index.ts';

let store: TestPostgres;
let target: TestPostgres;
let server: RunningServer;
let agent: Agent;
let sql: postgres.Sql;
const dir = tempDir();
let vacuumedAt: [number, number];

before(async () => {
  [store, target] = await Promise.all([startTestPostgres(18), startTestPostgres(18)]);
  sql = postgres(target.url, { max: 2, onnotice: () => {} });
  await sql.unsafe(`
    CREATE TABLE t_big (id int PRIMARY KEY, a int, pad text);
    INSERT INTO t_big SELECT g, g % 100, repeat('x', 100) FROM generate_series(1, 20000) g;
    CREATE INDEX t_big_unused ON t_big (a);
    CREATE TABLE t_dead (id int, pad text) WITH (autovacuum_enabled = false);
    INSERT INTO t_dead SELECT g, repeat('y', 50) FROM generate_series(1, 10000) g;
    DELETE FROM t_dead WHERE id <= 4000;
    CREATE TABLE t_dup (v int);
    INSERT INTO t_dup VALUES (1), (1);`);
  // A unique index built concurrently over duplicates fails and stays, invalid.
  await assert.rejects(sql.unsafe('CREATE UNIQUE INDEX CONCURRENTLY t_dup_v ON t_dup (v)'), /could not create unique index/);
  const t0 = Date.now();
  await sql.unsafe('VACUUM ANALYZE t_big');
  vacuumedAt = [t0, Date.now()];
  // The statistics of this session reach the shared counters when it is idle (at most a second later).
  await sql.unsafe('SELECT pg_stat_force_next_flush()');
  server = await startServer({ role: 'all', storeUrl: store.url, host: '127.0.0.1', port: 0, retentionDays: 7 });
  agent = startInprocAgent(server, dir.path, {
    id: 'agent-obj', namespace: 'prod', node: 'obj-host', targets: [{ name: 'obj-1', cluster: 'obj', url: target.url }], preset: 'exhaustive',
  });
});

after(async () => {
  await agent?.stop();
  await server?.stop();
  await sql?.end({ timeout: 1 });
  await Promise.all([store?.destroy(), target?.destroy()]);
  dir.remove();
});

async function objects(): Promise<ObjectsReply> {
  const res = await adminFetch(server, `/api/v1/instances/obj-1/objects`);
  assert.equal(res.status, 200);
  return await res.json() as ObjectsReply;
}

test('tables, indexes and database figures equal what the target says', async () => {
  await waitFor('tables, indexes and the bloat summary of obj-1', async () => {
    const o = await objects();
    return o.tables.some((t) => t.relname === 't_dead' && t.n_dead_tup === 4000) && o.indexes.some((i) => i.indexrelname === 't_big_unused')
      && o.databases.some((d) => d.datname === 'postgres' && d.invalid_count !== null && d.tables_estimated !== null);
  }, 60_000);
  await agent.stop();
  const o = await objects();
  const t = new Map(o.tables.map((x) => [x.relname, x]));
  const [truth] = await sql<{ big: string; dead: string; big_live: string }[]>`
    select pg_total_relation_size('t_big') as big, pg_total_relation_size('t_dead') as dead, n_live_tup as big_live
    from pg_stat_user_tables where relname = 't_big'`;
  assert.equal(t.get('t_big')?.total_bytes, Number(truth.big), 't_big: pg_total_relation_size');
  assert.equal(t.get('t_dead')?.total_bytes, Number(truth.dead), 't_dead: pg_total_relation_size');
  assert.equal(t.get('t_big')?.n_live_tup, Number(truth.big_live));
  assert.equal(t.get('t_dead')?.n_dead_tup, 4000);
  assert.equal(t.get('t_dead')?.dead_ratio, 4000 / 10000);
  assert.equal(t.get('t_dead')?.autovacuum_enabled, false);
  assert.equal(t.get('t_big')?.autovacuum_enabled, true);
  assert.equal(t.get('t_dead')?.last_vacuum, null, 't_dead was never vacuumed');
  const v = t.get('t_big')!.last_vacuum!;
  assert.ok(v >= vacuumedAt[0] - 1000 && v <= vacuumedAt[1] + 1000, `t_big vacuumed at ${v}, between ${vacuumedAt[0]} and ${vacuumedAt[1]}`);
  assert.ok(o.tables[0].total_bytes! >= o.tables[o.tables.length - 1].total_bytes!, 'largest first');

  const unused = o.indexes.find((i) => i.indexrelname === 't_big_unused');
  assert.equal(unused?.idx_scan, 0);
  assert.equal(unused?.relname, 't_big');
  const [idx] = await sql<{ bytes: string }[]>`select pg_relation_size('t_big_unused') as bytes`;
  assert.equal(unused?.bytes, Number(idx.bytes));

  const db = o.databases.find((d) => d.datname === 'postgres')!;
  const [counts] = await sql<{ invalid: number; invalid_bytes: string }[]>`
    select count(*)::int as invalid, coalesce(sum(pg_relation_size(indexrelid)), 0) as invalid_bytes from pg_index where not indisvalid`;
  assert.equal(db.invalid_count, counts.invalid);
  assert.equal(db.invalid_count, 1);
  assert.equal(db.invalid_bytes, Number(counts.invalid_bytes));
  // t_big_unused and the invalid index are not constraint indexes; only the valid one counts as unused.
  assert.ok((db.unused_count ?? 0) >= 1, `unused indexes: ${db.unused_count}`);
});

test('objects of an unknown instance is a 404; an unknown parameter a 400', async () => {
  const missing = await adminFetch(server, `/api/v1/instances/nope/objects`);
  assert.equal(missing.status, 404);
  assert.equal((await missing.json() as { code: string }).code, 'PGFLEET_API_NOT_FOUND');
  const bad = await adminFetch(server, `/api/v1/instances/obj-1/objects?x=1`);
  assert.equal(bad.status, 400);
  assert.equal((await bad.json() as { code: string }).code, 'PGFLEET_API_BAD_PARAM');
});
