import postgres, { type Sql } from 'postgres';
import type { MetricFamily, MetricsData } from '../protocol/index.ts';
import { FamilyBuilder } from './collectors/os/family.ts';
import { isConnectionError } from '../pg-errors/index.ts';
import { describePgError } from './errors.ts';
import { Job } from './job.ts';

export interface PgbouncerConfig {
  /** Name of this pgbouncer, the `pgbouncer` label of its metrics. */
  name: string;
  /** URI of its admin console: the `pgbouncer` database, as a user in stats_users or admin_users. */
  url: string;
}

/**
 * What SHOW POOLS / SHOW STATS / SHOW LISTS columns become: kind and unit per column.
 * Columns not listed (a newer pgbouncer's additions) are left out; a column missing
 * from an older one loses only itself.
 */
const POOLS: Record<string, { kind: 'gauge'; unit?: string }> = {
  cl_active: { kind: 'gauge' }, cl_waiting: { kind: 'gauge' }, cl_active_cancel_req: { kind: 'gauge' }, cl_waiting_cancel_req: { kind: 'gauge' },
  sv_active: { kind: 'gauge' }, sv_active_cancel: { kind: 'gauge' }, sv_being_canceled: { kind: 'gauge' },
  sv_idle: { kind: 'gauge' }, sv_used: { kind: 'gauge' }, sv_tested: { kind: 'gauge' }, sv_login: { kind: 'gauge' },
  maxwait: { kind: 'gauge', unit: 'seconds' }, maxwait_us: { kind: 'gauge', unit: 'us' },
};
/** SHOW STATS: totals since start are counters (times in microseconds); avg_* are gauges. */
const STATS: Record<string, { kind: 'gauge' | 'counter'; unit?: string }> = {
  total_xact_count: { kind: 'counter' }, total_query_count: { kind: 'counter' }, total_server_assignment_count: { kind: 'counter' },
  total_received: { kind: 'counter', unit: 'bytes' }, total_sent: { kind: 'counter', unit: 'bytes' },
  total_xact_time: { kind: 'counter', unit: 'us' }, total_query_time: { kind: 'counter', unit: 'us' }, total_wait_time: { kind: 'counter', unit: 'us' },
  avg_xact_count: { kind: 'gauge' }, avg_query_count: { kind: 'gauge' }, avg_recv: { kind: 'gauge', unit: 'bytes' }, avg_sent: { kind: 'gauge', unit: 'bytes' },
  avg_xact_time: { kind: 'gauge', unit: 'us' }, avg_query_time: { kind: 'gauge', unit: 'us' }, avg_wait_time: { kind: 'gauge', unit: 'us' },
};

/** Families of one SHOW result: one point per row, labelled by the label columns. */
export function showFamilies(prefix: string, rows: Record<string, unknown>[], columns: Record<string, { kind: 'gauge' | 'counter'; unit?: string }>,
  labelColumns: string[], base: Record<string, string>): MetricFamily[] {
  const fb = new FamilyBuilder();
  for (const r of rows) {
    const l: Record<string, string> = { ...base };
    for (const c of labelColumns) if (r[c] !== undefined && r[c] !== null) l[c] = String(r[c]);
    for (const [c, def] of Object.entries(columns)) {
      if (r[c] === undefined || r[c] === null || r[c] === '') continue;
      fb.add(`${prefix}.${c}`, def.kind, def.unit, Number(r[c]), l);
    }
  }
  return fb.build();
}

/**
 * Watches one pgbouncer through its admin console (SHOW POOLS, SHOW STATS, SHOW LISTS):
 * node-level metrics labelled `pgbouncer=<name>`, so they sit with the host's.
 * The console speaks only the simple query protocol and has no transactions.
 */
export class PgbouncerMonitor {
  readonly job: Job;
  private sql?: Sql;
  private busy = false;

  constructor(readonly config: PgbouncerConfig, intervalMs: number, private readonly emit: (data: MetricsData, ts: number) => void,
    private readonly event: (message: string) => void) {
    this.job = new Job('pgbouncer', intervalMs, undefined, Date.now());
  }

  private pool(): Sql {
    this.sql ??= postgres(this.config.url, { max: 1, connect_timeout: 5, idle_timeout: 120, prepare: false, fetch_types: false, onnotice: () => {} });
    return this.sql;
  }

  async tick(now: number): Promise<void> {
    if (this.busy || now < this.job.nextRun) return;
    this.busy = true;
    const started = Date.now();
    try {
      const base = { pgbouncer: this.config.name };
      const show = async (what: string) => await this.pool().unsafe(`SHOW ${what}`).simple() as unknown as Record<string, unknown>[];
      const lists = await show('LISTS');
      const metrics = [
        { name: 'pgbouncer.up', kind: 'gauge' as const, points: [{ l: base, v: 1 }] },
        ...showFamilies('pgbouncer.pools', await show('POOLS'), POOLS, ['database', 'user', 'pool_mode'], base),
        ...showFamilies('pgbouncer.stats', await show('STATS'), STATS, ['database'], base),
        ...showFamilies('pgbouncer.lists', lists.map((r) => ({ list: r.list, items: r.items })), { items: { kind: 'gauge' } }, ['list'], base),
      ];
      this.emit({ collector: 'pgbouncer', interval_ms: this.job.intervalMs, metrics }, started);
      this.job.succeeded(Date.now(), Date.now() - started, metrics.reduce((n, f) => n + f.points.length, 0));
    } catch (err) {
      const message = describePgError(err);
      this.emit({ collector: 'pgbouncer', interval_ms: this.job.intervalMs, metrics: [{ name: 'pgbouncer.up', kind: 'gauge', points: [{ l: { pgbouncer: this.config.name }, v: 0 }] }] }, started);
      if (isConnectionError(err)) { await this.close(); }
      if (this.job.failed(Date.now(), Date.now() - started, message)) this.event(`pgbouncer ${this.config.name}: ${message}`);
    } finally {
      this.busy = false;
    }
  }

  async close(): Promise<void> {
    const sql = this.sql;
    this.sql = undefined;
    await sql?.end({ timeout: 2 });
  }
}
