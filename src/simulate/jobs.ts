import { collectorsForPreset, selectVariant, type CollectorDef, type Preset } from '../catalog/index.ts';
import { mix } from './prng.ts';
import type { SimInstance } from './instance.ts';

export const JOB_KINDS = ['collector', 'statements', 'activity', 'heartbeat', 'inventory'] as const;
export type JobKind = (typeof JOB_KINDS)[number];

/** Something an agent does periodically; the same list for every agent of a role. */
export interface JobTemplate {
  id: string;
  kind: JobKind;
  def?: CollectorDef;
  intervalMs: number;
  /** Listed in the heartbeat (collectors and samplers), with the instance unless node-level. */
  reported: boolean;
  nodeLevel: boolean;
  /** Why the agent skips it on this instance (role, missing extension, no SQL for the version). */
  skipped?: string;
}

/** The agent's own periods (src/agent: heartbeat_s, statements_interval_s, activity_interval_s, inventory refresh). */
export const AGENT_PERIODS_MS = { heartbeat: 15_000, statements: 60_000, activity: 15_000, inventory: 60_000 } as const;

/** Every job of an agent watching one instance of this role, in the agent's order: SQL collectors, samplers, node collectors. */
export function jobTemplates(catalog: CollectorDef[], preset: Preset, role: 'primary' | 'replica', versionNum: number): JobTemplate[] {
  const defs = collectorsForPreset(catalog, preset);
  const job = (def: CollectorDef): JobTemplate => {
    const nodeLevel = def.scope === 'node';
    const skipped = def.role !== 'any' && def.role !== role ? `runs on ${def.role} only`
      // The simulated servers have no extension besides pg_stat_statements.
      : def.requires ? `requirement not met: ${JSON.stringify(def.requires)}`
        : !nodeLevel && !selectVariant(def, versionNum) ? `no SQL for server_version_num ${versionNum}` : undefined;
    return { id: def.id, kind: 'collector', def, intervalMs: def.interval_s * 1000, reported: true, nodeLevel, ...(skipped ? { skipped } : {}) };
  };
  return [
    ...defs.filter((d) => d.scope !== 'node').map(job),
    { id: 'pg_stat_statements', kind: 'statements', intervalMs: AGENT_PERIODS_MS.statements, reported: true, nodeLevel: false },
    { id: 'pg_stat_activity_sampler', kind: 'activity', intervalMs: AGENT_PERIODS_MS.activity, reported: true, nodeLevel: false },
    ...defs.filter((d) => d.scope === 'node').map(job),
    { id: 'heartbeat', kind: 'heartbeat', intervalMs: AGENT_PERIODS_MS.heartbeat, reported: false, nodeLevel: true },
    { id: 'inventory', kind: 'inventory', intervalMs: AGENT_PERIODS_MS.inventory, reported: false, nodeLevel: false },
  ];
}

/**
 * Where in its interval a job of this agent runs, ms: the agent's start (a phase per
 * agent, so agents do not fire together) plus the spread of first runs over two
 * seconds that the agent's Job does.
 */
export function jobOffset(inst: SimInstance, jobIndex: number, intervalMs: number): number {
  return (inst.phaseMs + (mix(inst.hash, jobIndex) % 2000)) % intervalMs;
}

/** The run numbers k (due at k·interval + offset) in (from, to]. */
export function dueRuns(from: number, to: number, intervalMs: number, offsetMs: number): [number, number] {
  return [Math.floor((from - offsetMs) / intervalMs) + 1, Math.floor((to - offsetMs) / intervalMs)];
}

/** Milliseconds between when a run is due and its timestamp: collection takes a little while. */
export function jitterMs(inst: SimInstance, jobIndex: number, run: number): number {
  return mix(inst.hash ^ jobIndex, run) % 5;
}
