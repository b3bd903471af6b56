import type { Tuple } from './label-tuples.ts';

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** What pg_settings holds on a server with default settings (the pg_settings collector's conversions applied). */
const BYTES: Record<string, number> = {
  shared_buffers: 128 * MB, effective_cache_size: 4 * GB, work_mem: 4 * MB, maintenance_work_mem: 64 * MB,
  autovacuum_work_mem: -1, temp_buffers: 8 * MB, wal_buffers: 4 * MB, logical_decoding_work_mem: 64 * MB,
  temp_file_limit: -1, shared_memory_size: 143 * MB, min_wal_size: 80 * MB, max_wal_size: GB, wal_keep_size: 0,
  max_slot_wal_keep_size: -1, wal_segment_size: 16 * MB, segment_size: GB, wal_writer_flush_after: MB,
  checkpoint_flush_after: 256 * KB, bgwriter_flush_after: 512 * KB, backend_flush_after: 0, io_combine_limit: 128 * KB,
  log_temp_files: -1, track_activity_query_size: 1024,
};
const SECONDS: Record<string, number> = {
  checkpoint_timeout: 300, checkpoint_warning: 30, archive_timeout: 0, wal_writer_delay: 0.2, commit_delay: 0,
  max_standby_streaming_delay: 30, max_standby_archive_delay: 30, wal_sender_timeout: 60, wal_receiver_timeout: 60,
  wal_receiver_status_interval: 10, recovery_min_apply_delay: 0, statement_timeout: 0, lock_timeout: 0,
  idle_in_transaction_session_timeout: 0, idle_session_timeout: 0, transaction_timeout: 0, deadlock_timeout: 1,
  autovacuum_naptime: 60, autovacuum_vacuum_cost_delay: 0.002, vacuum_cost_delay: 0, bgwriter_delay: 0.2,
  log_min_duration_statement: -1, log_autovacuum_min_duration: 600, old_snapshot_threshold: -1,
};
const TEXT: Record<string, string> = {
  huge_pages: 'try', huge_pages_status: 'off', wal_level: 'replica', wal_compression: 'off', synchronous_commit: 'on',
  archive_mode: 'off', recovery_prefetch: 'try', synchronous_standby_names: '', track_functions: 'none',
  compute_query_id: 'auto', shared_preload_libraries: 'pg_stat_statements', password_encryption: 'scram-sha-256', io_method: 'worker',
};
const VALUES: Record<string, number> = {
  max_connections: 100, superuser_reserved_connections: 3, reserved_connections: 0, max_prepared_transactions: 0,
  max_locks_per_transaction: 64, max_pred_locks_per_transaction: 64, max_worker_processes: 8, max_parallel_workers: 8,
  max_parallel_workers_per_gather: 2, max_parallel_maintenance_workers: 2, max_wal_senders: 10, max_replication_slots: 10,
  max_logical_replication_workers: 4, max_sync_workers_per_subscription: 2, max_files_per_process: 1000, port: 5432,
  hash_mem_multiplier: 2, shared_memory_size_in_huge_pages: 72, block_size: 8192, wal_block_size: 8192,
  checkpoint_completion_target: 0.9, autovacuum_max_workers: 3, autovacuum_worker_slots: 16, autovacuum_vacuum_threshold: 50,
  autovacuum_vacuum_scale_factor: 0.2, autovacuum_vacuum_max_threshold: 100_000_000, autovacuum_vacuum_insert_threshold: 1000,
  autovacuum_vacuum_insert_scale_factor: 0.2, autovacuum_analyze_threshold: 50, autovacuum_analyze_scale_factor: 0.1,
  autovacuum_freeze_max_age: 200_000_000, autovacuum_multixact_freeze_max_age: 400_000_000, autovacuum_vacuum_cost_limit: -1,
  vacuum_cost_limit: 200, vacuum_freeze_min_age: 50_000_000, vacuum_freeze_table_age: 150_000_000,
  vacuum_multixact_freeze_min_age: 5_000_000, vacuum_multixact_freeze_table_age: 150_000_000, vacuum_failsafe_age: 1_600_000_000,
  default_statistics_target: 100, random_page_cost: 4, seq_page_cost: 1, effective_io_concurrency: 1, maintenance_io_concurrency: 10,
  io_workers: 3, io_max_concurrency: 64, bgwriter_lru_maxpages: 100, bgwriter_lru_multiplier: 2,
  // Booleans are 1 or 0.
  data_checksums: 0, wal_log_hints: 0, full_page_writes: 1, fsync: 1, hot_standby: 1, hot_standby_feedback: 0, autovacuum: 1,
  jit: 1, track_io_timing: 0, track_wal_io_timing: 0, track_commit_timestamp: 0, log_lock_waits: 0, logging_collector: 0,
  ssl: 0, summarize_wal: 0, sync_replication_slots: 0,
};
/** Settings that exist only from (or until) some major: [first version_num, first without]. */
const EXISTS: Record<string, [number, number?]> = {
  reserved_connections: [160000], shared_memory_size: [150000], shared_memory_size_in_huge_pages: [150000],
  huge_pages_status: [170000], summarize_wal: [170000], sync_replication_slots: [170000], transaction_timeout: [170000],
  autovacuum_worker_slots: [180000], autovacuum_vacuum_max_threshold: [180000], io_method: [180000], io_workers: [180000],
  io_max_concurrency: [180000], io_combine_limit: [170000], old_snapshot_threshold: [0, 170000], recovery_prefetch: [150000],
  vacuum_failsafe_age: [140000], track_wal_io_timing: [140000], idle_session_timeout: [140000],
};

/** The setting names the pg_settings collector's SQL asks for: the `'{…}'::text[]` list. */
export function settingNames(sql: string): string[] {
  const m = /'\{([^}]*)\}'::text\[\]/.exec(sql);
  return m ? m[1].split(',').map((s) => s.trim()).filter(Boolean) : [];
}

/**
 * Rows of the pg_settings collector for one label set: per setting its value in
 * the one column that fits (bytes, seconds, value) and pending_restart; per text
 * setting setting_info; and the instance-wide row.
 */
export function settingTuples(labels: string[], names: string[], versionNum: number): Tuple[] {
  const present = names.filter((n) => {
    const e = EXISTS[n];
    return !e || (versionNum >= e[0] && (e[1] === undefined || versionNum < e[1]));
  });
  const key = labels.join(',');
  if (key === '') return [{ l: {}, m: { pending_restart_settings: 0 } }];
  if (key === 'name,setting') return present.filter((n) => n in TEXT).map((n) => ({ l: { name: n, setting: TEXT[n] }, m: { setting_info: 1 }, only: true }));
  return present.map((n) => {
    const m: Record<string, number> = { pending_restart: 0 };
    if (n in BYTES) m.bytes = BYTES[n];
    else if (n in SECONDS) m.seconds = SECONDS[n];
    else if (n === 'server_version_num') m.value = versionNum;
    else if (!(n in TEXT)) m.value = VALUES[n] ?? 0;
    return { l: { name: n }, m, only: true };
  });
}
