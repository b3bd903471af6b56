import type { KeyObject } from 'node:crypto';
import { hostname } from 'node:os';
import { cutText, DEFAULT_AGENT_ACTIONS, encodeEnvelope, ProtocolError, type Envelope, type EventData, type MessageType, type DataOf, splitMetrics, splitStatements } from '../protocol/index.ts';
import { collectorsForPreset, loadCatalog, type CollectorDef, type Preset } from '../catalog/index.ts';
import { OS_READERS } from './collectors/os/index.ts';
import { Job } from './job.ts';
import { Shipper } from './shipper.ts';
import { Spool } from './spool.ts';
import { TargetMonitor, type Emit, type TargetConfig } from './target.ts';
import { isCommandSource, type Transport } from './transport/index.ts';
import { CommandExecutor } from './commands/executor.ts';
import { TaskScheduler } from './commands/scheduler.ts';
import { PgbouncerMonitor, type PgbouncerConfig } from './pgbouncer.ts';

export const AGENT_VERSION = '0.1.0';

export interface AgentOptions {
  /** Agent id; defaults to `agent-<hostname>`. */
  id?: string;
  namespace: string;
  /** Host name the node metrics belong to. */
  node?: string;
  targets: TargetConfig[];
  /** pgbouncers to watch through their admin console. */
  pgbouncers?: PgbouncerConfig[];
  preset: Preset;
  catalogDirs: string[];
  spoolDir: string;
  spoolMaxBytes?: number;
  statementTimeoutMs: number;
  lockTimeoutMs: number;
  maxIntervalS?: number;
  /** pg_stat_statements snapshot interval in s (0: off; default 60). */
  statementsIntervalS?: number;
  /** Statements sent per ranking dimension (default 50). */
  statementsTop?: number;
  /** pg_stat_activity sampling period in ms (0: off; default 1000). */
  activitySampleMs?: number;
  /** Activity aggregate interval in s (default 15). */
  activityIntervalS?: number;
  /** pg_settings read interval in s (0: off; default 60). */
  settingsIntervalS?: number;
  heartbeatS: number;
  /** Collect host metrics from /proc (off when the agent does not run on the database host). */
  nodeMetrics: boolean;
  transport: Transport;
  /** The server's command key (Ed25519 public key): without it the agent refuses every command. */
  commandKey?: KeyObject;
  /** Actions this agent runs (default: every action but `script`). */
  allowActions?: readonly string[];
  log?: (level: 'info' | 'warn' | 'error', msg: string) => void;
}

/**
 * The agent: schedules collectors for each target and for the node, writes
 * every message to the spool, and lets the shipper send it.
 */
export class Agent {
  readonly id: string;
  readonly node: string;
  readonly spool: Spool;
  readonly shipper: Shipper;
  private readonly targets: TargetMonitor[];
  private readonly pgbouncers: PgbouncerMonitor[];
  private readonly nodeJobs: { job: Job; def: CollectorDef }[] = [];
  /** Runs the server's signed commands. */
  readonly executor: CommandExecutor;
  /** Runs scheduled tasks from the last task set the server signed (when the agent has the command key). */
  readonly scheduler?: TaskScheduler;
  private timer?: NodeJS.Timeout;
  private readonly started = Date.now();
  private nextHeartbeat = 0;
  private ticking?: Promise<void>;
  /** What this agent produced since start: messages by type and metric samples. */
  readonly produced = { messages: {} as Record<string, number>, samples: 0 };

  constructor(private readonly opts: AgentOptions) {
    this.node = opts.node ?? hostname();
    this.id = opts.id ?? `agent-${this.node.replace(/[^A-Za-z0-9_-]/g, '-')}`;
    this.spool = new Spool(opts.spoolDir, { maxBytes: opts.spoolMaxBytes });
    this.shipper = new Shipper(this.spool, opts.transport, {
      agent: this.id, namespace: opts.namespace,
      onError: (err) => this.log('warn', `send failed, will retry: ${(err as Error).message}`),
    });
    const defs = collectorsForPreset(loadCatalog(opts.catalogDirs), opts.preset);
    const sqlDefs = defs.filter((d) => d.scope !== 'node');
    const emit: Emit = {
      metrics: (instance, data, ts) => this.send('metrics', instance, data, ts),
      inventory: (instance, data, ts) => this.send('inventory', instance, data, ts),
      event: (instance, data, ts) => this.send('event', instance, data, ts),
      statements: (instance, data, ts) => this.send('statements', instance, data, ts),
      activity: (instance, data, ts) => this.send('activity', instance, data, ts),
      settings: (instance, data, ts) => this.send('settings', instance, data, ts),
    };
    this.targets = opts.targets.map((t) => new TargetMonitor(t, opts.namespace, this.node, sqlDefs, {
      statementTimeoutMs: opts.statementTimeoutMs, lockTimeoutMs: opts.lockTimeoutMs, maxIntervalS: opts.maxIntervalS,
      statementsIntervalS: opts.statementsIntervalS, statementsTop: opts.statementsTop,
      activitySampleMs: opts.activitySampleMs, activityIntervalS: opts.activityIntervalS, hostMetrics: opts.nodeMetrics,
      settingsIntervalS: opts.settingsIntervalS,
    }, emit));
    this.executor = new CommandExecutor({
      agent: this.id, publicKey: opts.commandKey, allow: new Set(opts.allowActions ?? DEFAULT_AGENT_ACTIONS),
      targets: opts.targets.map((t) => ({ name: t.name, url: t.url })), stateDir: opts.spoolDir,
      report: (instance, data) => { this.send('command.result', instance, data, Date.now()); },
      // accept() answers undefined when it took the set: not a place for ??.
      onTasks: (signed, c) => (this.scheduler ? this.scheduler.accept(signed, c) : 'this agent has no server command key'),
      log: (level, msg) => this.log(level, msg),
    });
    if (opts.commandKey) {
      this.scheduler = new TaskScheduler({ agent: this.id, publicKey: opts.commandKey, executor: this.executor, stateDir: opts.spoolDir, log: (level, msg) => this.log(level, msg) });
    }
    const bouncerMs = (opts.maxIntervalS ? Math.min(15, opts.maxIntervalS) : 15) * 1000;
    this.pgbouncers = (opts.pgbouncers ?? []).map((b) => new PgbouncerMonitor(b, bouncerMs,
      (data, ts) => this.send('metrics', undefined, { ...data, node: this.node }, ts),
      (message) => this.send('event', undefined, { kind: 'collector.backoff', severity: 'warning', message, details: { collector: 'pgbouncer', pgbouncer: b.name } }, Date.now())));
    if (opts.nodeMetrics) {
      const now = Date.now();
      for (const def of defs.filter((d) => d.scope === 'node')) {
        const s = opts.maxIntervalS ? Math.min(def.interval_s, opts.maxIntervalS) : def.interval_s;
        this.nodeJobs.push({ job: new Job(def.id, s * 1000, undefined, now), def });
      }
    }
  }

  private log(level: 'info' | 'warn' | 'error', msg: string): void {
    this.opts.log?.(level, msg);
  }

  /** Builds the envelope, spools it, wakes the shipper; false when it could not be spooled. */
  send<T extends MessageType>(type: T, instance: string | undefined, data: DataOf[T], ts: number): boolean {
    try {
      // Encoded with the next seq before it is taken: a message too large to send must not leave a gap in the seqs.
      const env = { v: 1, type, agent: this.id, seq: this.spool.last + 1, ts, data, ...(instance ? { instance } : {}) } as Envelope;
      let bytes: Uint8Array;
      try {
        bytes = encodeEnvelope(env);
      } catch (err) {
        const tooLarge = err instanceof ProtocolError && err.code === 'PGFLEET_PROTOCOL_TOO_LARGE';
        const parts = !tooLarge ? undefined
          : type === 'metrics' ? splitMetrics(data as DataOf['metrics'])
            : type === 'statements' ? splitStatements(data as DataOf['statements']) : undefined;
        if (!parts) throw err;
        // A large collector run (many tables, many statements) goes as several messages.
        let ok = true;
        for (const part of parts) ok = this.send(type, instance, part as DataOf[T], ts) && ok;
        return ok;
      }
      // send() is synchronous, so nothing took a seq since spool.last was read.
      const seq = this.spool.nextSeq();
      if (seq !== env.seq) throw new Error(`spool handed out seq ${seq}, the message was encoded with ${env.seq}`);
      const dropped = this.spool.put(seq, bytes);
      this.produced.messages[type] = (this.produced.messages[type] ?? 0) + 1;
      if (type === 'metrics') for (const f of (data as DataOf['metrics']).metrics) this.produced.samples += f.points.length;
      if (dropped.length > 0) this.log('warn', `spool full: dropped ${dropped.length} oldest messages`);
      this.shipper.wake();
      return true;
    } catch (err) {
      // Disk full, spool folder gone, message too large: counted and logged, never fatal.
      this.sendFailures++;
      this.log('error', `could not spool a ${type} message: ${(err as Error).message}`);
      return false;
    }
  }

  /** Messages that could not be spooled (reported in the heartbeat's log line). */
  sendFailures = 0;

  start(): void {
    this.shipper.start();
    this.scheduler?.load();
    if (isCommandSource(this.opts.transport)) this.opts.transport.listenCommands(this.id, (signed) => this.executor.handle(signed));
    this.timer = setInterval(() => {
      if (this.ticking) return;
      this.ticking = this.tick()
        .catch((err) => this.log('error', `collection round failed: ${(err as Error).message}`))
        .finally(() => { this.ticking = undefined; });
    }, 250);
  }

  /** Work started by ticks and not finished yet; each target and node job runs on its own. */
  private readonly inFlight = new Set<Promise<void>>();
  private readonly nodeBusy = new Set<Job>();

  /**
   * Starts what is due without waiting for it: a slow or unreachable target never
   * delays another target, the node collectors or the heartbeat.
   */
  private async tick(): Promise<void> {
    const now = Date.now();
    try {
      this.scheduler?.tick();
    } catch (err) {
      this.log('error', `scheduled tasks: ${(err as Error).message}`);
    }
    const track = (p: Promise<void>) => { this.inFlight.add(p); p.finally(() => this.inFlight.delete(p)); };
    for (const t of this.targets) {
      track(t.tick(now).catch((err) => this.log('error', `target ${t.config.name}: ${(err as Error).message}`)));
      track(t.tickActivity(now).catch((err) => this.log('error', `target ${t.config.name} activity: ${(err as Error).message}`)));
    }
    for (const b of this.pgbouncers) track(b.tick(now).catch((err) => this.log('error', `pgbouncer ${b.config.name}: ${(err as Error).message}`)));
    for (const { job, def } of this.nodeJobs) {
      if (now < job.nextRun || this.nodeBusy.has(job)) continue;
      this.nodeBusy.add(job);
      track(this.runNodeJob(job, def).finally(() => this.nodeBusy.delete(job)));
    }
    if (now >= this.nextHeartbeat) {
      this.nextHeartbeat = now + this.opts.heartbeatS * 1000;
      this.sendHeartbeat(now);
    }
  }

  private async runNodeJob(job: Job, def: CollectorDef): Promise<void> {
    const started = Date.now();
    try {
      const reader = OS_READERS[def.reader as keyof typeof OS_READERS];
      if (!reader) throw new Error(`no /proc reader named "${def.reader}"`);
      const metrics = await reader();
      this.send('metrics', undefined, { collector: def.id, interval_ms: job.intervalMs, node: this.node, metrics }, started);
      job.succeeded(Date.now(), Date.now() - started, metrics.reduce((n, f) => n + f.points.length, 0));
    } catch (err) {
      const message = (err as Error).message;
      if (job.failed(Date.now(), Date.now() - started, message)) {
        this.send('event', undefined, { kind: 'collector.backoff', severity: 'warning', message: `collector ${def.id} failed: ${message}`, details: { collector: def.id } } satisfies EventData, Date.now());
      }
    }
  }

  private sendHeartbeat(now: number): void {
    const jobs = [...this.targets.flatMap((t) => t.allJobs()), ...this.pgbouncers.map((b) => b.job), ...this.nodeJobs.map((n) => n.job)];
    this.send('heartbeat', undefined, {
      agent_version: AGENT_VERSION,
      uptime_s: (now - this.started) / 1000,
      node: this.node,
      spool: this.spool.stats(),
      ...(this.scheduler ? { tasks: this.scheduler.held() } : {}),
      collectors: jobs.map((j) => ({
        id: j.id, ...(j.instance ? { instance: j.instance } : {}), state: j.state, runs: j.runs, failures: j.failures,
        ...(j.lastDurationMs !== undefined ? { last_duration_ms: j.lastDurationMs } : {}),
        ...(j.lastError ? { last_error: cutText(j.lastError, 2000) } : {}),
        ...(j.lastRows !== undefined ? { last_rows: j.lastRows } : {}),
        ...(j.overruns ? { overruns: j.overruns } : {}),
        ...(j.note ? { note: cutText(j.note, 2000) } : {}),
      })),
    }, now);
    this.sendOwnMetrics(now, jobs);
  }

  /**
   * The agent's own cost as metrics (`pgfleet_agent.*`, node-level): RSS, CPU, spool,
   * and per collector and instance its last duration, total time, runs, failures,
   * rows and state (0 ok, 1 failing, 2 backoff, 3 skipped), so what the agent costs
   * and why a collector is backed off are charted like everything else.
   */
  private sendOwnMetrics(now: number, jobs: Job[]): void {
    const cpu = process.cpuUsage();
    const spool = this.spool.stats();
    const per = (j: Job) => ({ collector: j.id, ...(j.instance ? { instance: j.instance } : {}) });
    const STATE = { ok: 0, failing: 1, backoff: 2, skipped: 3 } as const;
    const g = (name: string, v: number, unit?: string) => ({ name: `pgfleet_agent.${name}`, kind: 'gauge' as const, ...(unit ? { unit } : {}), points: [{ v }] });
    const c = (name: string, v: number, unit?: string) => ({ ...g(name, v, unit), kind: 'counter' as const });
    this.send('metrics', undefined, {
      collector: 'pgfleet_agent', interval_ms: this.opts.heartbeatS * 1000, node: this.node,
      metrics: [
        g('rss_bytes', process.memoryUsage.rss(), 'bytes'),
        c('cpu_seconds', (cpu.user + cpu.system) / 1e6, 'seconds'),
        g('spool_messages', spool.messages),
        g('spool_bytes', spool.bytes, 'bytes'),
        c('spool_dropped', spool.dropped),
        c('send_failures', this.sendFailures),
        { name: 'pgfleet_agent.collector_duration_ms', kind: 'gauge', unit: 'ms', points: jobs.filter((j) => j.lastDurationMs !== undefined).map((j) => ({ l: per(j), v: j.lastDurationMs! })) },
        { name: 'pgfleet_agent.collector_time_ms', kind: 'counter', unit: 'ms', points: jobs.map((j) => ({ l: per(j), v: j.totalDurationMs })) },
        { name: 'pgfleet_agent.collector_runs', kind: 'counter', points: jobs.map((j) => ({ l: per(j), v: j.runs })) },
        { name: 'pgfleet_agent.collector_failures', kind: 'counter', points: jobs.map((j) => ({ l: per(j), v: j.failures })) },
        { name: 'pgfleet_agent.collector_rows', kind: 'gauge', points: jobs.filter((j) => j.lastRows !== undefined).map((j) => ({ l: per(j), v: j.lastRows! })) },
        { name: 'pgfleet_agent.collector_state', kind: 'gauge', points: jobs.map((j) => ({ l: per(j), v: STATE[j.state] })) },
      ],
    }, now);
  }

  /** Stops collecting; with `drainMs`, waits that long for the spool to empty first. */
  async stop(drainMs = 0): Promise<void> {
    clearInterval(this.timer);
    await this.ticking;
    await Promise.allSettled([...this.inFlight]);
    await this.executor.stop();
    if (drainMs > 0) await this.shipper.drain(drainMs);
    await this.shipper.stop();
    await Promise.all([...this.targets.map((t) => t.close()), ...this.pgbouncers.map((b) => b.close())]);
    await this.opts.transport.close();
  }
}
