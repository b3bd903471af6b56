// Refinement from the measured workload: what the server's statistics say overrides what the hardware
// alone suggests, and each such recommendation cites the numbers.
import { GB, MB } from './baseline.ts';
import { formatSize } from './render.ts';
import type { Draft, Profile } from './types.ts';

/** What the server's cumulative statistics showed, over `seconds` (since they were reset or the server started). */
export interface WorkloadStats {
  seconds: number;
  /** pg_stat_database, all databases. */
  tempFiles: number;
  tempBytes: number;
  blocksHit: number;
  blocksRead: number;
  /** pg_stat_statements entries that wrote temporary files, most first; absent without the extension. */
  statements?: { queryid: string; query: string; role: string; database: string; calls: number; tempBytesWritten: number }[];
  /** pg_stat_bgwriter (pg_stat_checkpointer from 17). */
  checkpointsTimed: number;
  checkpointsRequested: number;
  /** pg_stat_wal.wal_bytes (14+), over walSeconds (pg_stat_wal has a reset time of its own). */
  walBytes?: number;
  walSeconds?: number;
  /** The server's current values of the settings the rules compare with. */
  maxWalSizeBytes: number;
  checkpointTimeoutMs: number;
  workMemBytes: number;
  maxConnections: number;
  /** Backends connected now, and the most seen, when known. */
  connections: number;
  /** User tables with dead tuples or old frozen XIDs worth a look (the caller keeps the worst few dozen). */
  tables: { database?: string; schema: string; name: string; liveTuples: number; deadTuples: number; autovacuumEnabled: boolean; lastAutovacuum: string | null; freezeAge: number }[];
  autovacuumFreezeMaxAge: number;
}

/** A setting for one table (ALTER TABLE … SET), with the numbers behind it. */
export interface TableRecommendation {
  /** The database the table is in, when known (the SQL must run there). */
  database: string | null;
  table: string;
  settings: Record<string, string>;
  reason: string;
  sql: string;
  rollbackSql: string;
}

/** One role's setting, where one workload needs more than the rest (ALTER ROLE … IN DATABASE … SET). */
export interface RoleRecommendation {
  role: string;
  database: string;
  settings: Record<string, string>;
  reason: string;
  sql: string;
  rollbackSql: string;
}

/** Names a query must quote: reserved words (user, order, …) and anything but lower-case letters, digits and _. */
const RESERVED = new Set(['all', 'analyse', 'analyze', 'and', 'any', 'array', 'as', 'asc', 'asymmetric', 'both', 'case', 'cast', 'check', 'collate', 'column',
  'constraint', 'create', 'current_catalog', 'current_date', 'current_role', 'current_time', 'current_timestamp', 'current_user', 'default', 'deferrable', 'desc',
  'distinct', 'do', 'else', 'end', 'except', 'false', 'fetch', 'for', 'foreign', 'from', 'grant', 'group', 'having', 'in', 'initially', 'intersect', 'into',
  'lateral', 'leading', 'limit', 'localtime', 'localtimestamp', 'not', 'null', 'offset', 'on', 'only', 'or', 'order', 'placing', 'primary', 'references',
  'returning', 'select', 'session_user', 'some', 'symmetric', 'system_user', 'table', 'then', 'to', 'trailing', 'true', 'union', 'unique', 'user', 'using',
  'variadic', 'when', 'where', 'window', 'with']);
const ident = (s: string) => (/^[a-z_][a-z0-9_]*$/.test(s) && !RESERVED.has(s) ? s : `"${s.replaceAll('"', '""')}"`);
const ceilMb = (b: number) => Math.ceil(b / MB) * MB;
const per = (n: number, seconds: number) => (seconds >= 3600 ? `${(n / (seconds / 3600)).toFixed(1)} per hour` : `${n} in ${Math.round(seconds)} s`);

/**
 * Adjusts the baseline drafts from the statistics and gives the per-table and per-role settings they
 * call for, plus notes. Changes drafts in place (the memory guard runs after this).
 */
export function refineFromWorkload(p: Profile, drafts: Draft[], s: WorkloadStats): { tables: TableRecommendation[]; roles: RoleRecommendation[]; notes: string[] } {
  const notes: string[] = [];
  const tables: TableRecommendation[] = [];
  const roles: RoleRecommendation[] = [];
  const draft = (name: string) => drafts.find((d) => d.name === name);

  // Temporary files → work_mem. A sort that spilled N bytes to disk needs about 1.5 N of memory to stay
  // in it. The baseline work_mem is already what the memory guard lets every backend have: a spill it
  // covers is cited as evidence for it; a larger one gets its role (in its database) the memory instead.
  const work = draft('work_mem');
  if (s.tempBytes > 0 && work && typeof work.value === 'number') {
    const given = work.value;
    const spilling = (s.statements ?? []).filter((x) => x.calls > 0 && x.tempBytesWritten > 0);
    const total = `all databases wrote ${formatSize(s.tempBytes)} in ${s.tempFiles} temporary files (pg_stat_database)`;
    if (spilling.length > 0) {
      const cite = (x: (typeof spilling)[number]) => `query ${x.queryid} (${x.query.slice(0, 80).replace(/\s+/g, ' ')}) wrote ${formatSize(x.tempBytesWritten)} of temporary files over ${x.calls} calls, ${formatSize(x.tempBytesWritten / x.calls)} per call`;
      // Per role and database: the largest spill per call of any of its statements.
      const groups = new Map<string, (typeof spilling)[number]>();
      for (const x of spilling) {
        const key = `${x.role}\0${x.database}`;
        const g = groups.get(key);
        if (!g || x.tempBytesWritten / x.calls > g.tempBytesWritten / g.calls) groups.set(key, x);
      }
      const over = [...groups.values()].filter((x) => (x.tempBytesWritten / x.calls) * 1.5 > given)
        .sort((x, y) => y.tempBytesWritten / y.calls - x.tempBytesWritten / x.calls).slice(0, 3);
      // One role's work_mem still applies per sort or hash, in each of its backends and workers: at most 5 % of RAM.
      const roleCap = Math.max(given, Math.floor((p.ramBytes * 0.05) / MB) * MB);
      for (const x of over) {
        const wanted = ceilMb((x.tempBytesWritten / x.calls) * 1.5);
        const need = Math.min(wanted, roleCap);
        roles.push({ role: x.role, database: x.database, settings: { work_mem: `${need / MB}MB` },
          reason: `pg_stat_statements: ${cite(x)}; ${total}. ${formatSize(wanted)} (1.5 × the spill per call) is more than the memory guard lets every backend have (${formatSize(given)}), so this role gets ${need < wanted ? `${formatSize(need)}, at most 5 % of RAM (a spill this large is better cut down: an index for the sort, less data per query)` : 'it'} in this database`,
          sql: `ALTER ROLE ${ident(x.role)} IN DATABASE ${ident(x.database)} SET work_mem = '${need / MB}MB';`,
          rollbackSql: `ALTER ROLE ${ident(x.role)} IN DATABASE ${ident(x.database)} RESET work_mem;` });
      }
      const covered = spilling.filter((x) => (x.tempBytesWritten / x.calls) * 1.5 <= given);
      work.reason += covered.length
        ? `. Measured: ${cite(covered[0])}${covered.length > 1 ? `, and ${covered.length - 1} more queries spill less` : ''}; ${total}: this work_mem keeps ${covered.length === spilling.length ? 'all of them' : `${covered.length} of the ${spilling.length} spilling queries`} in memory`
        : `. Measured: ${total}; the queries that spill need more than this (per role, below)`;
      work.confidence = 'high';
    } else if (s.tempFiles > 0) {
      const avg = s.tempBytes / s.tempFiles;
      work.reason += `. Measured: ${s.tempFiles} temporary files, ${formatSize(s.tempBytes)} in all (${formatSize(avg)} on average): ${avg * 1.5 <= given ? 'this work_mem keeps the average one in memory' : 'the average one needs more than this; per role or per query (SET LOCAL work_mem)'}. Install pg_stat_statements to see which queries spill`;
    }
  }

  // Requested checkpoints → max_wal_size. A checkpoint is requested when the WAL written since the
  // last one nears max_wal_size; timed ones are what checkpoint_timeout is for.
  const allCheckpoints = s.checkpointsTimed + s.checkpointsRequested;
  if (s.checkpointsRequested >= 3 && s.checkpointsRequested > 0.1 * allCheckpoints) {
    const d = draft('max_wal_size');
    const timeout = (draft('checkpoint_timeout')?.value as number | undefined) ?? s.checkpointTimeoutMs;
    const walSeconds = s.walSeconds ?? s.seconds;
    // WAL between two checkpoints spreads over (1 + checkpoint_completion_target) of an interval. A
    // window shorter than one interval says only that its WAL fits in one.
    let need: number;
    let how: string;
    if (s.walBytes !== undefined && walSeconds >= timeout / 1000) {
      const rate = s.walBytes / walSeconds;
      need = rate * (timeout / 1000) * 1.9;
      how = `WAL is written at ${formatSize(rate)}/s on average, ${formatSize(rate * (timeout / 1000))} per ${timeout / 60_000} min checkpoint interval`;
    } else if (s.walBytes !== undefined) {
      need = s.walBytes * 1.9;
      how = `${formatSize(s.walBytes)} of WAL was written in the ${Math.round(walSeconds)} s the statistics cover, less than one ${timeout / 60_000} min checkpoint interval`;
    } else {
      need = s.maxWalSizeBytes * 4;
      how = 'without pg_stat_wal (before 14) the WAL rate is not known: at least 4 × the current size';
    }
    if (d && typeof d.value === 'number') {
      // Never below what the server has: its requested checkpoints show that even that was too small at peaks.
      const value = Math.min(1024 * GB, Math.max(d.value, s.maxWalSizeBytes, Math.ceil(need / GB) * GB));
      d.reason = `${s.checkpointsRequested} of ${allCheckpoints} checkpoints were requested (WAL reached max_wal_size, ${formatSize(s.maxWalSizeBytes)}), not timed (${per(s.checkpointsRequested, s.seconds)}); ${how}; max_wal_size ${formatSize(value)} lets checkpoint_timeout start them${value === d.value ? ` (the ${p.workload} baseline already covers it)` : value === s.maxWalSizeBytes ? ' (kept at the current size: the measured average asks for less, but peaks did not fit it; pg_stat_wal over a busier window would tell how much more)' : ''}. Requested checkpoints also come from CHECKPOINT, base backups and CREATE DATABASE`;
      d.value = value;
      d.confidence = walSeconds >= timeout / 1000 ? 'high' : 'medium';
    }
  }

  // Tables with many dead tuples → per-table autovacuum settings.
  for (const t of s.tables) {
    const name = `${ident(t.schema)}.${ident(t.name)}`;
    const ratio = t.deadTuples / Math.max(1, t.liveTuples);
    if (t.deadTuples >= 10_000 && (ratio >= 0.2 || t.deadTuples >= 1_000_000)) {
      const settings: Record<string, string> = { autovacuum_vacuum_scale_factor: '0.01', autovacuum_vacuum_threshold: '1000' };
      if (!t.autovacuumEnabled) settings.autovacuum_enabled = 'on';
      tables.push({ database: t.database ?? null, table: name, settings,
        reason: `${t.deadTuples} dead tuples against ${t.liveTuples} live (${(ratio * 100).toFixed(0)} %)${t.autovacuumEnabled ? '' : ', and autovacuum is off for this table'}; last autovacuum ${t.lastAutovacuum ?? 'never'}: vacuum it after 1 % of its rows change instead of the global scale factor`,
        sql: `ALTER TABLE ${name} SET (${Object.entries(settings).map(([k, v]) => `${k} = ${v}`).join(', ')});`,
        // autovacuum was off: the rollback turns it off again rather than back to the default.
        rollbackSql: `ALTER TABLE ${name} RESET (autovacuum_vacuum_scale_factor, autovacuum_vacuum_threshold);${t.autovacuumEnabled ? '' : ` ALTER TABLE ${name} SET (autovacuum_enabled = off);`}` });
    }
    if (t.freezeAge > 0.8 * s.autovacuumFreezeMaxAge) {
      notes.push(`${name}: its oldest unfrozen transaction ID is ${t.freezeAge} transactions old (autovacuum_freeze_max_age ${s.autovacuumFreezeMaxAge}): an anti-wraparound VACUUM is near; VACUUM (FREEZE) it at a quiet time`);
    }
  }

  // Connections near the limit → a pooler, not a higher max_connections.
  if (s.connections >= 0.8 * s.maxConnections) {
    notes.push(`${s.connections} of max_connections ${s.maxConnections} backends are connected: a pooler (PgBouncer in transaction mode) serves more clients with fewer backends, and each backend is memory work_mem can use`);
  }
  const reads = s.blocksHit + s.blocksRead;
  if (reads > 1_000_000 && s.blocksHit / reads < 0.9) {
    notes.push(`buffer hit ratio ${((s.blocksHit / reads) * 100).toFixed(1)} % (pg_stat_database): reads often miss shared_buffers; with RAM to spare, a larger shared_buffers helps, otherwise the data outgrows RAM`);
  }
  return { tables, roles, notes };
}
