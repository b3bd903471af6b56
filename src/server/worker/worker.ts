import type { Retention, Store } from '../../store/index.ts';
import { DAY_MS, PARTITION_WIDTH_MS, ensurePartitions } from '../../store/index.ts';
import { runAdvisor, type StatsSource } from '../advisor/index.ts';

export interface WorkerOptions {
  /** Raw samples, query statistics and activity are kept this many days; whole day partitions are dropped after. */
  retentionDays: number;
  /** 1-minute rollups are kept this many days (default 30). */
  rollup1mDays?: number;
  /** 1-hour rollups are kept this many days (default 400). */
  rollup1hDays?: number;
  /** Days of partitions created ahead. */
  daysAhead?: number;
  everyMs?: number;
  /** The advisor runs for every instance this often (default 6 h), reading the store through `source`. */
  advisor?: { source: StatsSource; everyMs?: number };
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** Days an ended command (and a task's run) is kept. */
export const COMMAND_RETENTION_DAYS = 90;

/** Jobs that take longer are logged with their duration. */
const SLOW_JOB_MS = 1000;

/** A job runs in one process at a time: whoever holds its advisory lock. */
export const JOB_LOCKS = {
  partitions: 0x70670001, retention: 0x70670002, rollup_1m: 0x70670003, rollup_1h: 0x70670004, compaction: 0x70670005,
  store_size: 0x70670006, advisor: 0x70670007,
} as const;
export type WorkerJob = keyof typeof JOB_LOCKS;

/**
 * Background jobs of the store: partitions ahead, rollups, compaction, retention, size
 * snapshots. Several server processes may run workers; each job runs where its advisory
 * lock is taken.
 */
export class Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly runs: Record<WorkerJob, number> = { partitions: 0, retention: 0, rollup_1m: 0, rollup_1h: 0, compaction: 0, store_size: 0, advisor: 0 };
  failures = 0;

  constructor(private readonly store: Store, private readonly opts: WorkerOptions) {}

  start(): void {
    const tick = () => {
      if (this.running) return;
      // A store outage fails a run; the next tick tries again. It must never end the process.
      this.running = this.runAll()
        .catch((err) => { this.failures++; this.opts.log?.('error', `worker run failed: ${(err as Error).message}`); })
        .finally(() => { this.running = undefined; });
    };
    tick();
    this.timer = setInterval(tick, this.opts.everyMs ?? 60_000);
  }

  /** How long each kind of data is kept. */
  get retention(): Retention {
    return {
      samplesDays: this.opts.retentionDays, statementsDays: this.opts.retentionDays,
      rollup1mDays: this.opts.rollup1mDays ?? 30, rollup1hDays: this.opts.rollup1hDays ?? 400,
    };
  }

  async runAll(now = Date.now()): Promise<void> {
    await this.runJob('partitions', async () => {
      // From the current partition on: past ones are made by the keeper when data comes for
      // them, so a day compaction has moved into chunks is not recreated empty.
      const ahead = now + (this.opts.daysAhead ?? 2) * DAY_MS;
      await this.store.timeseries.ensurePartitions(now, ahead);
      await ensurePartitions(this.store.sql, ['rollups_1m'], now, ahead);
      await ensurePartitions(this.store.sql, ['rollups_1h'], now, now + PARTITION_WIDTH_MS.rollups_1h + DAY_MS);
    });
    for (const res of ['1m', '1h'] as const) {
      await this.runJob(`rollup_${res}`, async () => {
        const run = await this.store.rollups.run(res, now);
        if (run.redone) this.opts.log?.('info', `rollup ${res}: ${run.redone} buckets reopened by late samples computed again`);
      });
    }
    await this.runJob('compaction', async () => {
      const done = await this.store.compactor.run(now);
      for (const d of done) this.opts.log?.('info', `compacted ${d.day}: ${d.series} series, ${d.samples} samples into ${d.bytes} bytes`);
    });
    await this.runJob('retention', async () => {
      const before = now - this.opts.retentionDays * DAY_MS;
      const dropped = await this.store.timeseries.applyRetention(this.retention, now);
      if (dropped.length) this.opts.log?.('info', `retention dropped ${dropped.join(', ')}`);
      // Messages older than retention are refused by the keeper, so their dedup rows can go too.
      await this.store.sql`delete from ingested where received_at < now() - make_interval(days => ${this.opts.retentionDays + 1})`;
      await this.store.sql`delete from dead_letters where received_at < now() - make_interval(days => ${this.opts.retentionDays})`;
      // Commands and task runs that ended: kept COMMAND_RETENTION_DAYS (at least the data's retention); the audit log keeps its own copy.
      await this.store.sql`delete from commands where state not in ('queued', 'delivered')
        and coalesce(finished_at, requested_at) < now() - make_interval(days => ${Math.max(COMMAND_RETENTION_DAYS, this.opts.retentionDays)})`;
      // Texts of statements with no statistics left in retention.
      await this.store.sql`delete from statement_texts t where t.first_seen < ${before}
        and not exists (select 1 from statement_stats s where s.instance_id = t.instance_id and s.queryid = t.queryid)`;
    });
    // After retention, so a snapshot never counts what was just dropped.
    await this.runJob('store_size', async () => { await this.store.size.record(this.retention, now); });
    await this.runAdvisor(now);
  }

  /** The advisor job alone: every instance not advised for the period, under the job's lock. */
  async runAdvisor(now = Date.now()): Promise<void> {
    const advisor = this.opts.advisor;
    if (!advisor) return;
    await this.runJob('advisor', async () => {
      const r = await runAdvisor(advisor.source, now, advisor.everyMs ?? 6 * 3600_000, this.opts.log);
      if (r.advised || r.failed) this.opts.log?.('info', `advisor: ${r.advised} instances advised${r.failed ? `, ${r.failed} failed` : ''}`);
    });
  }

  /** Runs `fn` if this process gets the job's lock (held on one reserved connection for the run). */
  private async runJob(job: WorkerJob, fn: () => Promise<void>): Promise<boolean> {
    const conn = await this.store.sql.reserve();
    try {
      const [{ locked }] = await conn`select pg_try_advisory_lock(${JOB_LOCKS[job]}) as locked`;
      if (!locked) return false;
      const t0 = Date.now();
      try {
        await fn();
        this.runs[job]++;
        // A long job competes with ingest for the store: say so, for whoever traces lag.
        const ms = Date.now() - t0;
        if (ms >= SLOW_JOB_MS) this.opts.log?.('info', `worker job ${job} took ${ms} ms`);
      } catch (err) {
        this.opts.log?.('error', `worker job ${job} failed: ${(err as Error).message}`);
      } finally {
        await conn`select pg_advisory_unlock(${JOB_LOCKS[job]})`;
      }
      return true;
    } finally {
      conn.release();
    }
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
