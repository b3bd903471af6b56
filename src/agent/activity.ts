import type { Sql } from 'postgres';
import { cutText, type ActivityData, type ActivityGroup, type ActivitySession } from '../protocol/index.ts';
import { collectRows } from './collect.ts';
import { redactSql } from './statements/redact.ts';

/** The longest statement text a session snapshot carries (redacted first, then cut). */
export const SESSION_QUERY_MAX = 2000;

/**
 * The most a snapshot may add to an activity message (whose limit is 1 MiB): a lock pile-up of
 * hundreds of sessions must not cost the message, and with it the wait-event timeline.
 */
export const SESSIONS_MAX_BYTES = 256 * 1024;

/**
 * Samples pg_stat_activity (every second by default) and aggregates the samples
 * per interval: how many samples saw a session in each (state, wait event,
 * queryid, database, user, backend type). Idle sessions are left out: they are
 * counted by the pg_activity collector and would only add rows. So are the agent's
 * own sessions (application_name pgfleet-agent): its collectors start on the same
 * tick as the sampler and would be seen far more often than they run.
 * query_id is in pg_stat_activity from 14 on (filled when compute_query_id is on,
 * which `auto` does when pg_stat_statements is loaded).
 */
export class ActivitySampler {
  private groups = new Map<string, ActivityGroup>();
  private samples = 0;
  private since: number;

  constructor(readonly sampleMs: number, now: number) {
    this.since = now;
  }

  static query(versionNum: number): string {
    return `SELECT coalesce(state, '') AS state, wait_event_type, wait_event, ${versionNum >= 140000 ? 'query_id::text' : 'NULL::text'} AS queryid,
       datname, usename, coalesce(backend_type, '') AS backend_type
  FROM pg_stat_activity
 WHERE pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'
   AND application_name IS DISTINCT FROM 'pgfleet-agent'`;
  }

  /**
   * The sessions that are not idle right now, with the sessions each waits for when it waits
   * for a lock (pg_blocking_pids runs only for those: it takes the lock manager's locks).
   */
  static snapshotQuery(versionNum: number): string {
    const ms = (c: string) => `(extract(epoch FROM ${c}) * 1000)::float8 AS ${c}`;
    return `SELECT pid, leader_pid, coalesce(backend_type, '') AS backend_type, coalesce(state, '') AS state, usename, datname,
       application_name, host(client_addr) AS client_addr, wait_event_type, wait_event,
       ${ms('backend_start')}, ${ms('xact_start')}, ${ms('query_start')}, ${ms('state_change')},
       ${versionNum >= 140000 ? 'query_id::text' : 'NULL::text'} AS queryid, left(query, ${SESSION_QUERY_MAX * 4}) AS query,
       CASE WHEN wait_event_type = 'Lock' THEN array_to_string(pg_blocking_pids(pid), ',') END AS blocked_by
  FROM pg_stat_activity
 WHERE pid <> pg_backend_pid() AND state IS NOT NULL AND state <> 'idle'
   AND application_name IS DISTINCT FROM 'pgfleet-agent'
 ORDER BY pid`;
  }

  /** Reads the sessions for the next message. */
  async snapshot(sql: Sql, versionNum: number, timeoutMs: number): Promise<ActivitySession[]> {
    return sessionsOf(await collectRows(sql, ActivitySampler.snapshotQuery(versionNum), timeoutMs));
  }

  /** Takes one sample. */
  async sample(sql: Sql, versionNum: number, timeoutMs: number): Promise<void> {
    const rows = await collectRows(sql, ActivitySampler.query(versionNum), timeoutMs);
    this.add(rows);
  }

  /** Adds one sample's rows (separate for tests). */
  add(rows: Record<string, unknown>[]): void {
    this.samples++;
    for (const r of rows) {
      // A background worker's type (bgw_type) can be longer than the protocol's 64 characters.
      const g: ActivityGroup = { state: String(r.state), backend_type: cutText(String(r.backend_type), 64), n: 1 };
      for (const k of ['wait_event_type', 'wait_event', 'queryid', 'datname', 'usename'] as const) {
        const v = r[k];
        // query_id 0 means "not computed".
        if (v !== null && v !== undefined && v !== '' && !(k === 'queryid' && v === '0')) g[k] = String(v);
      }
      const key = `${g.state}\u0000${g.wait_event_type ?? ''}\u0000${g.wait_event ?? ''}\u0000${g.queryid ?? ''}\u0000${g.datname ?? ''}\u0000${g.usename ?? ''}\u0000${g.backend_type}`;
      const have = this.groups.get(key);
      if (have) have.n++;
      else this.groups.set(key, g);
    }
  }

  /** Forgets the samples of an interval that cannot be completed (the server went away). */
  discard(now: number): void {
    this.groups = new Map();
    this.samples = 0;
    this.since = now;
  }

  /** The interval's aggregate (with the sessions of the moment, when read), and a fresh interval; undefined when nothing was sampled. */
  flush(now: number, sessions?: ActivitySession[]): ActivityData | undefined {
    const data: ActivityData = { interval_ms: Math.min(MAX_INTERVAL_MS, Math.max(1, now - this.since)), sample_ms: this.sampleMs, samples: this.samples, groups: [...this.groups.values()] };
    if (sessions) data.sessions = sessions;
    this.groups = new Map();
    this.samples = 0;
    this.since = now;
    return data.samples > 0 ? data : undefined;
  }
}

/** An interval longer than a day is an outage, not a sampling interval. */
const MAX_INTERVAL_MS = 86_400_000;

/** Rows of the snapshot query as protocol sessions: NULL and empty fields left out, text redacted and cut, times whole ms, within SESSIONS_MAX_BYTES. */
export function sessionsOf(rows: Record<string, unknown>[]): ActivitySession[] {
  const sessions = rows.map((r) => {
    const s: ActivitySession = { pid: Number(r.pid), backend_type: cutText(String(r.backend_type ?? ''), 64), state: cutText(String(r.state ?? ''), 40) };
    if (r.leader_pid !== null && r.leader_pid !== undefined && Number(r.leader_pid) !== s.pid) s.leader_pid = Number(r.leader_pid);
    for (const k of ['usename', 'datname', 'application_name', 'client_addr', 'wait_event_type', 'wait_event'] as const) {
      const v = r[k];
      if (v !== null && v !== undefined && v !== '') s[k] = cutText(String(v), k === 'usename' || k === 'datname' || k === 'application_name' ? 200 : 64);
    }
    for (const k of ['backend_start', 'xact_start', 'query_start', 'state_change'] as const) {
      const v = r[k];
      if (v !== null && v !== undefined && Number.isFinite(Number(v))) s[k] = Math.round(Number(v));
    }
    // query_id 0 means "not computed".
    if (r.queryid !== null && r.queryid !== undefined && r.queryid !== '' && r.queryid !== '0') s.queryid = String(r.queryid);
    if (typeof r.query === 'string' && r.query !== '') s.query = cutText(redactSql(r.query), SESSION_QUERY_MAX);
    // A comma-separated list (collectors read rows as text); a prepared transaction holding the lock is pid 0.
    if (typeof r.blocked_by === 'string') {
      // A parallel query's blocker can be listed once per worker.
      s.blocked_by = [...new Set(r.blocked_by.split(',').filter((p) => /^\d+$/.test(p)).map(Number))].slice(0, 1000);
    }
    return s;
  });
  return withinBudget(sessions);
}

/**
 * The sessions that fit in SESSIONS_MAX_BYTES (as JSON, close to their MessagePack size): those
 * in a lock wait, or blocking one, first, then the oldest transactions; the rest are left out.
 */
export function withinBudget(sessions: ActivitySession[], maxBytes = SESSIONS_MAX_BYTES): ActivitySession[] {
  const blocking = new Set(sessions.flatMap((s) => s.blocked_by ?? []));
  const rank = (s: ActivitySession) => (s.blocked_by?.length || blocking.has(s.pid) ? 0 : 1);
  const ordered = [...sessions].sort((a, b) => rank(a) - rank(b) || (a.xact_start ?? Infinity) - (b.xact_start ?? Infinity) || a.pid - b.pid);
  const kept: ActivitySession[] = [];
  let bytes = 0;
  for (const s of ordered) {
    bytes += JSON.stringify(s).length + 1;
    if (bytes > maxBytes || kept.length >= 10_000) break;
    kept.push(s);
  }
  return kept.sort((a, b) => a.pid - b.pid);
}
