import postgres, { type Sql } from 'postgres';
import type { MetricsData, Role } from '../protocol/index.ts';
import { rowsToFamilies, selectVariant, type CollectorDef } from '../catalog/index.ts';
import { isConnectionError } from '../pg-errors/index.ts';

/** What the agent knows of a target after probing it. */
export interface Probe {
  version: string;
  version_num: number;
  role: Role;
  started_at: number;
  system_identifier?: string;
  databases: string[];
}

/** Reads what the agent needs to know of a target: version, role, start time, databases, system identifier. */
export async function probeTarget(sql: Sql): Promise<Probe & { server_version: string }> {
  const [r] = await sql`
    select version() as version, current_setting('server_version') as server_version,
      current_setting('server_version_num')::int as version_num, pg_is_in_recovery() as in_recovery,
      (extract(epoch from pg_postmaster_start_time()) * 1000)::bigint::float8 as started_at,
      coalesce((select json_agg(datname order by datname) from pg_database where datallowconn and not datistemplate), '[]') as databases`;
  let sysid: string | undefined;
  try {
    const [s] = await sql`select system_identifier::text as id from pg_control_system()`;
    sysid = s.id as string;
  } catch (err) {
    // Needs pg_monitor or superuser on some versions: optional. A lost server is not.
    if (isConnectionError(err)) throw err;
  }
  return {
    version: r.version as string, server_version: String(r.server_version).split(' ')[0], version_num: r.version_num as number,
    role: r.in_recovery ? 'replica' : 'primary', started_at: r.started_at as number,
    ...(sysid ? { system_identifier: sysid } : {}), databases: r.databases as string[],
  };
}

/** A collector run: its families, or why it did not run. Failures are thrown. */
export type CollectOutcome =
  | { status: 'ok'; metrics: MetricsData['metrics']; rows: number }
  | { status: 'skipped'; reason: string };

export interface PoolOptions {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  applicationName?: string;
  /** false: the sessions set nothing but application_name (they then run without timeouts). Default true. */
  sessionSettings?: boolean;
}

/**
 * A one-connection pool to a target as the agent uses it: read-only sessions with
 * statement_timeout and lock_timeout, no prepared statements, no type fetch.
 */
export function openTargetPool(url: string, database: string | undefined, o: PoolOptions): Sql {
  return postgres(url, {
    ...(database ? { database } : {}),
    max: 1,
    idle_timeout: 120,
    connect_timeout: 5,
    onnotice: () => {},
    prepare: false,
    // postgres.js 3.4 fetches array types on connect from an unawaited promise: a server
    // that goes away during that fetch becomes an unhandled rejection. Nothing here reads arrays.
    fetch_types: false,
    connection: o.sessionSettings === false ? { application_name: o.applicationName ?? 'pgfleet-agent' } : {
      application_name: o.applicationName ?? 'pgfleet-agent',
      statement_timeout: o.statementTimeoutMs,
      lock_timeout: o.lockTimeoutMs,
      idle_in_transaction_session_timeout: 60_000,
      // Monitoring sessions never write.
      default_transaction_read_only: 'on',
    } as Record<string, string | number>,
  });
}

/**
 * Runs a query as one simple-protocol message: `set local` and the query form one
 * implicit transaction, so the collector's own timeout applies without a reserved connection.
 * postgres.js 3.4 crashes the process from a timer when a query (or begin()'s own ROLLBACK)
 * is written to a reserved connection whose server has gone (porsager/postgres#1208); a
 * monitored server going away is routine for the agent, so it never reserves a connection.
 */
export async function collectRows(sql: Sql, query: string, timeoutMs: number): Promise<Record<string, unknown>[]> {
  const text = `set local statement_timeout = ${Math.max(1, Math.floor(timeoutMs))};\n${query.trim().replace(/;+$/, '')}`;
  const results = await sql.unsafe(text).simple() as unknown as Record<string, unknown>[][];
  // One result per statement; the collector's rows are the last one.
  return results[results.length - 1] ?? [];
}

/** Whether a collector's requirements (extension, function, setting) hold in a database; cached per key. */
export class Requirements {
  private readonly cache = new Map<string, boolean>();

  async check(sql: Sql, def: CollectorDef, db?: string): Promise<boolean> {
    if (!def.requires) return true;
    const key = `${db ?? ''}|${JSON.stringify(def.requires)}`;
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const r = def.requires;
    let ok = true;
    if (r.extension) ok &&= (await sql`select 1 from pg_extension where extname = ${r.extension}`).length > 0;
    if (r.function) ok &&= (await sql`select 1 from pg_proc where proname = ${r.function}`).length > 0;
    if (r.setting) ok &&= (await sql`select 1 from pg_settings where name = ${r.setting}`).length > 0;
    this.cache.set(key, ok);
    return ok;
  }

  clear(): void { this.cache.clear(); }
}

/**
 * Runs one SQL collector against a probed target: picks the variant for its version,
 * skips it on the wrong role or unmet requirements, and runs it once per database
 * when its scope is `database` (points then carry `datname`).
 */
export async function runSqlCollector(
  pool: (db?: string) => Sql, def: CollectorDef, probe: Probe, timeoutMs: number, requirements: Requirements,
): Promise<CollectOutcome> {
  if (def.role !== 'any' && def.role !== probe.role) return { status: 'skipped', reason: `runs on ${def.role} only` };
  const variant = selectVariant(def, probe.version_num);
  if (!variant) return { status: 'skipped', reason: `no SQL for server_version_num ${probe.version_num}` };
  const databases = def.scope === 'database' ? probe.databases : [undefined];
  const metrics: MetricsData['metrics'] = [];
  let rows = 0;
  for (const db of databases) {
    if (!(await requirements.check(pool(db), def, db))) return { status: 'skipped', reason: `requirement not met: ${JSON.stringify(def.requires)}` };
    const result = await collectRows(pool(db), variant.sql, Math.min(def.timeout_ms, timeoutMs));
    rows += result.length;
    const fams = rowsToFamilies(def, result);
    if (db !== undefined) for (const f of fams) for (const p of f.points) p.l = { datname: db, ...p.l };
    metrics.push(...fams);
  }
  return { status: 'ok', metrics: mergeFamilies(metrics), rows };
}

/** Families of the same name (one per database) become one family. */
export function mergeFamilies(fams: MetricsData['metrics']): MetricsData['metrics'] {
  const byName = new Map<string, MetricsData['metrics'][number]>();
  for (const f of fams) {
    const have = byName.get(f.name);
    if (have) have.points.push(...f.points);
    else byName.set(f.name, { ...f, points: [...f.points] });
  }
  return [...byName.values()];
}
