import type { DataOf, Envelope, MessageType } from '../protocol/index.ts';
import { PRESETS, type CollectorDef, type Preset } from '../catalog/index.ts';
import { heartbeatMessages, inventoryData } from './agent-health.ts';
import { collectorFamilies } from './collector-run.ts';
import { SimulateError } from './errors.ts';
import { simInstance, type SimInstance } from './instance.ts';
import { dueRuns, jitterMs, jobOffset, jobTemplates, type JobTemplate } from './jobs.ts';
import { spread, unit } from './prng.ts';
import { splitToFit } from './split.ts';
import { activityData, statementsData } from './statement-pool.ts';
import type { ValueContext } from './values.ts';

export interface SimulateOptions {
  /** One agent per instance: agent and instance `<prefix>-<i>`, cluster `<prefix>-<⌊i/2⌋>` (even i primary, odd i its replica). */
  agents: number;
  /** Same seed, same ticks: same envelopes. Default 1. */
  seed?: number;
  /** Which catalog collectors run (default 'standard'). */
  preset?: Preset;
  /** Databases per instance (default 3): db0…dbN-1. */
  databases?: number;
  /** Tables per database (default 20): t0…tN-1. */
  tables?: number;
  /** Distinct pg_stat_statements entries per instance (default 200). */
  statements?: number;
  /** server_version_num of every instance (default 160004): picks the SQL variants, hence the families. */
  version_num?: number;
  /** Default 'sim'. */
  namespace?: string;
  /** Agent, instance and cluster names start with it (default 'sim'). */
  prefix?: string;
  /** Index of the first agent (default 0): several simulators can share a fleet's numbering. */
  firstAgent?: number;
  /** Sequence number of every agent's first message (default 1). */
  firstSeq?: number;
  /** Statements sent per ranking, as the agent's --statements-top (default 50). */
  statementsTop?: number;
}

export interface SimulateStats {
  messages: number;
  /** Metric points (what the agent counts as samples). */
  samples: number;
  byType: Record<string, number>;
  /** Counter series that reset (to a small value) in the runs generated. */
  resets: number;
}

interface SimAgent {
  inst: SimInstance; jobs: JobTemplate[]; seq: number; sentTexts: Uint8Array; startedAt: number; ctx: ValueContext;
  /** Each job's offset in its interval (jobOffset), and the earliest time any job is due next. */
  offsets: number[]; nextDue: number;
}

const ID = /^[A-Za-z0-9_-]{1,100}$/;

/**
 * Generates what a fleet of agents would send: the catalog's collectors at their
 * intervals, statement deltas, activity samples, heartbeats and inventories. Pure
 * and deterministic (no clock, no I/O): the caller says which span of time to fill.
 * Values are functions of (series, time), so memory does not grow with the number of
 * series or with time; per agent it keeps its next seq and which query texts it sent.
 */
export class FleetSimulator {
  readonly stats: SimulateStats = { messages: 0, samples: 0, byType: {}, resets: 0 };
  private readonly agents: SimAgent[] = [];
  private readonly top: number;
  private started?: number;

  constructor(catalog: CollectorDef[], opts: SimulateOptions) {
    const o = { seed: 1, preset: 'standard' as Preset, databases: 3, tables: 20, statements: 200, version_num: 160004,
      namespace: 'sim', prefix: 'sim', firstAgent: 0, firstSeq: 1, statementsTop: 50,
      ...Object.fromEntries(Object.entries(opts).filter(([, v]) => v !== undefined)) as SimulateOptions };
    const problems: string[] = [];
    const int = (name: keyof typeof o, min: number, max = Number.MAX_SAFE_INTEGER) => {
      const v = o[name] as number;
      if (!Number.isInteger(v) || v < min || v > max) problems.push(`${name} must be an integer from ${min} to ${max}, got ${String(v)}`);
    };
    int('agents', 1, 1_000_000); int('seed', 0); int('databases', 1, 1000); int('tables', 0, 100_000); int('statements', 0, 5000);
    int('version_num', 90600); int('firstAgent', 0); int('firstSeq', 1); int('statementsTop', 1, 500);
    if (!PRESETS.includes(o.preset)) problems.push(`preset must be one of ${PRESETS.join(', ')}, got ${String(o.preset)}`);
    if (!ID.test(o.namespace)) problems.push(`namespace must match ${ID.source}, got "${o.namespace}"`);
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(o.prefix)) problems.push(`prefix must be letters, digits, - and _ (at most 80), got "${o.prefix}"`);
    if (problems.length) throw new SimulateError(problems);
    this.top = o.statementsTop;
    const templates = { primary: jobTemplates(catalog, o.preset, 'primary', o.version_num), replica: jobTemplates(catalog, o.preset, 'replica', o.version_num) };
    for (let i = o.firstAgent; i < o.firstAgent + o.agents; i++) {
      const inst = simInstance(i, { ...o, agents: o.agents });
      const jobs = templates[inst.role];
      const agent: SimAgent = { inst, jobs, seq: o.firstSeq, sentTexts: new Uint8Array(o.statements), startedAt: 0,
        ctx: { role: inst.role, startedAt: 0, onReset: () => { this.stats.resets++; } },
        offsets: jobs.map((job, j) => jobOffset(inst, j, job.intervalMs)), nextDue: -Infinity };
      this.agents.push(agent);
    }
  }

  /** The simulated instances (names, roles, clusters, databases). */
  instances(): readonly SimInstance[] {
    return this.agents.map((a) => a.inst);
  }

  /**
   * Envelopes of every agent due in (from, to] (ms), oldest first, each agent's seq
   * going up from firstSeq. The first call also yields one inventory per instance, at
   * its start. Calls are expected to follow each other: (from, to], then (to, …].
   */
  tick(from: number, to: number): Envelope[] {
    const out: { env: Envelope; a: SimAgent }[] = [];
    if (this.started === undefined) {
      this.started = from;
      for (const a of this.agents) {
        // The postmaster started between an hour and two months before the simulation.
        a.startedAt = a.ctx.startedAt = from - Math.floor(spread(unit(a.inst.hash, 99), 3_600_000, 60 * 86_400_000));
        out.push({ env: this.envelope(a, 'inventory', a.inst.instance, inventoryData(a.inst, a.startedAt), Math.min(to, from + 1)), a });
      }
    }
    for (const a of this.agents) {
      // Most ticks are shorter than most intervals: an agent with nothing due is passed over.
      if (a.nextDue > to) continue;
      let next = Infinity;
      a.jobs.forEach((job, j) => {
        if (job.skipped) return;
        const off = a.offsets[j];
        const [first, last] = dueRuns(from, to, job.intervalMs, off);
        for (let k = first; k <= last; k++) {
          // A run too large for one message goes as several, as the agent sends it.
          for (const env of this.run(a, job, j, k, k * job.intervalMs + off)) for (const part of splitToFit(env)) out.push({ env: part, a });
        }
        // last ≥ first − 1 always: the next run is last + 1.
        next = Math.min(next, (last + 1) * job.intervalMs + off);
      });
      a.nextDue = next;
    }
    // Stable: at the same ms, agents keep their order and an agent its jobs' order.
    out.sort((x, y) => x.env.ts - y.env.ts);
    for (const { env, a } of out) {
      env.seq = a.seq++;
      this.stats.messages++;
      this.stats.byType[env.type] = (this.stats.byType[env.type] ?? 0) + 1;
      if (env.type === 'metrics') for (const f of env.data.metrics) this.stats.samples += f.points.length;
    }
    return out.map((o) => o.env);
  }

  private run(a: SimAgent, job: JobTemplate, j: number, k: number, due: number): Envelope[] {
    const { inst } = a;
    const ts = due + jitterMs(inst, j, k);
    // Successive timestamps: the interval the agent would report.
    const interval = job.intervalMs + jitterMs(inst, j, k) - jitterMs(inst, j, k - 1);
    switch (job.kind) {
      case 'collector': {
        const metrics = collectorFamilies(job.def!, inst, due, job.intervalMs, a.ctx);
        return job.nodeLevel
          ? [this.envelope(a, 'metrics', undefined, { collector: job.id, interval_ms: job.intervalMs, node: inst.node, metrics }, ts)]
          : [this.envelope(a, 'metrics', inst.instance, { collector: job.id, interval_ms: job.intervalMs, metrics }, ts)];
      }
      case 'statements': return [this.envelope(a, 'statements', inst.instance, statementsData(inst, k, interval, this.top, a.sentTexts), ts)];
      case 'activity': return [this.envelope(a, 'activity', inst.instance, activityData(inst, k, interval, 1000), ts)];
      case 'inventory': return [this.envelope(a, 'inventory', inst.instance, inventoryData(inst, a.startedAt), ts)];
      case 'heartbeat': {
        const { heartbeat, own } = heartbeatMessages(inst, a.jobs, this.started!, ts, a.ctx);
        return [this.envelope(a, 'heartbeat', undefined, heartbeat, ts), this.envelope(a, 'metrics', undefined, own, ts)];
      }
    }
  }

  /** Fields in the agent's order (src/agent/agent.ts send()); seq is set once the tick is sorted. */
  private envelope<T extends MessageType>(a: SimAgent, type: T, instance: string | undefined, data: DataOf[T], ts: number): Envelope {
    return { v: 1, type, agent: a.inst.agent, seq: 0, ts, data, ...(instance ? { instance } : {}) } as Envelope;
  }
}
