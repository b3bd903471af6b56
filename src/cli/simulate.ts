import { Type, type Static } from '@sinclair/typebox';
import { HttpTransport, NatsTransport, NoopTransport, RejectedMessageError, type Transport } from '../agent/index.ts';
import { loadCatalog, PRESETS } from '../catalog/index.ts';
import { encodeEnvelope } from '../protocol/index.ts';
import { estimateRate, FleetSimulator } from '../simulate/index.ts';
import { ConfigError, type FieldSpec } from './config.ts';
import { logLine } from './log.ts';

const ID = '^[A-Za-z0-9_-]{1,100}$';
const START = '^now(-[0-9]+(\\.[0-9]+)?[smhd])?$';

export const SimulateConfig = Type.Object({
  agents: Type.Integer({ minimum: 1, maximum: 1_000_000 }),
  nats: Type.Array(Type.String({ pattern: '^(nats|tls)://' }), { default: [] }),
  nats_creds: Type.String({ default: '' }),
  http: Type.String({ default: '' }),
  token: Type.String({ default: '' }),
  dry_run: Type.Boolean({ default: false }),
  duration_s: Type.Number({ minimum: 0, default: 0 }),
  speed: Type.Number({ exclusiveMinimum: 0, maximum: 1_000_000, default: 1 }),
  start: Type.String({ pattern: START, default: 'now' }),
  seed: Type.Integer({ minimum: 0, default: 1 }),
  preset: Type.Union(PRESETS.map((p) => Type.Literal(p)), { default: 'standard' }),
  databases: Type.Integer({ minimum: 1, maximum: 1000, default: 3 }),
  tables: Type.Integer({ minimum: 0, maximum: 100_000, default: 20 }),
  statements: Type.Integer({ minimum: 0, maximum: 5000, default: 200 }),
  version_num: Type.Integer({ minimum: 90600, default: 160004 }),
  namespace: Type.String({ pattern: ID, default: 'sim' }),
  prefix: Type.String({ pattern: '^[A-Za-z0-9_-]{1,80}$', default: 'sim' }),
  first_agent: Type.Integer({ minimum: 0, default: 0 }),
  first_seq: Type.Integer({ minimum: 0, default: 0 }),
  inflight: Type.Integer({ minimum: 1, maximum: 100_000, default: 1000 }),
  progress_s: Type.Number({ minimum: 0.1, default: 10 }),
  catalog_dir: Type.Array(Type.String(), { default: [] }),
}, { additionalProperties: false });
export type SimulateConfig = Static<typeof SimulateConfig>;

export const SIMULATE_FIELDS: FieldSpec[] = [
  { key: 'agents', flag: 'agents', type: 'number', description: 'simulated instances, one agent each (required): pairs of primary and replica' },
  { key: 'nats', flag: 'nats', env: 'PGFLEET_NATS_URL', type: 'list', description: 'NATS servers: publish to JetStream' },
  { key: 'nats_creds', flag: 'nats-creds', env: 'PGFLEET_NATS_CREDS', type: 'string', description: 'NATS credentials file' },
  { key: 'http', flag: 'http', env: 'PGFLEET_SERVER_URL', type: 'string', description: 'server URL: POST to /api/v1/ingest instead of NATS' },
  { key: 'token', flag: 'token', env: 'PGFLEET_TOKEN', type: 'string', description: 'ingest token for --http' },
  { key: 'dry_run', flag: 'dry-run', type: 'boolean', description: 'generate and encode, send nothing' },
  { key: 'duration_s', flag: 'duration-s', type: 'number', description: 'wall-clock seconds to run (0: until SIGINT/SIGTERM)' },
  { key: 'speed', flag: 'speed', type: 'number', description: 'simulated seconds per wall-clock second' },
  { key: 'start', flag: 'start', type: 'string', description: 'simulated start: now, or now-<n><s|m|h|d> to backfill' },
  { key: 'seed', flag: 'seed', type: 'number', description: 'same seed, same data' },
  { key: 'preset', flag: 'preset', type: 'string', description: 'minimal | standard | exhaustive: the catalog collectors' },
  { key: 'databases', flag: 'databases', type: 'number', description: 'databases per instance' },
  { key: 'tables', flag: 'tables', type: 'number', description: 'tables per database' },
  { key: 'statements', flag: 'statements', type: 'number', description: 'pg_stat_statements entries per instance' },
  { key: 'version_num', flag: 'version-num', type: 'number', description: 'server_version_num of the instances' },
  { key: 'namespace', flag: 'namespace', type: 'string', description: 'namespace of the instances' },
  { key: 'prefix', flag: 'prefix', type: 'string', description: 'agent, instance and cluster names start with it' },
  { key: 'first_agent', flag: 'first-agent', type: 'number', description: 'index of the first agent (to share a fleet between processes)' },
  { key: 'first_seq', flag: 'first-seq', type: 'number', description: 'seq of each agent\'s first message (0: the start time in µs, so runs never collide)' },
  { key: 'inflight', flag: 'inflight', type: 'number', description: 'publishes in flight at most' },
  { key: 'progress_s', flag: 'progress-s', type: 'number', description: 'seconds between progress lines' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'folders of extra collector YAML files' },
];

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** How far before now `--start` puts the simulated start, ms. */
export function startOffsetMs(start: string): number {
  const m = /^now(?:-([0-9]+(?:\.[0-9]+)?)([smhd]))?$/.exec(start);
  if (!m) throw new ConfigError([`--start: expected now or now-<n><s|m|h|d>, got "${start}"`]);
  return m[1] ? Math.round(Number(m[1]) * UNIT_MS[m[2]]) : 0;
}

interface Counts { messages: number; samples: number; bytes: number; lagSumMs: number; lagMaxMs: number }
const counts = (): Counts => ({ messages: 0, samples: 0, bytes: 0, lagSumMs: 0, lagMaxMs: 0 });
interface Outgoing { agent: string; type: string; seq: number; samples: number; dueWall: number }

/**
 * Keeps up to `max` sends in flight and never awaits them one by one; a failed send
 * is retried with growing pauses (same seq, so the broker and the store drop doubles)
 * until `giveUp()`; a message the server refuses for good is counted, not retried.
 */
class Publisher {
  private inflight = 0;
  private readonly waiting: (() => void)[] = [];
  private givenUp = false;
  private closed = false;
  readonly total = counts();
  window = counts();
  rejected = 0;
  errors = 0;
  lastError?: string;

  constructor(private readonly transport: Transport, private readonly namespace: string, private readonly max: number) {}

  get inFlight(): number { return this.inflight; }

  /** Sends it (false: the publisher is closed, nothing sent); waits while `max` are in flight. */
  async submit(bytes: Uint8Array, m: Outgoing): Promise<boolean> {
    while (this.inflight >= this.max && !this.closed) await new Promise<void>((r) => this.waiting.push(r));
    if (this.closed) return false;
    this.inflight++;
    void this.deliver(bytes, m).finally(() => { this.inflight--; this.waiting.shift()?.(); });
    return true;
  }

  /** Takes no more messages; a submit waiting for room returns at once. */
  close(): void {
    this.closed = true;
    for (const wake of this.waiting.splice(0)) wake();
  }

  private async deliver(bytes: Uint8Array, m: Outgoing): Promise<void> {
    for (let pause = 100; ; pause = Math.min(pause * 2, 5000)) {
      try {
        await this.transport.send(bytes, { agent: m.agent, namespace: this.namespace, type: m.type, seq: m.seq });
        const lag = Math.max(0, Date.now() - m.dueWall);
        for (const c of [this.total, this.window]) {
          c.messages++; c.samples += m.samples; c.bytes += bytes.byteLength; c.lagSumMs += lag; c.lagMaxMs = Math.max(c.lagMaxMs, lag);
        }
        return;
      } catch (err) {
        this.lastError = (err as Error).message;
        if (err instanceof RejectedMessageError) { this.rejected++; return; }
        this.errors++;
        if (this.givenUp) return;
        await new Promise((r) => setTimeout(r, pause));
      }
    }
  }

  /** Resolves true when nothing is in flight, false after `timeoutMs`. */
  async drain(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.inflight > 0) {
      if (Date.now() > deadline) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return true;
  }

  /** Sends still failing stop retrying and count as failed. */
  giveUp(): void { this.givenUp = true; }
}

function transportOf(cfg: SimulateConfig): Promise<Transport> | Transport {
  const problems: string[] = [];
  if ([cfg.nats.length > 0, cfg.http !== '', cfg.dry_run].filter(Boolean).length !== 1) problems.push('say where to send: exactly one of --nats <url>, --http <url>, --dry-run');
  if (cfg.http && (!/^https?:\/\//.test(cfg.http) || !URL.canParse(cfg.http))) problems.push(`--http: "${cfg.http.slice(0, 80)}" is not an http:// or https:// URL`);
  if (problems.length) throw new ConfigError(problems);
  if (cfg.dry_run) return new NoopTransport();
  if (cfg.http) return new HttpTransport({ url: cfg.http, token: cfg.token || undefined });
  return NatsTransport.connect({ servers: cfg.nats, credsFile: cfg.nats_creds || undefined, name: 'pgfleet-simulate' });
}

const iso = (ms: number) => new Date(ms).toISOString();
const round = (v: number, dp = 1) => Math.round(v * 10 ** dp) / 10 ** dp;

/**
 * `pgfleet simulate`: N fake agents sending over the real transport. Simulated time
 * runs `speed` times as fast as the wall clock from `start`; envelopes are generated
 * tick by tick, each when its simulated time has come, and published with at most
 * `inflight` in flight, so memory stays bounded however long it runs.
 */
export async function runSimulate(cfg: SimulateConfig, _env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
  const backfillMs = startOffsetMs(cfg.start);
  const catalog = loadCatalog(cfg.catalog_dir);
  const opts = {
    agents: cfg.agents, seed: cfg.seed, preset: cfg.preset, databases: cfg.databases, tables: cfg.tables, statements: cfg.statements,
    version_num: cfg.version_num, namespace: cfg.namespace, prefix: cfg.prefix, firstAgent: cfg.first_agent,
    firstSeq: cfg.first_seq || Date.now() * 1000,
  };
  const sim = new FleetSimulator(catalog, opts);
  const transport = await transportOf(cfg);
  const pub = new Publisher(transport, cfg.namespace, cfg.inflight);
  const rate = estimateRate(catalog, opts, 900);
  // The clocks start once everything is ready, so the first messages are not late.
  const wall0 = Date.now();
  const sim0 = wall0 - backfillMs;
  const endSim = cfg.duration_s > 0 ? sim0 + cfg.duration_s * 1000 * cfg.speed : Infinity;
  logLine('info', `pgfleet simulate: ${cfg.agents} agents (${cfg.prefix}-${cfg.first_agent}…${cfg.prefix}-${cfg.first_agent + cfg.agents - 1}, namespace ${cfg.namespace}, preset ${cfg.preset}) via ${transport.name}; `
    + `simulated time from ${iso(sim0)} at ×${cfg.speed}${Number.isFinite(endSim) ? ` to ${iso(endSim)}` : ' until stopped'}; `
    + `expect about ${Math.round(rate.samplesPerS * cfg.speed)} samples/s and ${round(rate.messagesPerS * cfg.speed)} messages/s of wall time`);
  if (endSim > wall0 + 3_600_000) {
    const ahead = Number.isFinite(endSim) ? `will end ${round((endSim - wall0) / 3_600_000)} h` : `runs ${round(cfg.speed - 1)} s per second`;
    logLine('warn', `simulated time ${ahead} ahead of the clock: the keeper refuses messages stamped more than a day ahead (--start now-<duration × speed> ends near now)`);
  }

  const simNow = () => sim0 + (Date.now() - wall0) * cfg.speed;
  const dueWall = (ts: number) => wall0 + (ts - sim0) / cfg.speed;
  // Simulated ms per generator tick: about 2,000 agent-seconds of messages at once.
  const spanMs = Math.max(50, Math.min(5000, Math.floor(2_000_000 / cfg.agents)));
  const minSpan = Math.min(spanMs, 100 * cfg.speed);
  let from = sim0;
  let nextProgress = wall0 + cfg.progress_s * 1000;
  let windowStart = wall0;
  const progress = (now: number) => {
    const w = pub.window;
    const s = (now - windowStart) / 1000;
    logLine('info', `simulate: ${pub.total.messages} messages sent of ${sim.stats.messages}, ${Math.round(w.samples / s)} samples/s, ${round(w.messages / s)} messages/s, `
      + `publish lag ${w.messages ? round(w.lagSumMs / w.messages / 1000, 2) : 0} s (max ${round(w.lagMaxMs / 1000, 2)} s), ${pub.inFlight} in flight, simulated ${iso(Math.min(from, endSim))}`
      + `${pub.errors ? `; ${pub.errors} send errors, last: ${pub.lastError}` : ''}`);
    pub.window = counts();
    windowStart = now;
  };
  // An interrupt must not wait for room in a window that a dead broker keeps full.
  const onAbort = () => pub.close();
  signal.addEventListener('abort', onAbort);
  try {
    while (!signal.aborted && from < endSim) {
      const now = Date.now();
      if (now >= nextProgress) { progress(now); nextProgress = now + cfg.progress_s * 1000; }
      const target = Math.min(endSim, simNow());
      // Ticks of at least 100 ms of wall time (or a whole span): each tick visits every agent.
      if (target - from < minSpan && target < endSim) { await new Promise((r) => setTimeout(r, Math.min(100, Math.max(1, (from + minSpan - target) / cfg.speed)))); continue; }
      const to = Math.min(target, from + spanMs);
      for (const env of sim.tick(from, to)) {
        const samples = env.type === 'metrics' ? env.data.metrics.reduce((n, f) => n + f.points.length, 0) : 0;
        if (!(await pub.submit(encodeEnvelope(env), { agent: env.agent, type: env.type, seq: env.seq, samples, dueWall: dueWall(env.ts) }))) break;
      }
      from = to;
    }
    if (!(await pub.drain(signal.aborted ? 10_000 : 60_000))) {
      pub.giveUp();
      await pub.drain(15_000);
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    await transport.close().catch((err) => logLine('warn', `closing ${transport.name}: ${(err as Error).message}`));
  }
  const wallS = (Date.now() - wall0) / 1000;
  const t = pub.total;
  const summary = {
    figure: 'simulate', agents: cfg.agents, preset: cfg.preset, transport: transport.name, speed: cfg.speed, interrupted: signal.aborted,
    sim_start: iso(sim0), sim_end: iso(Math.min(from, endSim)), sim_s: round((Math.min(from, endSim) - sim0) / 1000), wall_s: round(wallS),
    generated: sim.stats.messages, sent: t.messages, rejected: pub.rejected, not_sent: sim.stats.messages - t.messages - pub.rejected,
    samples: t.samples, by_type: sim.stats.byType, counter_resets: sim.stats.resets, bytes: t.bytes,
    messages_per_s: round(t.messages / wallS), samples_per_s: Math.round(t.samples / wallS),
    publish_lag_s: { mean: t.messages ? round(t.lagSumMs / t.messages / 1000, 3) : 0, max: round(t.lagMaxMs / 1000, 3) },
  };
  process.stdout.write(`${JSON.stringify(summary)}\n`);
  // After an interrupt, what was generated but not yet sent is dropped on purpose.
  const ok = summary.rejected === 0 && (signal.aborted || summary.not_sent === 0);
  logLine(ok ? 'info' : 'error', `simulate ${signal.aborted ? 'stopped' : 'done'}: ${t.messages} of ${sim.stats.messages} messages sent (${t.samples} samples) in ${round(wallS)} s`
    + `${ok ? '' : `; ${summary.rejected} rejected, ${summary.not_sent} not sent${pub.lastError ? `, last error: ${pub.lastError}` : ''}`}`);
  return ok ? 0 : 1;
}
