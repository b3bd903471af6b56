// What each allowlisted action does on the target. Every command gets a connection of its own,
// with its lock_timeout and statement_timeout as session settings and an application_name that
// names it, so a DBA sees it in pg_stat_activity and the agent can cancel it by its pid.
import postgres, { type Sql } from 'postgres';
import { writesData, type Action, type Command, type ParamsOf } from '../../protocol/index.ts';
import { redactSql } from '../statements/redact.ts';

/** An action's failure that is not PostgreSQL's own (no SQLSTATE). */
export class ActionError extends Error {
  override name = 'ActionError';
  readonly code = 'PGFLEET_ACTION_FAILED';
}

/** PostgreSQL refused a write because the instance is in recovery, or the agent saw it is. */
export class ReplicaRefusal extends Error {
  override name = 'ReplicaRefusal';
}

export const quoteIdent = (s: string): string => `"${s.replaceAll('"', '""')}"`;
export const quoteLiteral = (s: string): string => `'${s.replaceAll("'", "''")}'`;

/**
 * Settings whose value is a list that ALTER SYSTEM takes element by element ('a', 'b'): one quoted
 * 'a,b' would be stored as a single element named "a,b" (and a server told to preload that library
 * does not start).
 */
export const LIST_SETTINGS = new Set(['shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries', 'search_path', 'temp_tablespaces', 'wal_consistency_checking', 'debug_io_direct', 'synchronized_standby_slots']);

/** A setting's value as ALTER SYSTEM SET takes it: list settings element by element. */
export function settingValueSql(name: string, value: string): string {
  if (!LIST_SETTINGS.has(name)) return quoteLiteral(value);
  const items = value.split(',').map((x) => x.trim().replace(/^"(.*)"$/, '$1')).filter((x) => x !== '');
  return items.length ? items.map(quoteLiteral).join(', ') : "''";
}
const qualified = (schema: string, name: string): string => `${quoteIdent(schema)}.${quoteIdent(name)}`;

export interface ActionSession {
  sql: Sql;
  pid: number;
  replica: boolean;
  versionNum: number;
}

/** Opens the command's own connection and reads its pid, the instance's role and version. */
export async function openActionSession(url: string, c: Command, database: string | undefined, readOnly: boolean): Promise<ActionSession> {
  const sql = postgres(url, {
    ...(database ? { database } : {}),
    max: 1, idle_timeout: 5, connect_timeout: 10, prepare: false, fetch_types: false, onnotice: () => {},
    connection: {
      application_name: `pgfleet-command ${c.id.slice(0, 8)}`,
      lock_timeout: c.lock_timeout_ms,
      statement_timeout: c.statement_timeout_ms,
      idle_in_transaction_session_timeout: 60_000,
      // quoteLiteral doubles quotes only: backslashes must be plain characters whatever the server's default.
      standard_conforming_strings: 'on',
      ...(readOnly ? { default_transaction_read_only: 'on' } : {}),
    } as Record<string, string | number>,
  });
  try {
    const [r] = await sql`select pg_backend_pid() as pid, pg_is_in_recovery() as replica, current_setting('server_version_num')::int as v`;
    return { sql, pid: r.pid as number, replica: r.replica as boolean, versionNum: r.v as number };
  } catch (err) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw err;
  }
}

/** The database an action connects to (the target's own when it names none). */
export function databaseOf(c: Command): string | undefined {
  const p = c.params as { database?: string };
  return typeof p?.database === 'string' ? p.database : undefined;
}

/** Runs one verified command on its session; returns what the action answers. */
export async function runAction(s: ActionSession, c: Command): Promise<Record<string, unknown>> {
  const action = c.action as Action;
  if (s.replica && writesData(action, c.params as Record<string, unknown>)) {
    throw new ReplicaRefusal(`${action} writes: it runs on the primary, and this instance is a replica`);
  }
  const p = c.params as never;
  switch (action) {
    case 'cancel_backend': return signalBackend(s, p, false);
    case 'terminate_backend': return signalBackend(s, p, true);
    case 'vacuum': return vacuum(s, p);
    case 'analyze': return analyze(s, p);
    case 'reindex': return reindex(s, p);
    case 'create_index': return createIndex(s, p);
    case 'drop_index': return dropIndex(s, p);
    case 'alter_system': return alterSystem(s, p);
    case 'reload_conf': {
      const [r] = await s.sql`select pg_reload_conf() as ok`;
      return { reloaded: r.ok as boolean };
    }
    case 'reset_stats': return resetStats(s, p);
    case 'explain': return explain(s, p);
    case 'script': return script(s, p);
    default: throw new ActionError(`${action} is not an action on the database`);
  }
}

async function signalBackend(s: ActionSession, p: ParamsOf<'cancel_backend'>, terminate: boolean): Promise<Record<string, unknown>> {
  const [who] = await s.sql`select usename, datname, application_name, state, left(query, 200) as query from pg_stat_activity where pid = ${p.pid}`;
  if (!who) throw new ActionError(`no backend with pid ${p.pid} on this instance`);
  if (p.pid === s.pid) throw new ActionError('a command does not signal its own session');
  // pg_terminate_backend(pid, timeout) waits until the backend is gone (PostgreSQL 14+).
  const [r] = terminate
    ? (s.versionNum >= 140000 ? await s.sql`select pg_terminate_backend(${p.pid}, 5000) as ok` : await s.sql`select pg_terminate_backend(${p.pid}) as ok`)
    : await s.sql`select pg_cancel_backend(${p.pid}) as ok`;
  if (!r.ok) throw new ActionError(`PostgreSQL did not signal pid ${p.pid} (it ended, or the agent's role may not signal it)`);
  // The query text as the activity samples show it: literals redacted.
  const out: Record<string, unknown> = { pid: p.pid, user: who.usename, database: who.datname, application_name: who.application_name, state: who.state, query: who.query === null ? null : redactSql(who.query as string) };
  if (terminate) {
    const [left] = await s.sql`select count(*)::int as n from pg_stat_activity where pid = ${p.pid}`;
    out.gone = left.n === 0;
  }
  return out;
}

const tableList = (tables?: { schema: string; table: string }[]): string => (tables ?? []).map((t) => qualified(t.schema, t.table)).join(', ');

async function vacuum(s: ActionSession, p: ParamsOf<'vacuum'>): Promise<Record<string, unknown>> {
  const opts = [p.analyze ? 'ANALYZE' : '', p.freeze ? 'FREEZE' : ''].filter(Boolean);
  const text = `VACUUM ${opts.length ? `(${opts.join(', ')}) ` : ''}${tableList(p.tables)}`.trim();
  await s.sql.unsafe(text);
  return { statement: text, tables: p.tables?.length ?? 'database' };
}

async function analyze(s: ActionSession, p: ParamsOf<'analyze'>): Promise<Record<string, unknown>> {
  const text = `ANALYZE ${tableList(p.tables)}`.trim();
  await s.sql.unsafe(text);
  return { statement: text, tables: p.tables?.length ?? 'database' };
}

/** Invalid indexes a failed concurrent build left on a table (REINDEX's `_ccnew`, or the index being created). */
async function dropLeftovers(s: ActionSession, table: string, only?: string): Promise<string[]> {
  const rows = await s.sql`
    select format('%I.%I', n.nspname, c.relname) as name from pg_index i join pg_class c on c.oid = i.indexrelid join pg_namespace n on n.oid = c.relnamespace
    where i.indrelid = to_regclass(${table}) and not i.indisvalid and (c.relname ~ '_ccnew[0-9]*$' or c.relname = ${only ?? ''})`;
  const dropped: string[] = [];
  for (const r of rows) {
    try {
      await s.sql.unsafe(`DROP INDEX CONCURRENTLY IF EXISTS ${r.name as string}`);
      dropped.push(r.name as string);
    } catch { /* left for the DBA; the error already reported says what failed */ }
  }
  return dropped;
}

async function reindex(s: ActionSession, p: ParamsOf<'reindex'>): Promise<Record<string, unknown>> {
  if ((p.index === undefined) === (p.table === undefined)) throw new ActionError('reindex needs either an index or a table');
  const target = qualified(p.schema, (p.index ?? p.table)!);
  const text = `REINDEX ${p.index ? 'INDEX' : 'TABLE'} CONCURRENTLY ${target}`;
  const [t] = p.index
    ? await s.sql`select format('%I.%I', n.nspname, c.relname) as t, pg_relation_size(i.indexrelid)::float8 as bytes from pg_index i join pg_class c on c.oid = i.indrelid join pg_namespace n on n.oid = c.relnamespace where i.indexrelid = to_regclass(${target})`
    : await s.sql`select ${target}::text as t, pg_indexes_size(to_regclass(${target}))::float8 as bytes where to_regclass(${target}) is not null`;
  if (!t) throw new ActionError(`no ${p.index ? 'index' : 'table'} ${target}`);
  try {
    await s.sql.unsafe(text);
  } catch (err) {
    const dropped = await dropLeftovers(s, t.t as string);
    if (dropped.length) (err as Error).message += ` (dropped the invalid leftover ${dropped.join(', ')})`;
    throw err;
  }
  const [after] = p.index
    ? await s.sql`select pg_relation_size(to_regclass(${target}))::float8 as bytes`
    : await s.sql`select pg_indexes_size(to_regclass(${target}))::float8 as bytes`;
  return { statement: text, bytes_before: t.bytes, bytes_after: after.bytes };
}

async function createIndex(s: ActionSession, p: ParamsOf<'create_index'>): Promise<Record<string, unknown>> {
  const table = qualified(p.schema, p.table);
  // A name is always given, so a build that fails can be found and dropped.
  const name = p.name ?? `${p.table}_${p.columns.join('_')}_idx`.slice(0, 63);
  const text = `CREATE ${p.unique ? 'UNIQUE ' : ''}INDEX CONCURRENTLY ${quoteIdent(name)} ON ${table}${p.method ? ` USING ${p.method}` : ''} (${p.columns.map(quoteIdent).join(', ')})`;
  try {
    await s.sql.unsafe(text);
  } catch (err) {
    const dropped = await dropLeftovers(s, table, name);
    if (dropped.length) (err as Error).message += ` (dropped the invalid ${dropped.join(', ')})`;
    throw err;
  }
  const [r] = await s.sql`select pg_relation_size(to_regclass(${qualified(p.schema, name)}))::float8 as bytes`;
  return { statement: text, index: `${p.schema}.${name}`, bytes: r.bytes };
}

async function dropIndex(s: ActionSession, p: ParamsOf<'drop_index'>): Promise<Record<string, unknown>> {
  const text = `DROP INDEX CONCURRENTLY ${qualified(p.schema, p.index)}`;
  const [r] = await s.sql`select pg_relation_size(to_regclass(${qualified(p.schema, p.index)}))::float8 as bytes`;
  await s.sql.unsafe(text);
  return { statement: text, bytes_freed: r.bytes };
}

interface SettingNow { name: string; setting: string; unit: string | null; context: string; pending_restart: boolean }

async function readSettings(s: ActionSession, names: string[]): Promise<Map<string, SettingNow>> {
  // As JSON: the action's connection fetches no array types, so postgres.js cannot send a text[].
  const rows = await s.sql<SettingNow[]>`select name, setting, unit, context, pending_restart from pg_settings where name in (select jsonb_array_elements_text(${JSON.stringify(names)}::text::jsonb))`;
  return new Map(rows.map((r) => [r.name, r]));
}

/** ALTER SYSTEM each setting; a failure puts back those already written, so the file is never half changed. */
async function alterSystem(s: ActionSession, p: ParamsOf<'alter_system'>): Promise<Record<string, unknown>> {
  const names = p.settings.map((x) => x.name.toLowerCase());
  const before = await readSettings(s, names);
  const unknown = names.filter((n) => !before.has(n) && !n.includes('.'));
  if (unknown.length) throw new ActionError(`unknown setting${unknown.length > 1 ? 's' : ''}: ${unknown.join(', ')}`);
  // What postgresql.auto.conf held, to put back on failure.
  const file = await s.sql`select name, setting from pg_file_settings where sourcefile like '%postgresql.auto.conf' and name in (select jsonb_array_elements_text(${JSON.stringify(names)}::text::jsonb))`.catch(() => []);
  const inFile = new Map(file.map((r) => [r.name as string, r.setting as string]));
  const done: string[] = [];
  try {
    for (const x of p.settings) {
      const n = x.name.toLowerCase();
      await s.sql.unsafe(x.value === null ? `ALTER SYSTEM RESET ${quoteIdent(n)}` : `ALTER SYSTEM SET ${quoteIdent(n)} = ${settingValueSql(n, x.value)}`);
      done.push(n);
    }
  } catch (err) {
    for (const n of done) {
      const old = inFile.get(n);
      await s.sql.unsafe(old === undefined ? `ALTER SYSTEM RESET ${quoteIdent(n)}` : `ALTER SYSTEM SET ${quoteIdent(n)} = ${settingValueSql(n, old)}`).catch(() => {});
    }
    if (done.length) (err as Error).message += ` (the settings already written were put back: ${done.join(', ')})`;
    throw err;
  }
  let reloaded = false;
  if (p.reload !== false) {
    await s.sql`select pg_reload_conf()`;
    reloaded = true;
  }
  // The postmaster applies a reload asynchronously: re-read (up to 2 s) until every value changed or waits for a restart.
  let after = await readSettings(s, names);
  for (let i = 0; reloaded && i < 20; i++) {
    if (names.every((n) => after.get(n)?.pending_restart || after.get(n)?.setting !== before.get(n)?.setting)) break;
    await new Promise((r) => setTimeout(r, 100));
    after = await readSettings(s, names);
  }
  const wanted = (n: string) => p.settings.find((x) => x.name.toLowerCase() === n)!.value;
  const settings = names.map((n) => ({
    name: n, requested: wanted(n), before: before.get(n)?.setting ?? null, after: after.get(n)?.setting ?? null,
    unit: after.get(n)?.unit ?? null, context: after.get(n)?.context ?? null, pending_restart: after.get(n)?.pending_restart ?? false,
  }));
  return { reloaded, settings, restart_needed: settings.filter((x) => x.pending_restart).map((x) => x.name) };
}

async function resetStats(s: ActionSession, p: ParamsOf<'reset_stats'>): Promise<Record<string, unknown>> {
  if (p.kind === 'database') await s.sql`select pg_stat_reset()`;
  else if (p.kind === 'statements') await s.sql`select pg_stat_statements_reset()`;
  else await s.sql`select pg_stat_reset_shared(${p.kind})`;
  return { reset: p.kind };
}

/** The highest parameter number ($1…) in a query text, outside string literals and comments; 0 without any. */
function maxParameter(q: string): number {
  const bare = q.replace(/'(?:[^']|'')*'|--[^\n]*|\/\*[\s\S]*?\*\//g, '');
  return Math.max(0, ...[...bare.matchAll(/\$(\d+)/g)].map((m) => Number(m[1])));
}
const hasParameters = (q: string): boolean => maxParameter(q) > 0;

async function explain(s: ActionSession, p: ParamsOf<'explain'>): Promise<Record<string, unknown>> {
  const generic = !p.params?.length && hasParameters(p.query);
  if (generic && (p.analyze || s.versionNum < 160000)) {
    throw new ActionError(p.analyze ? 'the query has parameters ($1…): EXPLAIN ANALYZE needs their values in params'
      : 'the query has parameters ($1…): give their values in params (a generic plan needs PostgreSQL 16+)');
  }
  const opts = ['FORMAT JSON', p.analyze ? 'ANALYZE' : '', p.analyze && p.buffers !== false ? 'BUFFERS' : '', generic ? 'GENERIC_PLAN' : ''].filter(Boolean);
  const text = `EXPLAIN (${opts.join(', ')}) ${p.query.trim().replace(/;+\s*$/, '')}`;
  // The extended protocol takes exactly one statement: `select 1; commit; drop table t` is refused by
  // PostgreSQL instead of ending the read-only transaction (the simple protocol would run all three).
  // A generic plan binds no values, but the protocol needs one per parameter: nulls, which it ignores.
  const values = generic ? Array.from({ length: maxParameter(p.query) }, () => null) : (p.params ?? []);
  const run = async (sql: Sql) => (await sql.unsafe(text, values as string[], { simple: false } as never))[0]['QUERY PLAN'];
  let plan: unknown;
  if (p.analyze && p.allow_writes) {
    // The statement really runs: in a transaction that is rolled back, so its changes are not kept.
    await s.sql.begin(async (tx) => {
      plan = await run(tx as unknown as Sql);
      throw new RolledBack();
    }).catch((err) => { if (!(err instanceof RolledBack)) throw err; });
  } else {
    plan = await run(s.sql);
  }
  return { plan: typeof plan === 'string' ? plan : JSON.stringify(plan), analyzed: p.analyze === true, generic };
}

class RolledBack extends Error {}

async function script(s: ActionSession, p: ParamsOf<'script'>): Promise<Record<string, unknown>> {
  const result = p.params?.length ? await s.sql.unsafe(p.sql, p.params as string[]) : await s.sql.unsafe(p.sql);
  // Several statements without parameters answer one result each: the last one is shown.
  const last = Array.isArray(result[0]) || (result as unknown as { count?: number }[]).some((r) => Array.isArray(r)) ? (result as unknown as unknown[]).at(-1) as typeof result : result;
  const rows = [...(last as unknown as Record<string, unknown>[])];
  return {
    script: p.name, command: (last as unknown as { command?: string }).command ?? null, row_count: (last as unknown as { count?: number }).count ?? rows.length,
    rows: rows.slice(0, 100).map((r) => Object.fromEntries(Object.entries(r).map(([k, v]) => [k, v === null || typeof v === 'number' || typeof v === 'boolean' ? v : String(v)]))),
    truncated: rows.length > 100,
  };
}
