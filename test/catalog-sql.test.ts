/**
 * Every SQL collector of the built-in catalog against real PostgreSQL 13–18,
 * run as a non-superuser with pg_monitor, as the agent runs it in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { Value } from '@sinclair/typebox/value';
import { MetricFamily } from '../src/protocol/index.ts';
import { loadCatalog, rowsToFamilies, selectVariant, type CollectorDef } from '../src/catalog/index.ts';
import { PG_MAJORS, startTestPair, startTestPostgres, type PgMajor } from './harness/index.ts';

const catalog = loadCatalog();
const sqlCollectors = catalog.filter((d) => d.scope !== 'node');
const MONITOR = 'pgfleet_monitor';

/** Whether the SQL names the column as a whole word (as an output or an alias). */
const mentions = (sql: string, column: string) => new RegExp(`\\b${column}\\b`).test(sql);

/** The point of a family with the given labels, if any. */
function pointOf(families: MetricFamily[], name: string, labels: Record<string, string> = {}) {
  return families.find((f) => f.name === name)?.points.find((p) => Object.entries(labels).every(([k, v]) => p.l?.[k] === v));
}

/** Checks that hold for a collector on every major; returns the families for collector-specific checks. */
async function runCollector(sql: postgres.Sql, def: CollectorDef, versionNum: number): Promise<MetricFamily[] | undefined> {
  const variant = selectVariant(def, versionNum);
  if (!variant) {
    const first = Math.min(...def.variants.map((v) => v.min_version ?? 0));
    assert.ok(versionNum < first, `${def.id}: no variant for ${versionNum}, yet it is not a collector of later versions only`);
    return undefined;
  }
  await sql.unsafe(`SET statement_timeout = ${def.timeout_ms}`);
  const result = await sql.unsafe(variant.sql);
  const returned = result.columns.map((c) => c.name);
  for (const c of returned) assert.ok(c in def.columns, `${def.id}: column "${c}" is returned but not declared`);
  assert.equal(new Set(returned).size, returned.length, `${def.id}: a column is returned twice`);
  for (const c of Object.keys(def.columns)) {
    if (mentions(variant.sql, c)) assert.ok(returned.includes(c), `${def.id}: column "${c}" is in the SQL but not returned`);
  }
  const families = rowsToFamilies(def, result as unknown as Record<string, unknown>[]);
  for (const f of families) {
    assert.ok(Value.Check(MetricFamily, f), `${def.id}: ${f.name} is not a valid MetricFamily: ${[...Value.Errors(MetricFamily, f)].map((e) => `${e.path} ${e.message}`).join('; ')}`);
    const keys = f.points.map((p) => JSON.stringify(p.l ?? {}));
    assert.equal(new Set(keys).size, keys.length, `${def.id}: ${f.name} has two points with the same labels`);
  }
  return families;
}

for (const major of PG_MAJORS) {
  test(`catalog SQL on PostgreSQL ${major}`, async (t) => {
    const pg = await startTestPostgres(major);
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    const monitorUrl = pg.url.replace('postgres://postgres@', `postgres://${MONITOR}@`);
    const sql = postgres(monitorUrl, { max: 1, onnotice: () => {} });
    t.after(async () => {
      await sql.end({ timeout: 1 });
      await admin.end({ timeout: 1 });
      await pg.destroy();
    });

    await admin.unsafe(`CREATE ROLE ${MONITOR} LOGIN; GRANT pg_monitor TO ${MONITOR}`);
    // Something for the collectors to see: a table with activity and a slot that holds WAL.
    await admin.unsafe(`CREATE TABLE t (id int PRIMARY KEY, v text);
      INSERT INTO t SELECT g, md5(g::text) FROM generate_series(1, 1000) g;
      UPDATE t SET v = 'x' WHERE id <= 10;
      SELECT pg_create_physical_replication_slot('standby_1', true);`);
    const [{ version_num }] = await sql`SELECT current_setting('server_version_num')::int AS version_num`;
    assert.equal(Math.floor(version_num / 10000), major);

    const byId = new Map<string, MetricFamily[] | undefined>();
    for (const def of sqlCollectors) {
      // Scope database runs once per database; postgres stands for them here.
      try {
        byId.set(def.id, await runCollector(sql, def, version_num));
      } catch (err) {
        throw new Error(`PostgreSQL ${major}, collector ${def.id} (${def.source}): ${(err as Error).message}`, { cause: err });
      }
    }

    const up = byId.get('pg_up')!;
    assert.equal(pointOf(up, 'pg_up.up')?.v, 1);
    assert.equal(pointOf(up, 'pg_up.is_replica')?.v, 0);
    assert.ok(pointOf(up, 'pg_up.uptime_s')!.v >= 0);

    const db = byId.get('pg_stat_database')!;
    // Before 15 the statistics collector may not have the setup's commits yet: only presence is certain.
    assert.ok(pointOf(db, 'pg_stat_database.xact_commit', { datname: 'postgres' })!.v >= 0, 'xact_commit of postgres');
    assert.ok(pointOf(db, 'pg_stat_database.numbackends', { datname: 'postgres' })!.v >= 1, 'numbackends of postgres');
    assert.equal(pointOf(db, 'pg_stat_database.sessions', { datname: 'postgres' }) !== undefined, major >= 14, 'sessions from 14 on');
    assert.ok(!db.some((f) => f.points.some((p) => p.l?.datname === '')), 'the shared-objects row (datname null) is skipped');

    const activity = byId.get('pg_activity')!;
    assert.ok(pointOf(activity, 'pg_activity.count', { state: 'active', backend_type: 'client backend' })!.v >= 1, 'our own backend is active');
    assert.equal(pointOf(activity, 'pg_activity.max_connections')?.v, 100);
    assert.ok(pointOf(activity, 'pg_activity.max_tx_duration_s')!.v >= 0);
    assert.equal(activity.find((f) => f.name === 'pg_activity.max_connections')?.points.length, 1);

    const locks = byId.get('pg_locks')!;
    assert.equal(pointOf(locks, 'pg_locks.waiting')?.v, 0);
    assert.ok(pointOf(locks, 'pg_locks.count', { granted: 'true' })!.v >= 1, 'our own locks');

    assert.ok(pointOf(byId.get('pg_wal')!, 'pg_wal.lsn')!.v > 0);
    assert.equal(pointOf(byId.get('pg_wal')!, 'pg_wal.replay_delay_s')?.v, 0);
    assert.ok(pointOf(byId.get('pg_checkpointer')!, 'pg_checkpointer.checkpoints_timed') !== undefined);
    assert.ok(pointOf(byId.get('pg_stat_bgwriter')!, 'pg_stat_bgwriter.buffers_alloc') !== undefined);
    assert.equal(pointOf(byId.get('pg_stat_bgwriter')!, 'pg_stat_bgwriter.buffers_backend') !== undefined, major < 17, 'buffers_backend before 17');
    if (major >= 14) assert.ok(pointOf(byId.get('pg_stat_wal')!, 'pg_stat_wal.wal_bytes')!.v >= 0, 'wal_bytes');
    else assert.equal(byId.get('pg_stat_wal'), undefined, 'pg_stat_wal has no variant before 14');

    const slot = pointOf(byId.get('pg_replication_slots')!, 'pg_replication_slots.retained_bytes', { slot_name: 'standby_1', slot_type: 'physical', active: 'false' });
    assert.ok(slot && slot.v > 0, 'the slot retains the WAL written since it was created');
    assert.deepEqual(byId.get('pg_replication'), [], 'no standby is connected');
    assert.ok(pointOf(byId.get('pg_database_size')!, 'pg_database_size.bytes', { datname: 'postgres' })!.v > 1_000_000);
    assert.equal(pointOf(byId.get('pg_database_size')!, 'pg_database_size.bytes', { datname: 'template0' }), undefined, 'template0 does not allow connections');
    assert.ok(pointOf(byId.get('pg_xid')!, 'pg_xid.datfrozenxid_age', { datname: 'postgres' })!.v > 0);
    assert.ok(pointOf(byId.get('pg_xid')!, 'pg_xid.datminmxid_age', { datname: 'template0' }) !== undefined);
    assert.equal(pointOf(byId.get('pg_wal_receiver')!, 'pg_wal_receiver.connected')?.v, 0, 'a primary has no WAL receiver');
    assert.ok(pointOf(byId.get('pg_stat_user_tables')!, 'pg_stat_user_tables.n_tup_ins', { datname: 'postgres' }) !== undefined);
    if (major >= 16) assert.ok(pointOf(byId.get('pg_stat_io')!, 'pg_stat_io.hits', { backend_type: 'client backend', object: 'relation', context: 'normal' }) !== undefined);
  });
}

/**
 * The role-dependent SQL (CASE on pg_is_in_recovery(), pg_replication with a
 * standby attached, pg_wal_receiver) on a real streaming standby, made by a
 * cold copy of the primary's data directory (the embedded packages have no
 * pg_basebackup). The oldest and the newest major.
 */
for (const major of [13, 18] as PgMajor[]) {
  test(`catalog SQL on a streaming standby and its primary, PostgreSQL ${major}`, async (t) => {
    const pair = await startTestPair(major, `CREATE ROLE ${MONITOR} LOGIN; GRANT pg_monitor TO ${MONITOR}`);
    const clients: postgres.Sql[] = [];
    t.after(async () => {
      for (const c of clients) await c.end({ timeout: 1 });
      await pair.destroy();
    });
    const { primary, standby } = pair;
    const onPrimary = postgres(primary.url.replace('postgres://postgres@', `postgres://${MONITOR}@`), { max: 1, onnotice: () => {} });
    const onStandby = postgres(standby.url.replace('postgres://postgres@', `postgres://${MONITOR}@`), { max: 1, onnotice: () => {} });
    clients.push(onPrimary, onStandby);
    const [{ version_num }] = await onPrimary`SELECT current_setting('server_version_num')::int AS version_num`;

    const run = async (sql: postgres.Sql, id: string) => {
      const def = catalog.find((d) => d.id === id)!;
      try {
        return (await runCollector(sql, def, version_num))!;
      } catch (err) {
        throw new Error(`PostgreSQL ${major}, ${sql === onPrimary ? 'primary' : 'standby'}, collector ${id}: ${(err as Error).message}`, { cause: err });
      }
    };
    const repl = await run(onPrimary, 'pg_replication');
    const who = { application_name: 'standby_1', client_addr: '127.0.0.1', state: 'streaming' };
    for (const m of ['write_lag_s', 'flush_lag_s', 'replay_lag_s', 'sent_lag_bytes', 'replay_lag_bytes']) {
      assert.ok(pointOf(repl, `pg_replication.${m}`, who)!.v >= 0, `pg_replication.${m} of the standby`);
    }
    assert.ok(pointOf(await run(onPrimary, 'pg_replication_slots'), 'pg_replication_slots.retained_bytes', { slot_name: 'standby_1', active: 'true' })!.v >= 0);

    assert.equal(pointOf(await run(onStandby, 'pg_up'), 'pg_up.is_replica')?.v, 1);
    const wal = await run(onStandby, 'pg_wal');
    assert.ok(pointOf(wal, 'pg_wal.lsn')!.v > 0, 'standby WAL position');
    assert.ok(pointOf(wal, 'pg_wal.replay_delay_s')!.v >= 0, 'replay delay');
    const receiver = await run(onStandby, 'pg_wal_receiver');
    assert.equal(pointOf(receiver, 'pg_wal_receiver.connected')?.v, 1);
    assert.ok(pointOf(receiver, 'pg_wal_receiver.last_msg_age_s')!.v >= 0);
    // The copied slot is on the standby too, measured from the WAL it received.
    assert.ok(pointOf(await run(onStandby, 'pg_replication_slots'), 'pg_replication_slots.retained_bytes', { slot_name: 'standby_1' })!.v >= 0);
    // Every other collector runs on the standby too, whatever its role.
    for (const def of sqlCollectors) await run(onStandby, def.id);
  });
}
