// Recommendations from the hardware and the intent alone: each a value with the rule and numbers behind it.
import type { Draft, Profile, Workload } from './types.ts';

const KB = 1024;
const MB = 1024 * KB;
const GB = 1024 * MB;

/** Client connections a workload usually keeps open, when the user does not say. */
export const DEFAULT_CONNECTIONS: Record<Workload, number> = { web: 200, oltp: 300, dw: 40, mixed: 100, desktop: 20 };

/** WAL kept between checkpoints, per workload: [min_wal_size, max_wal_size]. */
const WAL_SIZE: Record<Workload, [number, number]> = { web: [1 * GB, 4 * GB], oltp: [2 * GB, 16 * GB], dw: [4 * GB, 32 * GB], mixed: [1 * GB, 8 * GB], desktop: [80 * MB, 1 * GB] };

const mb = (b: number) => `${Math.round(b / MB)} MB`;
const gbOrMb = (b: number) => (b >= GB ? `${(b / GB).toFixed(b % GB === 0 ? 0 : 1)} GB` : mb(b));
const floorTo = (v: number, unit: number) => Math.max(unit, Math.floor(v / unit) * unit);

/**
 * shared_buffers: a quarter of RAM up to 64 GB (the OS cache does the rest, and PostgreSQL reads
 * through it), an eighth of what is above; a sixteenth on a desktop; never more than the data
 * (plus a fifth) when its size is known.
 */
export function sharedBuffers(p: Profile): Draft {
  const r = p.ramBytes;
  let v = p.workload === 'desktop' ? r / 16 : Math.min(r, 64 * GB) / 4 + Math.max(0, r - 64 * GB) / 8;
  let reason = p.workload === 'desktop'
    ? `RAM/16 on a desktop (${gbOrMb(r)} RAM), which leaves memory to other programs`
    : `RAM/4 up to 64 GB plus RAM/8 above it (${gbOrMb(r)} RAM): PostgreSQL reads through the OS cache, which keeps the rest`;
  if (p.dataBytes && Math.max(128 * MB, p.dataBytes * 1.2) < v) {
    v = Math.max(128 * MB, p.dataBytes * 1.2);
    reason += `; capped at the data size + 20 % (${gbOrMb(p.dataBytes)} of data): more would never be used`;
  }
  return { name: 'shared_buffers', value: floorTo(v, v >= GB ? 128 * MB : MB), kind: 'bytes', reason, confidence: 'high' };
}

export function baseline(p: Profile, connections: number, shared: number): Draft[] {
  const r = p.ramBytes;
  const c = p.cpus;
  const w = p.workload;
  const fast = p.disk !== 'hdd';
  const out: Draft[] = [];
  const add = (name: string, value: number | string, kind: Draft['kind'], reason: string, confidence: Draft['confidence'] = 'high') => out.push({ name, value, kind, reason, confidence });

  add('effective_cache_size', floorTo(w === 'desktop' ? r / 4 : (r * 3) / 4, MB), 'bytes',
    `${w === 'desktop' ? 'RAM/4' : '3/4 of RAM'} (${gbOrMb(r)}): what shared_buffers and the OS cache together hold; a planner estimate, nothing is allocated`);
  add('max_connections', connections, 'number', p.connections
    ? `the ${connections} connections you expect; past a few hundred, a pooler (PgBouncer) in transaction mode serves more clients with fewer backends`
    : `the usual number for a ${w} workload; give --connections to size it (and work_mem with it) to yours`, p.connections ? 'high' : 'medium');
  add('huge_pages', 'try', 'text', shared >= 8 * GB
    ? `try: with ${gbOrMb(shared)} of shared_buffers, huge pages save page-table memory and TLB misses; reserve ${Math.ceil((shared * 1.05) / (2 * MB))} 2 MB pages (vm.nr_hugepages) for them to be used. Not on: a server asked for huge pages that the OS has not reserved does not start`
    : 'try (the default): used when the OS has reserved huge pages, never a reason not to start', 'high');

  // Maintenance: VACUUM, CREATE INDEX. Up to PostgreSQL 16 VACUUM uses at most 1 GB for dead tuples.
  const maint = Math.min(w === 'dw' ? 4 * GB : 2 * GB, Math.max(64 * MB, r / (w === 'dw' ? 8 : 16)));
  add('maintenance_work_mem', floorTo(maint, MB), 'bytes', `RAM/${w === 'dw' ? 8 : 16} between 64 MB and ${w === 'dw' ? '4 GB' : '2 GB'} (${gbOrMb(r)} RAM): faster index builds and fewer VACUUM index passes`);

  const avWorkers = Math.max(3, Math.min(8, Math.floor(c / 4) + 1));
  add('autovacuum_max_workers', avWorkers, 'number', `one per 4 CPUs plus one, from 3 to 8 (${c} CPUs): more tables vacuumed at once without taking every core`);
  if (p.major >= 18) add('autovacuum_worker_slots', Math.max(16, avWorkers), 'number', 'PostgreSQL 18 reserves worker slots at start; autovacuum_max_workers can then change with a reload');
  // autovacuum_work_mem: maintenance_work_mem for each worker unless that takes over 5 % of RAM.
  const avMem = (maint * avWorkers > r * 0.05) ? floorTo(Math.max(64 * MB, Math.min(1 * GB, (r * 0.05) / avWorkers)), MB) : -1;
  add('autovacuum_work_mem', avMem, avMem === -1 ? 'number' : 'bytes', avMem === -1
    ? `-1 (use maintenance_work_mem): ${avWorkers} workers × ${mb(maint)} is within 5 % of RAM`
    : `${avWorkers} workers × maintenance_work_mem would take ${mb(maint * avWorkers)}, over 5 % of RAM; each worker gets ${mb(avMem)} (VACUUM before 17 uses at most 1 GB for dead tuples)`);

  const wal = WAL_SIZE[w];
  add('min_wal_size', wal[0], 'bytes', `${w}: this much old WAL is recycled for reuse rather than removed, so a write burst does not create new segment files`);
  add('max_wal_size', wal[1], 'bytes', `${w}: enough WAL between checkpoints that they come from checkpoint_timeout, not from WAL volume (refined from the measured rate of requested checkpoints when pgfleet has it)`, 'medium');
  add('checkpoint_timeout', w === 'desktop' ? 5 * 60_000 : 15 * 60_000, 'ms', w === 'desktop' ? '5 min (the default): short recovery on a machine that restarts often'
    : '15 min: fewer full-page images after each checkpoint; crash recovery replays at most about that much WAL');
  add('checkpoint_completion_target', 0.9, 'number', 'spread checkpoint writes over 90 % of the interval (the default from 14 on)');
  add('wal_buffers', shared >= 512 * MB ? 16 * MB : -1, shared >= 512 * MB ? 'bytes' : 'number', shared >= 512 * MB
    ? '16 MB: the most WAL a busy server fills between flushes; -1 would give shared_buffers/32, capped at the same 16 MB'
    : '-1: shared_buffers/32, enough at this size');
  add('wal_compression', p.major >= 15 ? 'pglz' : 'on', 'text', `${p.major >= 15 ? 'pglz (lz4 or zstd are faster where the server is built with them: see pg_settings.enumvals)' : 'on (pglz)'}: full-page images compressed, less WAL and replication traffic for a little CPU`);

  if (p.replication !== false) {
    add('wal_level', 'replica', 'text', 'replica (the default): needed for streaming replicas, WAL archiving and point-in-time recovery');
    add('max_wal_senders', 10, 'number', '10 (the default): replicas and pg_basebackup each take one');
    add('wal_keep_size', w === 'desktop' ? 0 : 1 * GB, w === 'desktop' ? 'number' : 'bytes', w === 'desktop' ? '0: no replicas expected' : '1 GB of WAL kept for a replica that falls behind for a moment; replication slots keep more when needed');
    add('hot_standby', 'on', 'text', 'on (the default): replicas answer read queries');
  }

  add('random_page_cost', p.disk === 'hdd' ? 4 : p.disk === 'san' ? 1.5 : 1.1, 'number', p.disk === 'hdd'
    ? '4 (the default): a random read on a spinning disk costs about 4 sequential ones once caching is counted'
    : p.disk === 'san' ? '1.5: SAN storage with cache; a random read costs little more than a sequential one' : '1.1: on SSD and NVMe a random read costs about what a sequential one does; index scans get chosen where they should', 'medium');
  const io = { hdd: 2, ssd: 200, nvme: 300, san: 300 }[p.disk];
  add('effective_io_concurrency', io, 'number', `${p.disk}: concurrent reads the storage serves well (bitmap heap scans prefetch that many blocks)`, 'medium');
  add('maintenance_io_concurrency', io, 'number', `${p.disk}: the same for VACUUM and other maintenance`, 'medium');
  add('default_statistics_target', w === 'dw' ? 500 : 100, 'number', w === 'dw' ? '500: larger samples for the skewed data and complex joins of analytics' : '100 (the default); raise per column (ALTER TABLE … SET STATISTICS) where estimates are off');
  add('jit', w === 'dw' || w === 'mixed' ? 'on' : 'off', 'text', w === 'dw' || w === 'mixed'
    ? 'on: long analytical queries gain from compiled expressions' : 'off: JIT compilation takes longer than the short queries of this workload run (it often dominates their time)');
  if (p.major >= 18) {
    add('io_method', 'worker', 'text', 'worker (the default): asynchronous reads through I/O worker processes, on every platform');
    add('io_workers', Math.max(3, Math.min(32, Math.ceil(c / 4))), 'number', `one I/O worker per 4 CPUs, at least 3 (${c} CPUs)`, 'medium');
  }

  // Parallel query.
  const perGather = w === 'dw' ? Math.min(8, Math.ceil(c / 2)) : w === 'desktop' ? Math.min(2, Math.floor(c / 2)) : w === 'mixed' ? Math.min(4, Math.ceil(c / 4)) : Math.min(2, Math.floor(c / 4));
  const parallel = Math.max(c, 2);
  add('max_worker_processes', Math.max(8, c + 4), 'number', `one per CPU plus 4 for extensions and logical replication, at least 8 (${c} CPUs)`);
  add('max_parallel_workers', parallel, 'number', `one per CPU (${c}): parallel queries together never take more cores than there are`);
  add('max_parallel_workers_per_gather', perGather, 'number', w === 'dw' ? `half the CPUs, at most 8: analytics run few large queries` : w === 'mixed' ? 'a quarter of the CPUs, at most 4' : `${w}: many short queries at once; few workers per query (a quarter of the CPUs, at most 2) keep cores for other sessions`);
  add('max_parallel_maintenance_workers', w === 'dw' ? Math.min(8, Math.ceil(c / 2)) : Math.min(4, Math.ceil(c / 4)), 'number', 'workers for CREATE INDEX and VACUUM of indexes');

  // Autovacuum: earlier and faster on fast disks; freezing less often on write-heavy workloads.
  const busy = w === 'oltp' || w === 'web' || w === 'mixed';
  add('autovacuum_naptime', busy ? 30_000 : 60_000, 'ms', busy ? '30 s: with many tables changing, each gets looked at sooner' : '1 min (the default)');
  add('autovacuum_vacuum_scale_factor', busy ? 0.05 : w === 'dw' ? 0.1 : 0.2, 'number', busy ? '5 % of a table dead before VACUUM (20 % by default lets large tables bloat); per-table settings for the largest' : w === 'dw' ? '10 %: loads mostly append' : '20 % (the default)');
  add('autovacuum_analyze_scale_factor', busy ? 0.025 : w === 'dw' ? 0.05 : 0.1, 'number', 'half the vacuum scale factor: statistics stay current as tables change');
  add('autovacuum_vacuum_insert_scale_factor', 0.2, 'number', '20 % (the default): insert-only tables get vacuumed (visibility map, freezing)');
  const costLimit = { hdd: 400, san: 1000, ssd: 2000, nvme: 4000 }[p.disk];
  add('autovacuum_vacuum_cost_limit', costLimit, 'number', `${p.disk}: ${costLimit} cost units per 2 ms pause (the default 200 lets VACUUM fall behind on ${fast ? 'fast storage' : 'a busy disk'})`, 'medium');
  add('autovacuum_vacuum_cost_delay', 2, 'ms', '2 ms (the default since 12)');
  add('autovacuum_freeze_max_age', busy ? 400_000_000 : 200_000_000, 'number', busy
    ? '400 million: anti-wraparound VACUUMs of every table half as often on a write-heavy server, still far from the 2 billion limit (pgfleet alerts on transaction ID age)'
    : '200 million (the default)', 'medium');
  add('autovacuum_multixact_freeze_max_age', 400_000_000, 'number', '400 million (the default)');

  // Logging and monitoring: what pgfleet and a DBA need to see, at little cost.
  add('log_min_duration_statement', w === 'dw' ? 10_000 : w === 'desktop' ? -1 : 1000, 'ms', w === 'dw' ? '10 s: analytics run long; log the outliers' : w === 'desktop' ? '-1: no statement logging on a desktop' : '1 s: slow statements in the log with their parameters');
  add('log_checkpoints', 'on', 'text', 'on (the default from 15): each checkpoint with its cause and duration');
  add('log_lock_waits', 'on', 'text', 'on: a wait longer than deadlock_timeout (1 s) is logged with who held the lock');
  add('log_temp_files', 0, 'bytes', '0: every temporary file with its size: the evidence for work_mem');
  add('log_autovacuum_min_duration', 10_000, 'ms', '10 s: slow autovacuum runs with what they did');
  add('track_io_timing', 'on', 'text', 'on: I/O time per query and relation (pg_stat_statements, EXPLAIN); one clock read per I/O, cheap on modern hardware (pg_test_timing tells)', 'medium');
  if (p.major >= 14) add('track_wal_io_timing', 'on', 'text', `on: WAL write and sync time${p.major >= 18 ? ' in pg_stat_io' : ' in pg_stat_wal'}`, 'medium');
  add('shared_preload_libraries', 'pg_stat_statements,auto_explain', 'text', 'pg_stat_statements for per-query statistics (what pgfleet\'s Queries page reads) and auto_explain for plans of slow queries; keep any library already listed');
  add('pg_stat_statements.max', 10_000, 'number', '10,000 statements: fewer evictions on a server with many distinct queries');
  add('pg_stat_statements.track', 'top', 'text', 'top (the default): statements sent by clients');
  add('auto_explain.log_min_duration', w === 'dw' ? 30_000 : 5000, 'ms', `${w === 'dw' ? '30' : '5'} s: the plans of slow statements in the log`);
  add('auto_explain.log_analyze', 'on', 'text', 'on, with timing off: actual rows per node. It instruments every statement (which ones will be slow is not known in advance): a few per cent of CPU on short queries; set it off if that matters more than the rows');
  add('auto_explain.log_timing', 'off', 'text', 'off: per-node timing is what makes ANALYZE expensive');
  add('auto_explain.log_buffers', 'on', 'text', 'on: blocks read per node');
  add('auto_explain.log_format', 'json', 'text', 'json: readable by pgfleet explain and the console');
  return out;
}

/** Bytes per unit of PostgreSQL's memory units. */
export const MEMORY_UNITS: Record<string, number> = { B: 1, kB: KB, '8kB': 8 * KB, MB, GB, TB: 1024 * GB };
export { KB, MB, GB };
