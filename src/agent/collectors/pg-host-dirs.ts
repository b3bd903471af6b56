/**
 * Where an instance keeps its files, and whether it runs on this host: the
 * host metrics of pg_storage and pg_process mean something only then.
 */
import { readFile, realpath } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import type { Sql } from 'postgres';
import { USER_HZ } from './os/index.ts';
import { parseBootTime, parsePidStat, parsePostmasterPid } from './pg-host-parsers.ts';
import type { StorageLocation } from './pg-host-storage.ts';

/** What readPgDirs found; paths are symlink-free when `local`. */
export interface PgDirs {
  /**
   * The server runs on this host and in this PID namespace: the agent's own
   * backend is in /proc with the start time pg_stat_activity gives it.
   */
  local: boolean;
  /** From postmaster.pid when readable, else the parent of the agent's own backend. */
  postmasterPid?: number;
  /** data_directory: needs pg_read_all_settings (part of pg_monitor) or superuser. */
  dataDirectory?: string;
  /** data_directory/pg_wal with its symlink resolved; needs read access to PGDATA (the postgres OS user, or root). */
  wal?: string;
  tablespaces: { name: string; path: string }[];
  /** What could not be read, and why; nothing here is an error of the target. */
  problems: string[];
}

/** A process started within this of what PostgreSQL says is the same process (btime is whole seconds). */
const START_TOLERANCE_S = 5;

async function readText(path: string): Promise<string | undefined> {
  try { return await readFile(path, 'utf8'); } catch { return undefined; }
}

function errCode(err: unknown): string {
  return (err as NodeJS.ErrnoException)?.code ?? String(err);
}

/**
 * Reads data_directory, the pg_wal location and tablespace locations of the
 * target, checks that it runs on this host, and finds its postmaster's pid.
 * Returns what is readable; never throws for a permission (SQL errors such as
 * a lost connection are thrown).
 */
export async function readPgDirs(sql: Sql, o: { procRoot?: string } = {}): Promise<PgDirs> {
  const proc = o.procRoot ?? '/proc';
  // pg_settings hides data_directory from roles without pg_read_all_settings instead of failing.
  const [r] = await sql`
    select pg_backend_pid() as pid,
      (select extract(epoch from backend_start)::float8 from pg_stat_activity where pid = pg_backend_pid()) as backend_start,
      (select setting from pg_settings where name = 'data_directory') as data_directory,
      coalesce((select json_agg(json_build_object('name', spcname, 'location', pg_tablespace_location(oid)) order by spcname)
        from pg_tablespace where pg_tablespace_location(oid) <> ''), '[]') as tablespaces`;
  const problems: string[] = [];
  const dirs: PgDirs = { local: false, tablespaces: [], problems };

  const backendPid = Number(r.pid);
  const stat = parsePidStat(await readText(join(proc, String(backendPid), 'stat')) ?? '');
  const btime = parseBootTime(await readText(join(proc, 'stat')) ?? '');
  const backendStart = r.backend_start == null ? undefined : Number(r.backend_start);
  if (stat && btime !== undefined && backendStart !== undefined
    && Math.abs(btime + stat.starttime / USER_HZ - backendStart) <= START_TOLERANCE_S) {
    dirs.local = true;
  } else {
    problems.push(`the server is not on this host (or not in this PID namespace): backend ${backendPid} not found in ${proc}`);
  }

  const dataDir = r.data_directory as string | null;
  if (!dataDir) problems.push('data_directory is not readable: the role needs pg_monitor (pg_read_all_settings) or superuser');
  const locations = (r.tablespaces as { name: string; location: string }[]) ?? [];
  if (!dirs.local) {
    if (dataDir) dirs.dataDirectory = dataDir;
    dirs.tablespaces = locations.map((t) => ({ name: t.name, path: t.location }));
    return dirs;
  }

  if (dataDir) {
    dirs.dataDirectory = await realpath(dataDir).catch((err) => {
      problems.push(`realpath ${dataDir}: ${errCode(err)}`);
      return dataDir;
    });
    try {
      dirs.wal = await realpath(join(dirs.dataDirectory, 'pg_wal'));
    } catch (err) {
      // An unresolved pg_wal may be a symlink to another disk: better no WAL series than a wrong one.
      problems.push(`pg_wal location not resolved (${errCode(err)}): the agent needs read access to ${dirs.dataDirectory}`);
    }
    const pidFile = await readText(join(dirs.dataDirectory, 'postmaster.pid'));
    if (pidFile) dirs.postmasterPid = parsePostmasterPid(pidFile);
  }
  dirs.postmasterPid ??= stat?.ppid;

  for (const t of locations) {
    // In-place tablespaces (allow_in_place_tablespaces) report a path relative to PGDATA.
    const given = isAbsolute(t.location) || !dirs.dataDirectory ? t.location : join(dirs.dataDirectory, t.location);
    if (!isAbsolute(given)) continue;
    try {
      dirs.tablespaces.push({ name: t.name, path: await realpath(given) });
    } catch (err) {
      if (errCode(err) === 'ENOENT') { problems.push(`tablespace ${t.name}: ${given} does not exist on this host`); continue; }
      problems.push(`tablespace ${t.name}: realpath ${given}: ${errCode(err)}; its path is used as given`);
      dirs.tablespaces.push({ name: t.name, path: given });
    }
  }
  return dirs;
}

/** The locations pg_storage measures: PGDATA, pg_wal and each tablespace, when the server is local. */
export function storageLocationsOf(dirs: PgDirs): StorageLocation[] {
  if (!dirs.local) return [];
  const out: StorageLocation[] = [];
  if (dirs.dataDirectory) out.push({ role: 'data', path: dirs.dataDirectory });
  if (dirs.wal) out.push({ role: 'wal', path: dirs.wal });
  for (const t of dirs.tablespaces) out.push({ role: `tablespace:${t.name}`, path: t.path });
  return out;
}
