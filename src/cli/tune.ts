import { Type, type Static } from '@sinclair/typebox';
import postgres from 'postgres';
import { ADVICE_FORMATS, ADVISOR_MAJORS, ADVISOR_SETTINGS, advise, AdvisorError, DISK_KINDS, formatAdvice, parseSize, WORKLOADS, type AdviceFormat, type AdvisorMajor, type Profile } from '../advisor/index.ts';
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

/** What a live server tells: its settings as SHOW prints them, its major, its data size, and (superuser on Linux) its CPUs and RAM. */
async function readServer(uri: string): Promise<{ current: Record<string, string>; major: number; dataBytes: number; cpus?: number; ramBytes?: number }> {
  const sql = postgres(uri, { max: 1, onnotice: () => {}, connect_timeout: 10 });
  try {
    const [{ v }] = await sql`select current_setting('server_version_num')::int as v`;
    const rows = await sql`select name, current_setting(name) as value from pg_settings where name = any(${[...ADVISOR_SETTINGS]})`;
    const [{ bytes }] = await sql`select coalesce(sum(pg_database_size(datname)), 0)::float8 as bytes from pg_database where datallowconn`;
    const out: { current: Record<string, string>; major: number; dataBytes: number; cpus?: number; ramBytes?: number } = {
      current: Object.fromEntries(rows.map((r) => [r.name as string, r.value as string])), major: Math.floor(Number(v) / 10000), dataBytes: Number(bytes),
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
    process.stdout.write(formatAdvice(advise(profile, server?.current ?? {}), cfg.format as AdviceFormat));
    return 0;
  } catch (err) {
    if (!(err instanceof AdvisorError)) throw err;
    process.stderr.write(`pgfleet tune: ${err.problems.join('; ')}\n`);
    return 2;
  }
}
