/**
 * Every SQL collector of the built-in catalog against real PostgreSQL 13–18,
 * run as a non-superuser with pg_monitor, as the agent runs it in production.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import type { MetricFamily } from '../src/protocol/index.ts';
import { PG_MAJORS, startTestPostgres, waitFor } from './harness/index.ts';
import { sqlCollectors, asMonitor, pointOf, valueOf, has, runCollector, runnerFor, prepare } from './catalog-sql-helpers.ts';

for (const major of PG_MAJORS) {
  test(`catalog SQL on PostgreSQL ${major}`, async (t) => {
    const pg = await startTestPostgres(major, {
      track_functions: 'all', logging_collector: 'on', archive_mode: 'on', archive_command: 'false',
    });
    const admin = postgres(pg.url, { max: 1, onnotice: () => {} });
    const sql = postgres(asMonitor(pg.url), { max: 1, onnotice: () => {} });
    const others: postgres.Sql[] = [];
    t.after(async () => {
      for (const c of [sql, admin, ...others]) await c.end({ timeout: 1 });
      await pg.destroy();
    });

    await prepare(admin, new URL(pg.url).port);
    const [{ version_num }] = await sql`SELECT current_setting('server_version_num')::int AS version_num`;
    assert.equal(Math.floor(version_num / 10000), major);
    const run = runnerFor(major, version_num);
    // Statistics reach the views with a delay. Before 15 a backend sends what it counted
    // only when it goes idle after a command, at most every 500 ms: the admin session is
    // given commands until its counts are in.
    await waitFor('the statistics of the setup', async () => {
      await admin`SELECT 1`;
      const [s] = await sql`SELECT
          (SELECT last_vacuum IS NOT NULL FROM pg_stat_user_tables WHERE relname = 'bloated') AS vacuumed,
          (SELECT calls = 2 FROM pg_stat_user_functions WHERE funcname = 'add_one') AS called,
          (SELECT failed_count > 0 FROM pg_stat_archiver) AS archive_failed,
          (SELECT pending_restart FROM pg_settings WHERE name = 'max_connections') AS pending`;
      return s.vacuumed && s.called && s.archive_failed && s.pending;
    });

    const byId = new Map<string, MetricFamily[] | undefined>();
    for (const def of sqlCollectors) {
      // Scope database runs once per database; postgres stands for them here.
      try {
        byId.set(def.id, await runCollector(sql, def, version_num));
      } catch (err) {
        throw new Error(`PostgreSQL ${major}, collector ${def.id} (${def.source}): ${(err as Error).message}`, { cause: err });
      }
    }
    const of = (id: string) => byId.get(id) ?? [];
    const db = { datname: 'postgres' };

    const up = of('pg_up');
    assert.equal(pointOf(up, 'pg_up.up')?.v, 1);
    assert.equal(pointOf(up, 'pg_up.is_replica')?.v, 0);
    assert.ok(pointOf(up, 'pg_up.uptime_s')!.v >= 0);

    const stats = of('pg_stat_database');
    // Before 15 the statistics collector may not have the setup's commits yet: only presence is certain.
    assert.ok(valueOf(stats, 'pg_stat_database.xact_commit', db) >= 0, 'xact_commit of postgres');
    assert.ok(valueOf(stats, 'pg_stat_database.numbackends', db) >= 1, 'numbackends of postgres');
    assert.equal(has(stats, 'pg_stat_database.sessions', db), major >= 14, 'sessions from 14 on');
    assert.equal(has(stats, 'pg_stat_database.parallel_workers_launched', db), major >= 18, 'parallel workers from 18 on');
    assert.ok(!stats.some((f) => f.points.some((p) => p.l?.datname === '')), 'the shared-objects row (datname null) is skipped');

    const activity = of('pg_activity');
    assert.ok(valueOf(activity, 'pg_activity.count', { state: 'active', backend_type: 'client backend' }) >= 1, 'our own backend is active');
    assert.equal(pointOf(activity, 'pg_activity.max_connections')?.v, 100, 'max_connections waits for a restart');
    assert.ok(valueOf(activity, 'pg_activity.max_tx_duration_s') >= 0);
    assert.equal(activity.find((f) => f.name === 'pg_activity.max_connections')?.points.length, 1);
    assert.ok(valueOf(activity, 'pg_activity.max_query_duration_s') >= 0);
    assert.equal(valueOf(activity, 'pg_activity.idle_in_xact'), 0);
    assert.ok(valueOf(activity, 'pg_activity.max_xmin_age') >= 0);

    const wait = of('pg_wait');
    assert.ok(wait.find((f) => f.name === 'pg_wait.count')!.points.some((p) => p.l?.wait_event_type === 'Activity'), 'background processes wait on Activity events');

    const locks = of('pg_locks');
    assert.equal(valueOf(locks, 'pg_locks.waiting'), 0);
    assert.ok(valueOf(locks, 'pg_locks.count', { granted: 'true' }) >= 1, 'our own locks');
    assert.ok(valueOf(locks, 'pg_locks.locktype_count', { locktype: 'relation', granted: 'true' }) >= 1, 'relation locks by lock type');
    assert.equal(valueOf(locks, 'pg_locks.blocked_backends'), 0);
    assert.equal(valueOf(locks, 'pg_locks.blocking_backends'), 0);
    assert.equal(valueOf(locks, 'pg_locks.max_lock_wait_s'), 0);

    const settings = of('pg_settings');
    const [s] = await sql`SELECT pg_size_bytes(current_setting('shared_buffers'))::float8 AS shared_buffers,
      extract(epoch FROM current_setting('checkpoint_timeout')::interval)::float8 AS checkpoint_timeout`;
    assert.equal(valueOf(settings, 'pg_settings.bytes', { name: 'shared_buffers' }), s.shared_buffers, 'shared_buffers in bytes');
    assert.equal(valueOf(settings, 'pg_settings.seconds', { name: 'checkpoint_timeout' }), s.checkpoint_timeout, 'checkpoint_timeout in seconds');
    assert.equal(valueOf(settings, 'pg_settings.seconds', { name: 'deadlock_timeout' }), 1, 'deadlock_timeout (1000 ms) in seconds');
    assert.equal(valueOf(settings, 'pg_settings.bytes', { name: 'autovacuum_work_mem' }), -1, '-1 is kept as it is');
    assert.equal(valueOf(settings, 'pg_settings.value', { name: 'max_connections' }), 100);
    assert.equal(valueOf(settings, 'pg_settings.value', { name: 'fsync' }), 0, 'a boolean (the harness turns fsync off)');
    assert.equal(valueOf(settings, 'pg_settings.setting_info', { name: 'wal_level', setting: 'replica' }), 1);
    assert.equal(valueOf(settings, 'pg_settings.pending_restart', { name: 'max_connections' }), 1, 'ALTER SYSTEM SET max_connections waits for a restart');
    assert.equal(valueOf(settings, 'pg_settings.pending_restart', { name: 'work_mem' }), 0);
    assert.ok(valueOf(settings, 'pg_settings.pending_restart_settings') >= 1);
    assert.ok(valueOf(settings, 'pg_settings.conf_load_time') >= valueOf(settings, 'pg_settings.start_time'), 'reloaded after the start');
    assert.equal(has(settings, 'pg_settings.bytes', { name: 'shared_memory_size' }), major >= 15, 'shared_memory_size from 15 on');

    assert.ok(valueOf(of('pg_wal'), 'pg_wal.lsn') > 0);
    assert.equal(pointOf(of('pg_wal'), 'pg_wal.replay_delay_s')?.v, 0);
    const checkpointer = of('pg_checkpointer');
    assert.ok(has(checkpointer, 'pg_checkpointer.checkpoints_timed'));
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.last_checkpoint_age_s') >= 0);
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.wal_since_redo_bytes') > 0, 'the setup wrote WAL since the last checkpoint');
    assert.equal(has(checkpointer, 'pg_checkpointer.slru_written'), major >= 18, 'slru_written from 18 on');
    assert.equal(valueOf(checkpointer, 'pg_checkpointer.timeline_id'), 1);
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.next_multixact_id') >= 1);
    assert.ok(valueOf(checkpointer, 'pg_checkpointer.next_oid') > 0);
    assert.ok(has(of('pg_stat_bgwriter'), 'pg_stat_bgwriter.buffers_alloc'));
    assert.equal(has(of('pg_stat_bgwriter'), 'pg_stat_bgwriter.buffers_backend'), major < 17, 'buffers_backend before 17');
    if (major >= 14) {
      assert.ok(valueOf(of('pg_stat_wal'), 'pg_stat_wal.wal_bytes') >= 0, 'wal_bytes');
      assert.ok(valueOf(of('pg_stat_wal'), 'pg_stat_wal.wal_write') >= 0, 'wal_write (18: from pg_stat_io)');
      assert.ok(valueOf(of('pg_stat_wal'), 'pg_stat_wal.wal_sync_time') >= 0, 'wal_sync_time (18: from pg_stat_io)');
    } else {
      assert.equal(byId.get('pg_stat_wal'), undefined, 'pg_stat_wal has no variant before 14');
    }

    const walDir = of('pg_wal_dir');
    assert.ok(valueOf(walDir, 'pg_wal_dir.bytes') >= 16 * 1024 * 1024, 'at least one segment');
    assert.ok(valueOf(walDir, 'pg_wal_dir.segments') >= 1);
    assert.ok(valueOf(walDir, 'pg_wal_dir.archive_ready') >= 1, 'archive_command fails, so the switched segment stays .ready');
    assert.ok(valueOf(walDir, 'pg_wal_dir.archive_ready_age_s') >= 0);
    assert.equal(valueOf(of('pg_stat_archiver'), 'pg_stat_archiver.failing'), 1);
    assert.ok(valueOf(of('pg_stat_archiver'), 'pg_stat_archiver.failed_count') >= 1);
    assert.ok(valueOf(of('pg_log_dir'), 'pg_log_dir.files') >= 1, 'the logging collector writes a file');

    const slots = of('pg_replication_slots');
    const slot = { slot_name: 'standby_1', slot_type: 'physical', active: 'false' };
    assert.ok(valueOf(slots, 'pg_replication_slots.retained_bytes', slot) > 0, 'the slot retains the WAL written since it was created');
    assert.equal(valueOf(slots, 'pg_replication_slots.wal_status', slot), 0, 'reserved');
    assert.equal(has(slots, 'pg_replication_slots.xmin_age', slot), false, 'no xmin without hot_standby_feedback');
    assert.equal(has(slots, 'pg_replication_slots.inactive_age_s', slot), major >= 17, 'inactive_since from 17 on');
    assert.deepEqual(byId.get('pg_stat_replication_slots'), major >= 14 ? [] : undefined, 'no logical slot');
    assert.deepEqual(byId.get('pg_replication'), [], 'no standby is connected');

    const recovery = of('pg_recovery');
    assert.equal(valueOf(recovery, 'pg_recovery.in_recovery'), 0);
    assert.equal(has(recovery, 'pg_recovery.replay_paused'), false, 'no replay on a primary');
    assert.equal(has(recovery, 'pg_recovery.prefetch'), major >= 15, 'pg_stat_recovery_prefetch from 15 on');
    const conflicts = of('pg_stat_database_conflicts');
    assert.equal(valueOf(conflicts, 'pg_stat_database_conflicts.confl_snapshot', db), 0);
    assert.equal(has(conflicts, 'pg_stat_database_conflicts.confl_active_logicalslot', db), major >= 16, 'logical slot conflicts from 16 on');

    const subscription = of('pg_stat_subscription');
    const sub = { datname: 'postgres', subname: 'sub' };
    assert.equal(valueOf(subscription, 'pg_stat_subscription.enabled', sub), 0, 'created without connecting, so disabled');
    assert.equal(valueOf(subscription, 'pg_stat_subscription.apply_workers', sub), 0);
    assert.equal(has(subscription, 'pg_stat_subscription.apply_error_count', sub), major >= 15, 'pg_stat_subscription_stats from 15 on');
    assert.equal(has(subscription, 'pg_stat_subscription.parallel_apply_workers', sub), major >= 16, 'parallel apply from 16 on');
    assert.equal(has(subscription, 'pg_stat_subscription.confl_insert_exists', sub), major >= 18, 'apply conflicts from 18 on');

    assert.equal(valueOf(of('pg_subscription_rel'), 'pg_subscription_rel.tables', { ...sub, state: 'init' }), 1, 't, not synchronized yet');
    const publication = { datname: 'postgres', pubname: 'pub' };
    assert.equal(valueOf(of('pg_publication'), 'pg_publication.tables', publication), 1);
    assert.equal(valueOf(of('pg_publication'), 'pg_publication.all_tables', publication), 0);
    const defpart = { datname: 'postgres', schemaname: 'public', relname: 'parted_default', parent: 'parted' };
    assert.equal(valueOf(of('pg_default_partition'), 'pg_default_partition.tuples', defpart), 401, 'rows 100 to 500');
    assert.ok(valueOf(of('pg_default_partition'), 'pg_default_partition.bytes', defpart) > 0);
    assert.equal(byId.get('pg_wait_sampling'), undefined, 'skipped: the extension is not installed');

    const slru = of('pg_stat_slru');
    assert.ok(has(slru, 'pg_stat_slru.blks_zeroed', { name: 'transaction' }), 'the 17+ name of the Xact cache, on every major');
    assert.ok(!slru.some((f) => f.points.some((p) => p.l?.name === 'Xact')));

    assert.ok(pointOf(of('pg_database_size'), 'pg_database_size.bytes', db)!.v > 1_000_000);
    assert.equal(pointOf(of('pg_database_size'), 'pg_database_size.bytes', { datname: 'template0' }), undefined, 'template0 does not allow connections');
    const xid = of('pg_xid');
    assert.ok(valueOf(xid, 'pg_xid.datfrozenxid_age', db) > 0);
    assert.ok(has(xid, 'pg_xid.datminmxid_age', { datname: 'template0' }));
    assert.ok(valueOf(xid, 'pg_xid.next_xid') > 0);
    assert.ok(valueOf(xid, 'pg_xid.oldest_running_xid_age') >= 0);
    assert.equal(valueOf(xid, 'pg_xid.prepared_xacts'), 0);
    assert.equal(pointOf(of('pg_wal_receiver'), 'pg_wal_receiver.connected')?.v, 0, 'a primary has no WAL receiver');
    assert.ok(has(of('pg_stat_user_tables'), 'pg_stat_user_tables.n_tup_ins', db));
    assert.ok(has(of('pg_statio_user_tables'), 'pg_statio_user_tables.heap_blks_hit', db));
    if (major >= 16) assert.ok(has(of('pg_stat_io'), 'pg_stat_io.hits', { backend_type: 'client backend', object: 'relation', context: 'normal' }));
    assert.ok(valueOf(of('pg_stat_ssl'), 'pg_stat_ssl.no_ssl') >= 1, 'this test connects over TCP without SSL');

    // Per table, per index, per database.
    const tables = of('pg_table');
    const tbl = (relname: string) => ({ datname: 'postgres', schemaname: 'public', relname });
    const total = valueOf(tables, 'pg_table.total_bytes', tbl('t'));
    const parts = ['heap_bytes', 'indexes_bytes', 'toast_bytes'].reduce((sum, m) => sum + valueOf(tables, `pg_table.${m}`, tbl('t')), 0);
    assert.equal(parts, total, 'heap + indexes + TOAST = total');
    assert.ok(valueOf(tables, 'pg_table.indexes_bytes', tbl('t')) > 0);
    assert.ok(valueOf(tables, 'pg_table.last_vacuum_age_s', tbl('bloated')) >= 0, 'bloated was vacuumed');
    assert.equal(has(tables, 'pg_table.last_vacuum_age_s', tbl('unreadable')), false, 'unreadable never was (autovacuum is off for it)');
    assert.ok(valueOf(tables, 'pg_table.frozenxid_age', tbl('t')) >= 0);
    assert.equal(valueOf(tables, 'pg_table.autovacuum_enabled', tbl('unreadable')), 0);
    assert.equal(valueOf(tables, 'pg_table.autovacuum_enabled', tbl('t')), 1);
    assert.ok(has(tables, 'pg_table.heap_blks_hit', tbl('t')));
    assert.equal(has(tables, 'pg_table.n_tup_newpage_upd', tbl('t')), major >= 16, 'n_tup_newpage_upd from 16 on');
    assert.equal(has(tables, 'pg_table.total_vacuum_time', tbl('t')), major >= 18, 'vacuum times from 18 on');

    const indexes = of('pg_index');
    assert.ok(valueOf(indexes, 'pg_index.bytes', { ...tbl('t'), indexrelname: 't_pkey' }) > 0);
    assert.equal(valueOf(indexes, 'pg_index.indexes', db), 2);
    assert.equal(valueOf(indexes, 'pg_index.unused_count', db), 1, 't_v is never scanned; t_pkey is a constraint');
    assert.ok(valueOf(indexes, 'pg_index.unused_bytes', db) > 0);
    assert.equal(valueOf(indexes, 'pg_index.invalid_count', db), 0);

    const relkind = of('pg_relkind');
    assert.ok(valueOf(relkind, 'pg_relkind.count', { ...db, relkind: 'table' }) >= 3);
    assert.ok(valueOf(relkind, 'pg_relkind.bytes', { ...db, relkind: 'index' }) > 0);
    assert.ok(valueOf(relkind, 'pg_relkind.catalog_bytes', db) > 0);

    const bloat = of('pg_table_bloat');
    const ratio = valueOf(bloat, 'pg_table_bloat.bloat_ratio', tbl('bloated'));
    assert.ok(ratio > 0.3 && ratio < 0.7, `half of bloated was deleted, estimated bloat ratio ${ratio}`);
    assert.equal(has(bloat, 'pg_table_bloat.bloat_bytes', tbl('unreadable')), false, 'the monitor may not read its statistics');
    assert.equal(valueOf(bloat, 'pg_table_bloat.tables_without_stats', db), 1);
    assert.equal(valueOf(bloat, 'pg_table_bloat.tables_estimated', db), 1);

    const funcs = of('pg_stat_user_functions');
    assert.equal(valueOf(funcs, 'pg_stat_user_functions.calls', { ...db, schemaname: 'public', funcname: 'add_one' }), 2);

    const seqs = of('pg_sequences');
    const seq = { ...db, schemaname: 'public', sequencename: 'seq_int' };
    assert.ok(Math.abs(valueOf(seqs, 'pg_sequences.used_ratio', seq) - (1_500_000_000 - 1) / (2_147_483_647 - 1)) < 1e-9);
    assert.equal(valueOf(seqs, 'pg_sequences.remaining_calls', seq), 2_147_483_647 - 1_500_000_000);
    assert.equal(valueOf(seqs, 'pg_sequences.sequences', db), 2);
    assert.equal(valueOf(seqs, 'pg_sequences.sequences_unreadable', db), 1, 'seq_hidden');

    for (const id of ['pg_stat_progress_vacuum', 'pg_stat_progress_analyze', 'pg_stat_progress_create_index', 'pg_stat_progress_cluster', 'pg_stat_progress_basebackup']) {
      assert.deepEqual(byId.get(id), [], `${id}: nothing runs`);
    }
    assert.deepEqual(byId.get('pg_stat_progress_copy'), major >= 14 ? [] : undefined, 'pg_stat_progress_copy from 14 on');

    // A writer left idle in its transaction blocks CREATE INDEX CONCURRENTLY, which waits
    // for it in a phase of pg_stat_progress_create_index.
    const holder = postgres(pg.url, { max: 1, onnotice: () => {} });
    const builder = postgres(pg.url, { max: 1, onnotice: () => {} });
    others.push(holder, builder);
    await holder.unsafe(`BEGIN; INSERT INTO t VALUES (100000, 'held')`);
    // postgres.js sends a query when it is awaited or then() is called.
    const building = builder.unsafe('CREATE INDEX CONCURRENTLY t_v2 ON t (v)').then(() => undefined);
    await waitFor('CREATE INDEX CONCURRENTLY to wait for the writer', async () =>
      (await sql`SELECT 1 FROM pg_stat_progress_create_index WHERE phase LIKE 'waiting for writers%'`).length === 1);
    const blockedLocks = await run(sql, 'pg_locks');
    assert.equal(valueOf(blockedLocks, 'pg_locks.blocked_backends'), 1);
    assert.equal(valueOf(blockedLocks, 'pg_locks.blocking_backends'), 1);
    assert.ok(valueOf(blockedLocks, 'pg_locks.waiting') >= 1);
    assert.ok(valueOf(blockedLocks, 'pg_locks.locktype_count', { locktype: 'virtualxid', granted: 'false' }) >= 1);
    assert.ok(valueOf(blockedLocks, 'pg_locks.max_lock_wait_s') > 0);
    const building1 = await run(sql, 'pg_stat_progress_create_index');
    const cic = { ...tbl('t'), command: 'CREATE INDEX CONCURRENTLY' };
    assert.equal(valueOf(building1, 'pg_stat_progress_create_index.operations', cic), 1);
    assert.equal(valueOf(building1, 'pg_stat_progress_create_index.lockers_total', cic), 1);
    assert.ok(valueOf(building1, 'pg_stat_progress_create_index.duration_s', cic) > 0);
    assert.ok(valueOf(await run(sql, 'pg_wait'), 'pg_wait.count', { wait_event_type: 'Lock', wait_event: 'virtualxid' }) >= 1);
    const activityBlocked = await run(sql, 'pg_activity');
    assert.equal(valueOf(activityBlocked, 'pg_activity.idle_in_xact'), 1, 'the holder');
    assert.ok(valueOf(activityBlocked, 'pg_activity.max_idle_in_xact_s') > 0);
    assert.equal(valueOf(await run(sql, 'pg_index'), 'pg_index.invalid_count', db), 0, 'an index being built is not counted as invalid');
    await holder.unsafe('ROLLBACK');
    await building;
    const built = await run(sql, 'pg_index');
    assert.equal(valueOf(built, 'pg_index.indexes', db), 3);
    assert.equal(valueOf(built, 'pg_index.unused_count', db), 2, 't_v and t_v2');
  });
}
