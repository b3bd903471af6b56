import { Type, type Static } from '@sinclair/typebox';
import postgres from 'postgres';
import { ADVICE_FORMATS, ADVISOR_MAJORS, ADVISOR_SETTINGS, advise, AdvisorError, DISK_KINDS, formatAdvice, parseSize, showValue, WORKLOADS, type AdviceFormat, type AdvisorMajor, type Profile, type WorkloadStats } from '../advisor/index.ts';
import type { FieldSpec } from './config.ts';

export const TuneConfig = Type.Object({
  cpus: Type.Optional(Type.Integer({ minimum: 1 })),
  ram: Type.Optional(Type.String()),
  disk: Type.Union(DISK_KINDS.map((d) => Type.Literal(d)), { default: 'ssd' }),
  workload: Type.Union(WORKLOADS.map((w) => Type.Literal(w)), { default: 'mixed' }),
  pg: Type.Optional(Type.Integer()),
  connections: Type.Optional(Type.Integer({ minimum: 1 })),
  dataSize: Type.Optional(Type.String()),
  replication: Type.Boolean({ default: true }),
  allowDurabilityRisk: Type.Boolean({ default: false }),
  format: Type.Union(ADVICE_FORMATS.map((f) => Type.Literal(f)), { default: 'report' }),
  connect: Type.Optional(Type.String()),
}, { additionalProperties: false });
export type TuneConfig = Static<typeof TuneConfig>;

export const TUNE_FIELDS: FieldSpec[] = [
  { key: 'cpus', flag: 'cpus', type: 'number', description: 'CPU cores of the server (read from the server with --connect as a superuser on Linux)' },
  { key: 'ram', flag: 'ram', type: 'string', description: 'RAM of the server: 16GB, 512MB, 1TB (read from the server with --connect as a superuser on Linux)' },
  { key: 'disk', flag: 'disk', type: 'string', description: `storage: ${DISK_KINDS.join(', ')}` },
  { key: 'workload', flag: 'workload', type: 'string', description: `what the server runs: ${WORKLOADS.join(', ')}` },
  { key: 'pg', flag: 'pg', type: 'number', description: `PostgreSQL major: ${ADVISOR_MAJORS.join(', ')} (read from the server with --connect)` },
  { key: 'connections', flag: 'connections', type: 'number', description: 'client connections you expect (the workload\'s usual number otherwise)' },
  { key: 'dataSize', flag: 'data-size', type: 'string', description: 'size of the databases, such as 40GB (read from the server with --connect)' },
  { key: 'replication', flag: 'replication', type: 'boolean', description: 'replicas or WAL archiving are used (default true; --replication=false)' },
  { key: 'allowDurabilityRisk', flag: 'allow-durability-risk', type: 'boolean', description: 'allow synchronous_commit = off: a crash may lose the last commits' },
  { key: 'format', flag: 'format', type: 'string', description: `output: ${ADVICE_FORMATS.join(', ')}` },
  { key: 'connect', flag: 'connect', type: 'string', env: 'PGFLEET_TUNE_CONNECT', description: 'a PostgreSQL URI: compare with the live server\'s settings and take what it can tell (major, data size, CPUs and RAM)' },
];

/** The server's cumulative statistics the advisor's workload rules read (the connected database's tables only). */
async function readWorkload(sql: postgres.Sql, major: number): Promise<WorkloadStats> {
  const num = (v: unknown) => Number(v ?? 0);
  const [db] = await sql`select extract(epoch from now() - coalesce(min(stats_reset), pg_postmaster_start_time()))::float8 as seconds,
      sum(temp_files)::float8 as temp_files, sum(temp_bytes)::float8 as temp_bytes, sum(blks_hit)::float8 as hit, sum(blks_read)::float8 as read
    from pg_stat_database`;
  const [cp] = major >= 17
    ? await sql`select num_timed::float8 as timed, num_requested::float8 as requested from pg_stat_checkpointer`
    : await sql`select checkpoints_timed::float8 as timed, checkpoints_req::float8 as requested from pg_stat_bgwriter`;
  const [wal] = major >= 14 ? await sql`select wal_bytes::float8 as bytes, extract(epoch from now() - coalesce(stats_reset, pg_postmaster_start_time()))::float8 as seconds from pg_stat_wal` : [undefined];
  const [set] = await sql`select
      (select setting::float8 * 1048576 from pg_settings where name = 'max_wal_size') as max_wal,
      (select setting::float8 * 1000 from pg_settings where name = 'checkpoint_timeout') as timeout,
      (select setting::float8 * 1024 from pg_settings where name = 'work_mem') as work_mem,
      current_setting('max_connections')::int as max_conn, current_setting('autovacuum_freeze_max_age')::float8 as freeze_max,
      (select count(*) from pg_stat_activity where backend_type = 'client backend')::int as conns`;
  let statements: WorkloadStats['statements'];
  try {
    // Only where the extension is installed in this database and its library loaded.
    statements = (await sql`select s.queryid::text as queryid, s.query, r.rolname, d.datname, s.calls::float8 as calls,
        (s.temp_blks_written * current_setting('block_size')::int8)::float8 as temp_bytes
      from pg_stat_statements s join pg_roles r on r.oid = s.userid join pg_database d on d.oid = s.dbid
      where s.temp_blks_written > 0 order by s.temp_blks_written desc limit 20`)
      .map((r) => ({ queryid: r.queryid as string, query: r.query as string, role: r.rolname as string, database: r.datname as string, calls: num(r.calls), tempBytesWritten: num(r.temp_bytes) }));
  } catch { statements = undefined; }
  const [{ current_db }] = await sql`select current_database() as current_db`;
  const tables = await sql`select t.schemaname, t.relname, t.n_live_tup::float8 as live, t.n_dead_tup::float8 as dead, t.last_autovacuum::text as last,
      coalesce((select option_value from pg_options_to_table(c.reloptions) where option_name = 'autovacuum_enabled'), 'true') as av, age(c.relfrozenxid)::float8 as freeze
    from pg_stat_user_tables t join pg_class c on c.oid = t.relid order by t.n_dead_tup desc, age(c.relfrozenxid) desc limit 50`;
  return {
    seconds: num(db.seconds), tempFiles: num(db.temp_files), tempBytes: num(db.temp_bytes), blocksHit: num(db.hit), blocksRead: num(db.read),
    ...(statements ? { statements } : {}), checkpointsTimed: num(cp.timed), checkpointsRequested: num(cp.requested),
    ...(wal ? { walBytes: num(wal.bytes), walSeconds: num(wal.seconds) } : {}),
    maxWalSizeBytes: num(set.max_wal), checkpointTimeoutMs: num(set.timeout), workMemBytes: num(set.work_mem), maxConnections: num(set.max_conn), connections: num(set.conns),
    tables: tables.map((t) => ({ database: current_db, schema: t.schemaname as string, name: t.relname as string, liveTuples: num(t.live), deadTuples: num(t.dead),
      autovacuumEnabled: !/^(false|off|no|0)$/i.test(t.av as string), lastAutovacuum: (t.last as string | null) ?? null, freezeAge: num(t.freeze) })),
    autovacuumFreezeMaxAge: num(set.freeze_max),
  };
}

/** What a live server tells: its settings as SHOW prints them, its major, its data size, its workload statistics, and (superuser on Linux) its CPUs and RAM. */
async function readServer(uri: string): Promise<{ current: Record<string, string>; defaults: Set<string>; major: number; dataBytes: number; stats: WorkloadStats; cpus?: number; ramBytes?: number }> {
  const sql = postgres(uri, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [{ v }] = await sql`select current_setting('server_version_num')::int as v`;
    // The server-wide value (reset_val, not this session's), shown as SHOW would; and which ones are the built-in default.
    const rows = await sql`select name, source, reset_val, unit from pg_settings where name = any(${[...ADVISOR_SETTINGS]})`;
    const [{ bytes }] = await sql`select coalesce(sum(pg_database_size(datname)), 0)::float8 as bytes from pg_database where datallowconn`;
    const major = Math.floor(Number(v) / 10000);
    const out: { current: Record<string, string>; defaults: Set<string>; major: number; dataBytes: number; stats: WorkloadStats; cpus?: number; ramBytes?: number } = {
      current: Object.fromEntries(rows.map((r) => [r.name as string, showValue(String(r.reset_val ?? ''), r.unit as string | null)])),
      defaults: new Set(rows.filter((r) => r.source === 'default').map((r) => r.name as string)), major, dataBytes: Number(bytes), stats: await readWorkload(sql, major),
    };
    try {
      // Superusers may read files the server can: the server's own machine, not this one.
      const [{ mem, cpu }] = await sql`select pg_read_file('/proc/meminfo') as mem, pg_read_file('/proc/cpuinfo') as cpu`;
      const kb = /MemTotal:\s+(\d+) kB/.exec(mem as string);
      if (kb) out.ramBytes = Number(kb[1]) * 1024;
      const n = (cpu as string).match(/^processor\s*:/gm)?.length;
      if (n) out.cpus = n;
    } catch { /* not a superuser, or not Linux: the flags must say */ }
    return out;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** `pgfleet tune`: recommendations for a server from its hardware and intent, optionally compared with the live server. */
export async function runTune(cfg: TuneConfig): Promise<number> {
  const problems: string[] = [];
  let server: Awaited<ReturnType<typeof readServer>> | undefined;
  if (cfg.connect) {
    try { server = await readServer(cfg.connect); } catch (err) {
      process.stderr.write(`pgfleet tune: cannot read the server at --connect: ${(err as Error).message}\n`);
      return 1;
    }
  }
  const ram = cfg.ram !== undefined ? parseSize(cfg.ram) : server?.ramBytes;
  if (cfg.ram !== undefined && ram === undefined) problems.push(`--ram must be a size such as 16GB or 512MB, got "${cfg.ram}"`);
  else if (ram === undefined) problems.push('--ram is needed (the server\'s RAM, such as 16GB)');
  const cpus = cfg.cpus ?? server?.cpus;
  if (cpus === undefined) problems.push('--cpus is needed (the server\'s CPU cores)');
  const major = cfg.pg ?? server?.major;
  if (major === undefined) problems.push(`--pg is needed (${ADVISOR_MAJORS.join(', ')}), or --connect to read it`);
  else if (!(ADVISOR_MAJORS as readonly number[]).includes(major)) problems.push(`--pg must be one of ${ADVISOR_MAJORS.join(', ')}, got ${major}`);
  const dataBytes = cfg.dataSize !== undefined ? parseSize(cfg.dataSize) : server?.dataBytes;
  if (cfg.dataSize !== undefined && dataBytes === undefined) problems.push(`--data-size must be a size such as 40GB, got "${cfg.dataSize}"`);
  if (problems.length) {
    process.stderr.write(`pgfleet tune: ${problems.join('; ')}\n`);
    return 2;
  }
  const profile: Profile = {
    cpus: cpus!, ramBytes: ram!, disk: cfg.disk, workload: cfg.workload, major: major as AdvisorMajor,
    ...(cfg.connections !== undefined ? { connections: cfg.connections } : {}), ...(dataBytes !== undefined ? { dataBytes } : {}),
    replication: cfg.replication, allowDurabilityRisk: cfg.allowDurabilityRisk,
  };
  try {
    process.stdout.write(formatAdvice(advise(profile, server?.current ?? {}, server?.stats, { defaults: server?.defaults }), cfg.format as AdviceFormat));
    return 0;
  } catch (err) {
    if (!(err instanceof AdvisorError)) throw err;
    process.stderr.write(`pgfleet tune: ${err.problems.join('; ')}\n`);
    return 2;
  }
}
