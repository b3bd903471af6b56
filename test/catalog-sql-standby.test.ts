/**
 * The role-dependent SQL (CASE on pg_is_in_recovery(), pg_replication with a
 * standby attached, pg_wal_receiver, pg_recovery) on a real streaming standby,
 * made by a cold copy of the primary's data directory (the embedded packages
 * have no pg_basebackup). The oldest and the newest major.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { startTestPair, waitFor, type PgMajor } from './harness/index.ts';
import { sqlCollectors, MONITOR, asMonitor, pointOf, valueOf, has, runnerFor } from './catalog-sql-helpers.ts';

for (const major of [13, 18] as PgMajor[]) {
  test(`catalog SQL on a streaming standby and its primary, PostgreSQL ${major}`, async (t) => {
    const pair = await startTestPair(major, `CREATE ROLE ${MONITOR} LOGIN; GRANT pg_monitor TO ${MONITOR};
      CREATE TABLE t AS SELECT g AS id, md5(g::text) AS v FROM generate_series(1, 1000) g`);
    const clients: postgres.Sql[] = [];
    t.after(async () => {
      for (const c of clients) await c.end({ timeout: 1 });
      await pair.destroy();
    });
    const { primary, standby } = pair;
    const onPrimary = postgres(asMonitor(primary.url), { max: 1, onnotice: () => {} });
    const onStandby = postgres(asMonitor(standby.url), { max: 1, onnotice: () => {} });
    const standbyAdmin = postgres(standby.url, { max: 1, onnotice: () => {} });
    const primaryAdmin = postgres(primary.url, { max: 1, onnotice: () => {} });
    clients.push(onPrimary, onStandby, standbyAdmin, primaryAdmin);
    const [{ version_num }] = await onPrimary`SELECT current_setting('server_version_num')::int AS version_num`;
    const runner = runnerFor(major, version_num);
    const run = (sql: postgres.Sql, id: string) => runner(sql, id, sql === onPrimary ? 'primary' : 'standby');

    const repl = await run(onPrimary, 'pg_replication');
    const who = { application_name: 'standby_1', client_addr: '127.0.0.1', state: 'streaming' };
    for (const m of ['write_lag_s', 'flush_lag_s', 'replay_lag_s', 'sent_lag_bytes', 'write_lag_bytes', 'flush_lag_bytes', 'replay_lag_bytes', 'reply_age_s']) {
      assert.ok(valueOf(repl, `pg_replication.${m}`, who) >= 0, `pg_replication.${m} of the standby`);
    }
    assert.equal(valueOf(repl, 'pg_replication.is_sync', who), 0, 'asynchronous');
    assert.equal(valueOf(repl, 'pg_replication.sync_priority', who), 0);
    assert.ok(valueOf(await run(onPrimary, 'pg_replication_slots'), 'pg_replication_slots.retained_bytes', { slot_name: 'standby_1', active: 'true' }) >= 0);

    assert.equal(pointOf(await run(onStandby, 'pg_up'), 'pg_up.is_replica')?.v, 1);
    const wal = await run(onStandby, 'pg_wal');
    assert.ok(valueOf(wal, 'pg_wal.lsn') > 0, 'standby WAL position');
    assert.ok(valueOf(wal, 'pg_wal.replay_delay_s') >= 0, 'replay delay');
    const receiver = await run(onStandby, 'pg_wal_receiver');
    assert.equal(pointOf(receiver, 'pg_wal_receiver.connected')?.v, 1);
    assert.ok(valueOf(receiver, 'pg_wal_receiver.last_msg_age_s') >= 0);
    assert.ok(valueOf(receiver, 'pg_wal_receiver.flushed_lsn') > 0);
    // The copied slot is on the standby too, measured from the WAL it received.
    assert.ok(valueOf(await run(onStandby, 'pg_replication_slots'), 'pg_replication_slots.retained_bytes', { slot_name: 'standby_1' }) >= 0);

    const recovery = await run(onStandby, 'pg_recovery');
    assert.equal(valueOf(recovery, 'pg_recovery.in_recovery'), 1);
    assert.equal(valueOf(recovery, 'pg_recovery.replay_paused'), 0);
    assert.ok(valueOf(recovery, 'pg_recovery.receive_lsn') > 0);
    assert.ok(valueOf(recovery, 'pg_recovery.replay_lsn') > 0);
    assert.ok(valueOf(recovery, 'pg_recovery.replay_lag_bytes') >= 0);
    assert.equal(has(recovery, 'pg_recovery.prefetch'), major >= 15);
    // A paused replay; from 14 the pause counts once replay reaches it, so WAL is written to replay.
    await standbyAdmin.unsafe('SELECT pg_wal_replay_pause()');
    await primaryAdmin.unsafe(`INSERT INTO t VALUES (0, 'after the pause')`);
    await waitFor('replay to pause', async () => valueOf(await run(onStandby, 'pg_recovery'), 'pg_recovery.replay_paused') === 1);
    if (major >= 14) assert.equal(valueOf(await run(onStandby, 'pg_recovery'), 'pg_recovery.replay_pause_requested'), 1);
    await standbyAdmin.unsafe('SELECT pg_wal_replay_resume()');

    const conflicts = await run(onStandby, 'pg_stat_database_conflicts');
    assert.equal(valueOf(conflicts, 'pg_stat_database_conflicts.confl_snapshot', { datname: 'postgres' }), 0);
    const checkpointer = await run(onStandby, 'pg_checkpointer');
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.last_checkpoint_age_s') >= 0, 'the last restartpoint (or the copied checkpoint)');
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.wal_since_redo_bytes') >= 0);
    const tables = await run(onStandby, 'pg_table');
    assert.ok(valueOf(tables, 'pg_table.total_bytes', { datname: 'postgres', schemaname: 'public', relname: 't' }) > 0, 'tables are sized on a standby');
    assert.ok(valueOf(await run(onStandby, 'pg_xid'), 'pg_xid.next_xid') > 0, 'the next transaction ID as the standby knows it');
    assert.ok(valueOf(await run(onStandby, 'pg_wal_dir'), 'pg_wal_dir.segments') >= 1);
    // Every other collector runs on the standby too, whatever its role.
    for (const def of sqlCollectors) await run(onStandby, def.id);
  });
}
