import { COLLECTOR_STATES } from '../protocol/index.ts';

export type CollectorState = (typeof COLLECTOR_STATES)[number];

/** Scheduling state of one collector on one target, with the backoff policy. */
export class Job {
  state: CollectorState = 'ok';
  runs = 0;
  failures = 0;
  consecutive = 0;
  overruns = 0;
  lastDurationMs?: number;
  /** Rows the last successful run read (the cost record's second half). */
  lastRows?: number;
  /** Sum of durations over all runs, for the agent's own metrics. */
  totalDurationMs = 0;
  lastError?: string;
  nextRun: number;

  constructor(readonly id: string, readonly intervalMs: number, readonly instance: string | undefined, now: number) {
    // Spread first runs over the interval so collectors do not fire together.
    this.nextRun = now + Math.floor(Math.random() * Math.min(intervalMs, 2000));
  }

  /** Records a success; returns true when it ends a failure streak. */
  succeeded(now: number, durationMs: number, rows?: number): boolean {
    const recovered = this.consecutive > 0;
    this.runs++;
    this.totalDurationMs += durationMs;
    this.lastRows = rows;
    this.consecutive = 0;
    this.lastDurationMs = durationMs;
    this.lastError = undefined;
    this.state = 'ok';
    if (durationMs > this.intervalMs) this.overruns++;
    // An overrun pushes the next run out so the collector never runs back to back.
    this.nextRun = Math.max(this.nextRun + this.intervalMs, now + Math.max(durationMs, this.intervalMs / 2));
    return recovered;
  }

  /** Records a failure and backs off: the pause doubles per consecutive failure, up to 10 minutes. Returns true when it enters backoff. */
  failed(now: number, durationMs: number, error: string): boolean {
    this.runs++;
    this.failures++;
    this.consecutive++;
    this.totalDurationMs += durationMs;
    this.lastDurationMs = durationMs;
    this.lastError = error;
    // Never sooner than the interval, even for collectors that run less often than every 10 minutes.
    const pause = Math.max(this.intervalMs, Math.min(this.intervalMs * 2 ** Math.min(this.consecutive - 1, 10), 600_000));
    this.nextRun = now + pause;
    const before = this.state;
    this.state = this.consecutive >= 3 ? 'backoff' : 'failing';
    return before !== 'backoff' && this.state === 'backoff';
  }

  skipped(now: number, reason: string): void {
    this.state = 'skipped';
    this.lastError = reason;
    this.nextRun = now + this.intervalMs;
  }
}
