import type { Sql } from 'postgres';
import type { ActivityData, ActivityGroup } from '../protocol/index.ts';
import { collectRows } from './collect.ts';

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

  /** Takes one sample. */
  async sample(sql: Sql, versionNum: number, timeoutMs: number): Promise<void> {
    const rows = await collectRows(sql, ActivitySampler.query(versionNum), timeoutMs);
    this.add(rows);
  }

  /** Adds one sample's rows (separate for tests). */
  add(rows: Record<string, unknown>[]): void {
    this.samples++;
    for (const r of rows) {
      const g: ActivityGroup = { state: String(r.state), backend_type: String(r.backend_type), n: 1 };
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

  /** The interval's aggregate, and a fresh interval; undefined when nothing was sampled. */
  flush(now: number): ActivityData | undefined {
    const data: ActivityData = { interval_ms: Math.min(MAX_INTERVAL_MS, Math.max(1, now - this.since)), sample_ms: this.sampleMs, samples: this.samples, groups: [...this.groups.values()] };
    this.groups = new Map();
    this.samples = 0;
    this.since = now;
    return data.samples > 0 ? data : undefined;
  }
}

/** An interval longer than a day is an outage, not a sampling interval. */
const MAX_INTERVAL_MS = 86_400_000;
