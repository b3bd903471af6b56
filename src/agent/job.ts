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

  /**
   * Records a success; returns true when it ends a failure streak or an overrun
   * backoff. A run longer than the interval is an overrun: the collector is backed
   * off (its pause doubles per overrun in a row, up to 16 intervals) with the reason
   * in `note`, so a collector too costly for this server does not run back to back.
   */
  succeeded(now: number, durationMs: number, rows?: number): boolean {
    const recovered = this.consecutive > 0 || (this.state === 'backoff' && durationMs <= this.intervalMs);
    this.runs++;
    this.totalDurationMs += durationMs;
    this.lastRows = rows;
    this.consecutive = 0;
    this.lastDurationMs = durationMs;
    this.lastError = undefined;
    if (durationMs > this.intervalMs) {
      this.overruns++;
      this.slowdown = Math.min(this.slowdown * 2, 16);
      this.state = 'backoff';
      this.note = `took ${Math.round(durationMs)} ms, longer than its ${this.intervalMs} ms interval: runs every ${this.slowdown} intervals until it is faster`;
      this.nextRun = now + this.intervalMs * this.slowdown;
      return false;
    }
    this.slowdown = 1;
    this.state = 'ok';
    this.note = undefined;
    this.nextRun = Math.max(this.nextRun + this.intervalMs, now + this.intervalMs / 2);
    return recovered;
  }

  /** Set while the collector is backed off for overrunning its interval: why. */
  note?: string;
  private slowdown = 1;

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
