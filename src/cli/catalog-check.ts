/**
 * One server of `pgfleet catalog test`: the fixture it is given (a pg_monitor login
 * role, tables with activity, pg_stat_statements), and every SQL collector run
 * through the agent's own runner, as that role.
 */
import postgres, { type Sql } from 'postgres';
import { Value } from '@sinclair/typebox/value';
import type { CollectorDef } from '../catalog/index.ts';
// The agent's runner; src/agent/index.ts does not export it (yet), so this reaches into the file.
import { describePgError, openTargetPool, probeTarget, Requirements, runSqlCollector, type Probe } from '../agent/index.ts';
import { MetricsData } from '../protocol/index.ts';
import type { RunningPostgres } from '../pg-embedded/index.ts';

/** The login role the collectors run as: pg_monitor and nothing else, as the agent's role in production. */
export const MONITOR_ROLE = 'pgfleet_monitor';
/** A second database, so that database-scoped collectors run on more than one. */
export const FIXTURE_DATABASE = 'pgfleet_check';

export interface CollectorResult {
  id: string;
  status: 'ok' | 'skipped' | 'failed';
  ms: number;
  rows?: number;
  reason?: string;
  error?: string;
  sqlstate?: string;
}

export interface ServerCheck {
  version: string;
  version_num: number;
  role: Probe['role'];
  results: CollectorResult[];
}

/**
 * Gives a fresh primary something for the collectors to see, in `postgres` and a
 * second database: the monitor role, a table with inserts, updates, deletes and an
 * index, and pg_stat_statements when it is loaded.
 */
export async function prepareFixture(primary: RunningPostgres, withPgStatStatements: boolean): Promise<void> {
  const admin = postgres(primary.url, { max: 1, onnotice: () => {} });
  try {
    await admin.unsafe(`CREATE ROLE ${MONITOR_ROLE} LOGIN; GRANT pg_monitor TO ${MONITOR_ROLE}`);
    await admin.unsafe(`CREATE DATABASE ${FIXTURE_DATABASE}`);
  } finally {
    await admin.end({ timeout: 1 });
  }
  for (const db of ['postgres', FIXTURE_DATABASE]) {
    const sql = postgres(primary.urlFor(db), { max: 1, onnotice: () => {} });
    try {
      if (withPgStatStatements) await sql.unsafe('CREATE EXTENSION IF NOT EXISTS pg_stat_statements');
      await sql.unsafe(`CREATE TABLE pgfleet_check (id int PRIMARY KEY, v text, n int NOT NULL DEFAULT 0)`);
      await sql.unsafe(`INSERT INTO pgfleet_check SELECT g, md5(g::text) FROM generate_series(1, 1000) g`);
      await sql.unsafe(`UPDATE pgfleet_check SET n = n + 1 WHERE id <= 100`);
      await sql.unsafe(`DELETE FROM pgfleet_check WHERE id > 990`);
      await sql.unsafe(`CREATE INDEX pgfleet_check_v ON pgfleet_check (v); ANALYZE pgfleet_check`);
      await sql.unsafe(`SELECT count(*) FROM pgfleet_check WHERE v = md5('5')`);
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
}

export interface CheckLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
}

/** Probes the server as the agent does, then runs each SQL collector once; stops early when `signal` aborts. */
export async function checkServer(server: RunningPostgres, defs: CollectorDef[], limits: CheckLimits, signal: AbortSignal): Promise<ServerCheck> {
  const url = server.url.replace('postgres://postgres@', `postgres://${MONITOR_ROLE}@`);
  const pools = new Map<string, Sql>();
  const pool = (db?: string) => {
    let sql = pools.get(db ?? '');
    if (!sql) pools.set(db ?? '', sql = openTargetPool(url, db, { ...limits, applicationName: 'pgfleet-catalog-test' }));
    return sql;
  };
  try {
    const probe = await probeTarget(pool());
    const requirements = new Requirements();
    const results: CollectorResult[] = [];
    for (const def of defs) {
      signal.throwIfAborted();
      results.push(await runOne(pool, def, probe, limits.statementTimeoutMs, requirements));
    }
    return { version: probe.server_version, version_num: probe.version_num, role: probe.role, results };
  } finally {
    await Promise.all([...pools.values()].map((p) => p.end({ timeout: 2 })));
  }
}

async function runOne(pool: (db?: string) => Sql, def: CollectorDef, probe: Probe, timeoutMs: number, requirements: Requirements): Promise<CollectorResult> {
  const started = Date.now();
  const ms = () => Date.now() - started;
  try {
    const out = await runSqlCollector(pool, def, probe, timeoutMs, requirements);
    if (out.status === 'skipped') return { id: def.id, status: 'skipped', ms: ms(), reason: out.reason };
    // What the keeper would refuse (and dead-letter) is a failure here too.
    const data = { collector: def.id, interval_ms: def.interval_s * 1000, metrics: out.metrics };
    const invalid = [...Value.Errors(MetricsData, data)].slice(0, 3).map((e) => `${e.path} ${e.message}`);
    if (invalid.length) return { id: def.id, status: 'failed', ms: ms(), rows: out.rows, error: `invalid metrics message: ${invalid.join('; ')}` };
    for (const f of out.metrics) {
      const keys = f.points.map((p) => JSON.stringify(p.l ?? {}));
      const twice = keys.find((k, i) => keys.indexOf(k) !== i);
      if (twice) return { id: def.id, status: 'failed', ms: ms(), rows: out.rows, error: `${f.name} has two points with the labels ${twice}` };
    }
    return { id: def.id, status: 'ok', ms: ms(), rows: out.rows };
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      id: def.id, status: 'failed', ms: ms(), error: describePgError(err),
      ...(typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? { sqlstate: code } : {}),
    };
  }
}
