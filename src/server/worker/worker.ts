import type { Store } from '../../store/index.ts';
import { DAY_MS } from '../../store/index.ts';

export interface WorkerOptions {
  /** Raw samples are kept this many days; whole day partitions are dropped after. */
  retentionDays: number;
  /** Days of partitions created ahead. */
  daysAhead?: number;
  everyMs?: number;
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/** A job runs in one process at a time: whoever holds its advisory lock. */
export const JOB_LOCKS = { partitions: 0x70670001, retention: 0x70670002 } as const;
export type WorkerJob = keyof typeof JOB_LOCKS;

/**
 * Background jobs of the store: partitions ahead, retention. Several server
 * processes may run workers; each job runs where its advisory lock is taken.
 */
export class Worker {
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  readonly runs: Record<WorkerJob, number> = { partitions: 0, retention: 0 };
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

  async runAll(now = Date.now()): Promise<void> {
    await this.runJob('partitions', async () => {
      await this.store.timeseries.ensurePartitions(now - DAY_MS, now + (this.opts.daysAhead ?? 2) * DAY_MS);
    });
    await this.runJob('retention', async () => {
      const before = now - this.opts.retentionDays * DAY_MS;
      const dropped = await this.store.timeseries.dropPartitionsBefore(before);
      if (dropped.length) this.opts.log?.('info', `retention dropped ${dropped.join(', ')}`);
      // Messages older than retention are refused by the keeper, so their dedup rows can go too.
      await this.store.sql`delete from ingested where received_at < now() - make_interval(days => ${this.opts.retentionDays + 1})`;
      await this.store.sql`delete from dead_letters where received_at < now() - make_interval(days => ${this.opts.retentionDays})`;
      // Texts of statements with no statistics left in retention.
      await this.store.sql`delete from statement_texts t where t.first_seen < ${before}
        and not exists (select 1 from statement_stats s where s.instance_id = t.instance_id and s.queryid = t.queryid)`;
    });
  }

  /** Runs `fn` if this process gets the job's lock (held on one reserved connection for the run). */
  private async runJob(job: WorkerJob, fn: () => Promise<void>): Promise<boolean> {
    const conn = await this.store.sql.reserve();
    try {
      const [{ locked }] = await conn`select pg_try_advisory_lock(${JOB_LOCKS[job]}) as locked`;
      if (!locked) return false;
      try {
        await fn();
        this.runs[job]++;
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
