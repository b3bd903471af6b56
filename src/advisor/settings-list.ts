/**
 * Every setting the advisor recommends or guards: scripts/gen-advisor-settings.ts reads their
 * pg_settings rows (unit, bounds, enum values, context, default) from each major into pg-settings.ts.
 */
export const ADVISOR_SETTINGS = [
  // memory
  'shared_buffers', 'effective_cache_size', 'work_mem', 'hash_mem_multiplier', 'maintenance_work_mem', 'autovacuum_work_mem',
  'huge_pages', 'max_connections',
  // WAL and checkpoints
  'wal_buffers', 'min_wal_size', 'max_wal_size', 'checkpoint_timeout', 'checkpoint_completion_target', 'wal_compression',
  'wal_level', 'max_wal_senders', 'wal_keep_size', 'hot_standby',
  // planner and I/O
  'random_page_cost', 'effective_io_concurrency', 'maintenance_io_concurrency', 'default_statistics_target', 'jit', 'io_method', 'io_workers',
  // parallelism
  'max_worker_processes', 'max_parallel_workers', 'max_parallel_workers_per_gather', 'max_parallel_maintenance_workers',
  // autovacuum
  'autovacuum_max_workers', 'autovacuum_worker_slots', 'autovacuum_naptime', 'autovacuum_vacuum_scale_factor', 'autovacuum_analyze_scale_factor',
  'autovacuum_vacuum_insert_scale_factor', 'autovacuum_vacuum_cost_limit', 'autovacuum_vacuum_cost_delay',
  'autovacuum_freeze_max_age', 'autovacuum_multixact_freeze_max_age',
  // logging and monitoring
  'log_min_duration_statement', 'log_checkpoints', 'log_lock_waits', 'log_temp_files', 'log_autovacuum_min_duration',
  'track_io_timing', 'track_wal_io_timing', 'shared_preload_libraries',
  'pg_stat_statements.max', 'pg_stat_statements.track', 'auto_explain.log_min_duration', 'auto_explain.log_analyze',
  'auto_explain.log_buffers', 'auto_explain.log_timing', 'auto_explain.log_format',
  // durability: only guarded
  'fsync', 'full_page_writes', 'synchronous_commit',
] as const;
export type AdvisorSetting = (typeof ADVISOR_SETTINGS)[number];
