import type { ActivityData, ActivityGroup, StatementEntry, StatementsData } from '../protocol/index.ts';
import type { SimInstance } from './instance.ts';
import { int64String, mix, spread, unit } from './prng.ts';

const KINDS = ['select', 'select', 'select', 'insert', 'update', 'delete', 'utility'] as const;
type Kind = (typeof KINDS)[number];
const USERS = ['app', 'app', 'app', 'app_ro', 'report', 'postgres'];

/** The traits of one pg_stat_statements entry of an instance, drawn from its hash (nothing is kept). */
export interface SimStatement {
  j: number;
  datname: string;
  usename: string;
  toplevel: boolean;
  kind: Kind;
  /** Calls per second (log-uniform: most statements are rare). */
  rate: number;
  /** Mean execution time per call, ms. */
  meanMs: number;
  h: number;
}

/**
 * Statement j of an instance. Primary and replica share the application: the same
 * statements (queryids and texts), but a replica runs only the reads, at half the rate.
 */
export function statementAt(inst: SimInstance, j: number): SimStatement {
  const h = mix(inst.clusterHash, j);
  const kind = KINDS[Math.floor(unit(h, 1) * KINDS.length)];
  const rate = spread(unit(h, 7), 1e-3, 50);
  return {
    j, h, kind,
    datname: inst.databases[Math.floor(unit(h, 4) ** 2 * inst.databases.length)],
    usename: kind === 'select' ? USERS[Math.floor(unit(h, 5) * USERS.length)] : 'app',
    toplevel: unit(h, 6) >= 0.05,
    rate: inst.role === 'primary' ? rate : kind === 'select' ? rate / 2 : 0,
    // One read in ten is a report: long, reads much, spills to temp files, is JIT-compiled.
    meanMs: kind === 'select' && unit(h, 3) < 0.1 ? spread(unit(h, 8), 50, 5000) : spread(unit(h, 8), 0.01, 20),
  };
}

/** pg_stat_statements' queryid: a signed 64-bit integer as a decimal string. */
export function queryidOf(s: SimStatement): string {
  return int64String(s.h, mix(s.h, 0x51ed270b));
}

/** The (normalised, as pg_stat_statements keeps it) text of a statement. */
export function statementText(inst: SimInstance, s: SimStatement): string {
  return textOf(s.kind, `t${Math.floor(unit(s.h, 2) * Math.max(1, inst.tables))}`, s.j, s.meanMs > 50);
}

function textOf(kind: Kind, table: string, j: number, heavy: boolean): string {
  const col = `c${j % 7}`;
  switch (kind) {
    case 'select': return heavy
      ? `SELECT ${col}, count(*), sum(amount) FROM ${table} WHERE created_at >= $1 GROUP BY ${col} ORDER BY 2 DESC`
      : `SELECT id, ${col}, payload, created_at FROM ${table} WHERE id = $1`;
    case 'insert': return `INSERT INTO ${table} (${col}, payload, created_at) VALUES ($1, $2, $3)`;
    case 'update': return `UPDATE ${table} SET ${col} = $1, updated_at = now() WHERE id = $2`;
    case 'delete': return `DELETE FROM ${table} WHERE created_at < $1`;
    case 'utility': return ['BEGIN', 'COMMIT', 'ROLLBACK', 'SET application_name = $1', `ANALYZE ${table}`][j % 5];
  }
}

const round6 = (v: number) => Math.round(v * 1e6) / 1e6;

/** The counters one statement grew by in a run: empty when it did not run. Names and units as in protocol/statements.ts. */
export function statementDeltas(s: SimStatement, run: number, intervalMs: number): Record<string, number> {
  const calls = Math.floor(s.rate * intervalMs / 1000 * (0.5 + unit(s.h ^ 1, run)) + unit(s.h ^ 2, run));
  if (calls === 0) return {};
  const hitsPerCall = spread(unit(s.h, 10), 2, s.meanMs > 50 ? 1e5 : 200);
  const hit = Math.round(calls * hitsPerCall * (0.8 + 0.4 * unit(s.h ^ 3, run)));
  const c: Record<string, number> = {
    calls,
    total_exec_time: round6(calls * s.meanMs * (0.6 + 0.8 * unit(s.h ^ 4, run))),
    rows: s.kind === 'utility' ? 0 : Math.round(calls * spread(unit(s.h, 11), 1, s.kind === 'delete' ? 1000 : 50)),
    shared_blks_hit: hit,
    shared_blks_read: unit(s.h ^ 5, run) < 0.3 ? Math.round(hit * 0.05 * unit(s.h ^ 6, run)) : 0,
  };
  if (s.kind === 'insert' || s.kind === 'update' || s.kind === 'delete') {
    c.shared_blks_dirtied = Math.round(calls * (0.2 + unit(s.h ^ 7, run)));
    c.shared_blks_written = unit(s.h ^ 8, run) < 0.1 ? 1 + Math.floor(unit(s.h ^ 9, run) * 10) : 0;
    c.wal_records = calls * (1 + Math.floor(unit(s.h, 12) * 4));
    c.wal_fpi = unit(s.h ^ 10, run) < 0.2 ? 1 + Math.floor(unit(s.h ^ 11, run) * c.wal_records / 10) : 0;
    c.wal_bytes = c.wal_records * (60 + Math.floor(unit(s.h, 13) * 140)) + c.wal_fpi * 8192;
  }
  if (s.meanMs > 50) {
    c.temp_blks_written = unit(s.h ^ 12, run) < 0.5 ? Math.round(calls * spread(unit(s.h, 14), 10, 5000)) : 0;
    c.temp_blks_read = c.temp_blks_written;
    c.jit_functions = calls * 12;
    c.jit_generation_time = round6(calls * (1 + 2 * unit(s.h ^ 13, run)));
    c.jit_inlining_time = round6(calls * 5 * unit(s.h ^ 14, run));
    c.jit_optimization_time = round6(calls * 10 * unit(s.h ^ 15, run));
    c.jit_emission_time = round6(calls * 8 * unit(s.h ^ 16, run));
  }
  for (const k of Object.keys(c)) if (!(c[k] > 0)) delete c[k];
  return c;
}

/** The dimensions the agent ranks entries by (src/agent/statements/delta.ts). */
const TOP_BY = ['total_exec_time', 'calls', 'shared_blks_read', 'temp_blks_written', 'wal_bytes', 'rows', 'total_plan_time'];

/**
 * A `statements` message as the agent builds it: the entries that grew, the union of
 * the top `top` along each ranking, the other top-level ones summed in `other`, and
 * the texts of queryids not sent before (`sentTexts`, one flag per statement, is updated).
 */
export function statementsData(inst: SimInstance, run: number, intervalMs: number, top: number, sentTexts: Uint8Array): StatementsData {
  const grown: { e: StatementEntry; s: SimStatement }[] = [];
  for (let j = 0; j < inst.statements; j++) {
    const s = statementAt(inst, j);
    if (s.rate === 0) continue;
    const c = statementDeltas(s, run, intervalMs);
    if (c.calls) grown.push({ e: { queryid: '', datname: s.datname, usename: s.usename, toplevel: s.toplevel, c }, s });
  }
  const chosen = new Set<(typeof grown)[number]>();
  for (const dim of TOP_BY) {
    const ranked = grown.filter((g) => (g.e.c[dim] ?? 0) > 0).sort((a, b) => b.e.c[dim] - a.e.c[dim]);
    for (const g of ranked.slice(0, top)) chosen.add(g);
  }
  const sent = grown.filter((g) => chosen.has(g));
  for (const g of sent) g.e.queryid = queryidOf(g.s);
  const data: StatementsData = { interval_ms: intervalMs, entries: sent.map((g) => g.e) };
  const rest = grown.filter((g) => !chosen.has(g) && g.e.toplevel);
  if (rest.length) {
    const c: Record<string, number> = {};
    for (const g of rest) for (const [k, v] of Object.entries(g.e.c)) c[k] = round6((c[k] ?? 0) + v);
    data.other = { entries: rest.length, c };
  }
  const texts = sent.filter((g) => !sentTexts[g.s.j]);
  if (texts.length) data.texts = texts.map((g) => { sentTexts[g.s.j] = 1; return { queryid: g.e.queryid, text: statementText(inst, g.s) }; });
  if (inst.version_num >= 140000) data.evicted = 0;
  return data;
}

/**
 * An `activity` message: `samples` samples of pg_stat_activity grouped as the agent
 * groups them. By Little's law a statement keeps rate × mean time sessions busy;
 * idle sessions are not sampled.
 */
export function activityData(inst: SimInstance, run: number, intervalMs: number, sampleMs: number): ActivityData {
  const samples = Math.max(1, Math.round(intervalMs / sampleMs));
  const groups: ActivityGroup[] = [];
  const withQueryid = inst.version_num >= 140000;
  for (let j = 0; j < inst.statements; j++) {
    const s = statementAt(inst, j);
    if (s.rate === 0) continue;
    const n = Math.min(samples * 4, Math.floor(samples * s.rate * s.meanMs / 1000 * (0.5 + unit(s.h ^ 21, run)) + unit(s.h ^ 22, run)));
    if (n < 1) continue;
    const g: ActivityGroup = { state: 'active', datname: s.datname, usename: s.usename, backend_type: 'client backend', n };
    if (withQueryid) g.queryid = queryidOf(s);
    const w = unit(s.h ^ 23, run);
    if (s.kind === 'select' && w < 0.3) Object.assign(g, { wait_event_type: 'IO', wait_event: 'DataFileRead' });
    else if (s.kind !== 'select' && w < 0.15) Object.assign(g, w < 0.05 ? { wait_event_type: 'Lock', wait_event: 'transactionid' } : { wait_event_type: 'LWLock', wait_event: 'WALWrite' });
    groups.push(orderGroup(g));
    if (s.kind !== 'select' && s.kind !== 'utility' && unit(s.h ^ 24, run) < 0.05) {
      groups.push(orderGroup({ state: 'idle in transaction', wait_event_type: 'Client', wait_event: 'ClientRead', ...(withQueryid ? { queryid: queryidOf(s) } : {}), datname: s.datname, usename: s.usename, backend_type: 'client backend', n: 1 + Math.floor(unit(s.h ^ 25, run) * samples) }));
    }
  }
  if (inst.role === 'primary' && inst.peer) groups.push({ state: 'active', wait_event_type: 'Activity', wait_event: 'WalSenderMain', usename: 'replicator', backend_type: 'walsender', n: samples });
  if (inst.role === 'primary' && unit(inst.hash ^ 26, run) < 0.2) groups.push({ state: 'active', datname: inst.databases[Math.floor(unit(inst.hash ^ 27, run) * inst.databases.length)], backend_type: 'autovacuum worker', n: 1 + Math.floor(unit(inst.hash ^ 28, run) * samples) });
  return { interval_ms: intervalMs, sample_ms: sampleMs, samples, groups };
}

/** Fields in the order the agent writes them, so encoded sizes match. */
function orderGroup(g: ActivityGroup): ActivityGroup {
  const o: Partial<ActivityGroup> = { state: g.state };
  for (const k of ['wait_event_type', 'wait_event', 'queryid', 'datname', 'usename'] as const) if (g[k] !== undefined) o[k] = g[k];
  return { ...o, backend_type: g.backend_type, n: g.n } as ActivityGroup;
}
