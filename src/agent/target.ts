import type { Sql } from 'postgres';
import { cutText, type ActivityData, type ActivitySession, type EventData, type InventoryData, type MetricsData, type SettingsData, type StatementsData } from '../protocol/index.ts';
import type { CollectorDef } from '../catalog/index.ts';
import { openTargetPool, probeTarget, Requirements, runSqlCollector, type Probe } from './collect.ts';
import { ActivitySampler } from './activity.ts';
import { SettingsSampler } from './settings.ts';
import { StatementsSampler } from './statements/sampler.ts';
import { PgProcessSampler, readPgDirs, readPgProcessRows, storageFamilies, type PgDirs } from './collectors/pg-host.ts';
import { isConnectionError } from '../pg-errors/index.ts';
import { describePgError } from './errors.ts';
import { Job } from './job.ts';

export interface TargetConfig {
  /** Instance id, `<cluster>-<seq>`. */
  name: string;
  cluster: string;
  /** libpq-style connection URI; empty means PG* environment variables. */
  url: string;
}

export interface TargetLimits {
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  /** Intervals longer than this are shortened (the demo and tests collect fast). */
  maxIntervalS?: number;
  /** pg_stat_statements snapshots: every this many seconds (0 turns them off; default 60). */
  statementsIntervalS?: number;
  /** Entries sent per ranking dimension (time, calls, reads, temp, WAL, rows); default 50. */
  statementsTop?: number;
  /** pg_stat_activity sampling period in ms (0 turns it off; default 1000). */
  activitySampleMs?: number;
  /** Samples are aggregated and sent every this many seconds (default 15). */
  activityIntervalS?: number;
  /** Host metrics of the instance's processes and storage, when it runs on this host (default true). */
  hostMetrics?: boolean;
  /** pg_settings is read every this many seconds and its changes sent (0 turns it off; default 60). */
  settingsIntervalS?: number;
}

export interface Emit {
  metrics(instance: string | undefined, data: MetricsData, ts: number): void;
  inventory(instance: string, data: InventoryData, ts: number): void;
  event(instance: string | undefined, data: EventData, ts: number): void;
  /** False when the message could not be spooled. */
  statements(instance: string, data: StatementsData, ts: number): boolean;
  activity(instance: string, data: ActivityData, ts: number): void;
  /** False when the message could not be spooled. */
  settings(instance: string, data: SettingsData, ts: number): boolean;
}

const PROBE_INTERVAL_MS = 15_000;
/** The pool key of the activity sampler's own connection (database names cannot contain NUL). */
const ACTIVITY_POOL = '\u0000activity';
/** The pool key of the settings sampler's connection, which sets no session settings of its own. */
const SETTINGS_POOL = '\u0000settings';
/** While an instance is down, it is probed this often. */
const DOWN_PROBE_INTERVAL_MS = 5_000;
/** Inventory is re-sent at least this often even without a change, so the server can tell "up" from "stale". */
const INVENTORY_REFRESH_MS = 60_000;

/**
 * Watches one PostgreSQL instance: probes liveness, version and role, and runs
 * the catalog's SQL collectors for it, one query at a time, each under
 * statement_timeout and lock_timeout.
 */
export class TargetMonitor {
  readonly jobs: Job[] = [];
  private readonly pools = new Map<string, Sql>();
  private probe?: Probe;
  private up = false;
  private lastInventory = 0;
  private probeDue = 0;
  private busy = false;

  constructor(
    readonly config: TargetConfig,
    private readonly namespace: string,
    private readonly node: string,
    private readonly defs: CollectorDef[],
    private readonly limits: TargetLimits,
    private readonly emit: Emit,
  ) {
    const now = Date.now();
    for (const def of defs) this.jobs.push(new Job(def.id, this.intervalOf(def), config.name, now));
    const cap = (s: number) => (limits.maxIntervalS ? Math.min(s, limits.maxIntervalS) : s) * 1000;
    if ((limits.statementsIntervalS ?? 60) > 0) {
      this.statementsJob = new Job('pg_stat_statements', cap(limits.statementsIntervalS ?? 60), config.name, now);
      this.statements = new StatementsSampler({ top: limits.statementsTop ?? 50 });
    }
    if (limits.hostMetrics ?? true) {
      this.processJob = new Job('pg_process', cap(15), config.name, now);
      this.storageJob = new Job('pg_storage', cap(60), config.name, now);
    }
    if ((limits.activitySampleMs ?? 1000) > 0) {
      this.activityJob = new Job('pg_stat_activity_sampler', cap(limits.activityIntervalS ?? 15), config.name, now);
      this.activity = new ActivitySampler(limits.activitySampleMs ?? 1000, now);
    }
    if ((limits.settingsIntervalS ?? 60) > 0) {
      this.settingsJob = new Job('pg_settings_changes', cap(limits.settingsIntervalS ?? 60), config.name, now);
    }
  }

  private readonly settings = new SettingsSampler();
  private readonly settingsJob?: Job;

  private readonly processJob?: Job;
  private readonly storageJob?: Job;
  private readonly processes = new PgProcessSampler();
  private dirs?: PgDirs;

  private readonly statements?: StatementsSampler;
  private readonly statementsJob?: Job;
  private readonly activity?: ActivitySampler;
  private readonly activityJob?: Job;
  private activityBusy = false;
  private nextActivitySample = 0;

  /** Every job of this target, for the heartbeat and the agent's own metrics. */
  allJobs(): Job[] {
    return [...this.jobs, ...[this.statementsJob, this.activityJob, this.settingsJob, this.processJob, this.storageJob].filter((j): j is Job => j !== undefined)];
  }

  /**
   * Samples pg_stat_activity when due, on a connection of its own so that a slow
   * collector does not stretch the sampling period; sends the aggregate every interval.
   */
  async tickActivity(now: number): Promise<void> {
    const sampler = this.activity;
    const job = this.activityJob;
    if (!sampler || !job || this.activityBusy) return;
    // While the server is down no interval completes: the next one starts when it is back.
    if (!this.up || !this.probe) { sampler.discard(now); return; }
    if (now < this.nextActivitySample || now < job.nextRun - job.intervalMs) return;
    this.activityBusy = true;
    const started = Date.now();
    try {
      this.nextActivitySample = now + sampler.sampleMs;
      await sampler.sample(this.pool(ACTIVITY_POOL), this.probe.version_num, Math.min(this.limits.statementTimeoutMs, Math.max(sampler.sampleMs, 1000)));
      // A run is one sent interval; every sample's time counts in the cost record.
      if (Date.now() >= job.nextRun) {
        // The sessions of the moment go with the interval's aggregate; when they cannot be read the
        // aggregate goes without them, and the heartbeat says why (the collector's note).
        let sessions: ActivitySession[] | undefined;
        let sessionsError: string | undefined;
        try {
          sessions = await sampler.snapshot(this.pool(ACTIVITY_POOL), this.probe.version_num, this.limits.statementTimeoutMs);
        } catch (err) {
          sessionsError = err instanceof Error ? err.message : String(err);
        }
        const data = sampler.flush(Date.now(), sessions);
        if (data) this.emit.activity(this.config.name, data, Date.now());
        this.recordSuccess(job, Date.now() - started, data?.groups.length ?? 0);
        if (sessionsError) job.note = `sessions not read: ${sessionsError}`;
      } else {
        job.totalDurationMs += Date.now() - started;
      }
    } catch (err) {
      if (this.recordFailure(job, started, err) === 'lost') this.probeDue = 0;
    } finally {
      this.activityBusy = false;
    }
  }

  /**
   * pg_process (CPU, memory, I/O of the instance's processes by backend_type) and
   * pg_storage (filesystems and devices under PGDATA, pg_wal, tablespaces), read
   * from /proc and /sys when the server runs on this host; skipped otherwise.
   */
  private async runHost(now: number): Promise<'ok' | 'lost'> {
    for (const job of [this.processJob, this.storageJob]) {
      if (!job || now < job.nextRun) continue;
      const started = Date.now();
      try {
        if (!this.dirs) this.dirs = await readPgDirs(this.pool());
        const dirs = this.dirs;
        if (!dirs.local) { job.skipped(started, `the server does not run on this host as seen from here${dirs.problems.length ? `: ${dirs.problems.join('; ')}` : ''}`); continue; }
        let metrics: MetricsData['metrics'];
        if (job === this.processJob) {
          const r = await this.processes.processFamilies(await readPgProcessRows(this.pool()), dirs.postmasterPid);
          metrics = r.metrics;
          if (r.newlyDenied.length) {
            this.emit.event(this.config.name, { kind: 'collector.degraded', severity: 'warning', message: `pg_process: no access to /proc/PID/${r.newlyDenied.join(', /proc/PID/')} (run the agent as the server's OS user for I/O and PSS)`, details: { collector: job.id } }, Date.now());
          }
        } else {
          metrics = await storageFamilies(dirs);
        }
        this.emit.metrics(this.config.name, { collector: job.id, interval_ms: job.intervalMs, metrics }, started);
        this.recordSuccess(job, Date.now() - started, metrics.reduce((n, f) => n + f.points.length, 0));
      } catch (err) {
        if (this.recordFailure(job, started, err) === 'lost') return 'lost';
      }
    }
    return 'ok';
  }

  /** One pg_stat_statements snapshot, when due. */
  private async runStatements(now: number): Promise<'ok' | 'lost'> {
    const job = this.statementsJob;
    const sampler = this.statements;
    if (!job || !sampler || now < job.nextRun) return 'ok';
    const started = Date.now();
    try {
      const out = await sampler.sample((db) => this.pool(db), this.probe!.databases, this.limits.statementTimeoutMs, started);
      if (typeof out === 'object' && 'skipped' in out) { job.skipped(started, out.skipped); return 'ok'; }
      if (out !== 'baseline') {
        if (this.emit.statements(this.config.name, out, started)) sampler.textsSent(out);
      }
      this.recordSuccess(job, Date.now() - started, out === 'baseline' ? 0 : out.entries.length);
      return 'ok';
    } catch (err) {
      return this.recordFailure(job, started, err);
    }
  }

  /** pg_settings, when due: every setting the first time, then what changed. */
  private async runSettings(now: number): Promise<'ok' | 'lost'> {
    const job = this.settingsJob;
    if (!job || now < job.nextRun) return 'ok';
    const started = Date.now();
    try {
      const data = await this.settings.sample(this.pool(SETTINGS_POOL), started, this.limits.statementTimeoutMs);
      // A message that could not be spooled is sent whole next time.
      if (data && !this.emit.settings(this.config.name, data, started)) this.settings.forget();
      this.recordSuccess(job, Date.now() - started, data?.settings.length ?? 0);
      return 'ok';
    } catch (err) {
      return this.recordFailure(job, started, err);
    }
  }

  intervalOf(def: CollectorDef): number {
    const s = this.limits.maxIntervalS ? Math.min(def.interval_s, this.limits.maxIntervalS) : def.interval_s;
    return s * 1000;
  }

  private pool(database?: string): Sql {
    const key = database ?? '';
    let sql = this.pools.get(key);
    if (!sql) {
      const own = key === ACTIVITY_POOL || key === SETTINGS_POOL;
      sql = openTargetPool(this.config.url, own ? undefined : database, { ...this.limits, sessionSettings: key !== SETTINGS_POOL });
      this.pools.set(key, sql);
    }
    return sql;
  }

  /** Runs what is due; never runs two things at once on this target. */
  async tick(now: number): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (now >= this.probeDue) await this.runProbe(now);
      if (!this.up || !this.probe) return;
      for (let i = 0; i < this.jobs.length; i++) {
        const job = this.jobs[i];
        if (Date.now() < job.nextRun) continue;
        if (await this.runJob(job, this.defs[i]) === 'lost') {
          // The server went away: stop running collectors against it and find out at once.
          this.probeDue = 0;
          return;
        }
      }
      if (await this.runStatements(Date.now()) === 'lost' || await this.runSettings(Date.now()) === 'lost' || await this.runHost(Date.now()) === 'lost') this.probeDue = 0;
    } finally {
      this.busy = false;
    }
  }

  private async runProbe(now: number): Promise<void> {
    this.probeDue = now + (this.up ? PROBE_INTERVAL_MS : DOWN_PROBE_INTERVAL_MS);
    const base = { namespace: this.namespace, cluster: this.config.cluster, node: this.node };
    try {
      const { server_version: _, ...probe } = await probeTarget(this.pool());
      const prev = this.probe;
      // A restarted server starts its statistics anew: take a new baseline.
      if (prev && prev.started_at !== probe.started_at) { this.statements?.forget(); this.settings.forget(); this.dirs = undefined; }
      const changed = !this.up || !prev || prev.role !== probe.role || prev.version_num !== probe.version_num
        || prev.started_at !== probe.started_at || prev.databases.join() !== probe.databases.join();
      if (prev && prev.role !== probe.role) {
        this.emit.event(this.config.name, { kind: 'role.changed', severity: 'warning', message: `role changed from ${prev.role} to ${probe.role}`, details: { from: prev.role, to: probe.role } }, now);
      }
      if (!this.up && prev) this.emit.event(this.config.name, { kind: 'instance.up', severity: 'info', message: 'instance is reachable again' }, now);
      this.probe = probe;
      this.up = true;
      if (changed || now - this.lastInventory >= INVENTORY_REFRESH_MS) {
        this.lastInventory = now;
        // Extensions come and go: look at the requirements again with each inventory.
        this.requirements.clear();
        this.emit.inventory(this.config.name, { ...base, ...probe, up: true }, now);
      }
    } catch (err) {
      const message = describePgError(err);
      if (this.up || this.lastInventory === 0 || now - this.lastInventory >= INVENTORY_REFRESH_MS) {
        this.lastInventory = now;
        this.emit.inventory(this.config.name, {
          ...base, version: this.probe?.version ?? '', version_num: this.probe?.version_num ?? 0,
          role: this.probe?.role ?? 'unknown', up: false, error: cutText(message, 2000),
        }, now);
        if (this.up) this.emit.event(this.config.name, { kind: 'instance.down', severity: 'critical', message: `instance unreachable: ${message}` }, now);
      }
      this.up = false;
      this.probeDue = now + DOWN_PROBE_INTERVAL_MS;
      // postgres.js waits longer before each reconnect of a pool; fresh pools see the server as soon as it is back.
      await this.close();
      // pg_up.up = 0, so charts and alerts see the outage as data.
      this.emit.metrics(this.config.name, { collector: 'pg_up', metrics: [{ name: 'pg_up.up', kind: 'gauge', points: [{ v: 0 }] }] }, now);
    }
  }

  /** Runs one collector; 'lost' when the server could not be reached. */
  private async runJob(job: Job, def: CollectorDef): Promise<'ok' | 'lost'> {
    const started = Date.now();
    try {
      const out = await runSqlCollector((db) => this.pool(db), def, this.probe!, this.limits.statementTimeoutMs, this.requirements);
      if (out.status === 'skipped') { job.skipped(started, out.reason); return 'ok'; }
      const duration = Date.now() - started;
      this.emit.metrics(this.config.name, { collector: def.id, interval_ms: job.intervalMs, metrics: out.metrics }, started);
      this.recordSuccess(job, duration, out.rows);
      return 'ok';
    } catch (err) {
      return this.recordFailure(job, started, err);
    }
  }

  /** A successful run: reports a recovery, and entering a backoff for overrunning the interval. */
  private recordSuccess(job: Job, durationMs: number, rows: number): void {
    const before = job.state;
    if (job.succeeded(Date.now(), durationMs, rows)) {
      this.emit.event(this.config.name, { kind: 'collector.recovered', severity: 'info', message: `collector ${job.id} works again` }, Date.now());
    } else if (before !== 'backoff' && job.state === 'backoff') {
      this.emit.event(this.config.name, { kind: 'collector.backoff', severity: 'warning', message: `collector ${job.id} ${job.note}`, details: { collector: job.id, duration_ms: durationMs } }, Date.now());
    }
  }

  /** A failed run: 'lost' when the server is gone (the probe's to report), else counted, backed off and reported once. */
  private recordFailure(job: Job, started: number, err: unknown): 'ok' | 'lost' {
    if (isConnectionError(err)) return 'lost';
    const message = describePgError(err);
    if (job.failed(Date.now(), Date.now() - started, message)) {
      this.emit.event(this.config.name, {
        kind: 'collector.backoff', severity: 'warning',
        message: `collector ${job.id} failed ${job.consecutive} times in a row, backing off: ${message}`,
        details: { collector: job.id, error: message },
      }, Date.now());
    }
    return 'ok';
  }

  private readonly requirements = new Requirements();

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.end({ timeout: 2 })));
    this.pools.clear();
    this.requirements.clear();
  }
}
