// The advisor for one instance: its current settings and major as its agent last sent them, its
// machine from the node metrics, its measured workload, and the profile (disk, workload, overrides)
// an operator gave it. Used by POST /api/v1/advisor and by the worker's periodic runs.
import { ADVISOR_SETTINGS, advise, AdvisorError, checkProfile, parseSize, showValue, type Advice, type AdvisorMajor, type Profile } from '../../advisor/index.ts';
import { latestOfMetrics, type InstanceRow } from '../../store/index.ts';
import { workloadFromStore, type StatsSource } from './advisor-stats.ts';

/** What the advice needs beyond what pgfleet measured; any measured value can be overridden. */
export interface AdviceInput {
  disk: Profile['disk'];
  workload: Profile['workload'];
  cpus?: number;
  ram?: string | number;
  major?: number;
  connections?: number;
  dataSize?: string | number;
  replication?: boolean;
  allowDurabilityRisk?: boolean;
  /** Days of collected statistics the workload rules read (default 7; 0: none). */
  workloadDays?: number;
}

/** A problem with the input (400 in the API, an error row in the worker). */
export class AdviceInputError extends Error {
  override name = 'AdviceInputError';
  readonly code = 'PGFLEET_ADVISOR_INPUT';
}

/** Advice from the input, against the instance's settings and workload when one is given. */
export async function adviseFor(src: StatsSource, inst: InstanceRow | undefined, b: AdviceInput, now = Date.now()): Promise<Advice> {
  const size = (field: string, v: string | number) => {
    const n = typeof v === 'number' ? v : parseSize(v);
    if (n === undefined) throw new AdviceInputError(`${field} must be a size such as 16GB or 512MB, got "${String(v)}"`);
    return n;
  };
  let current: Record<string, string> = {};
  let defaults = new Set<string>();
  let stats: Awaited<ReturnType<typeof workloadFromStore>>;
  let major = b.major;
  let cpus = b.cpus;
  let ramBytes = b.ram !== undefined ? size('ram', b.ram) : undefined;
  if (inst) {
    const state = await src.store.settings.at(inst.id, now);
    if (state.asOf === null) throw new AdviceInputError(`instance ${inst.name} has sent no settings yet: its agent sends them at start`);
    const wanted = new Set<string>(ADVISOR_SETTINGS);
    // The server-wide value (reset_val: what a session starts with), not the agent session's own.
    current = Object.fromEntries([...state.settings.values()].filter((s) => wanted.has(s.name)).map((s) => [s.name, showValue(s.reset_val ?? s.setting, s.unit)]));
    defaults = new Set([...state.settings.values()].filter((s) => wanted.has(s.name) && s.source === 'default').map((s) => s.name));
    const version = state.settings.get('server_version_num')?.setting;
    major ??= version ? Math.floor(Number(version) / 10000) : undefined;
    if ((cpus === undefined || ramBytes === undefined) && inst.node_id !== null) {
      // The agent's node metrics: what the machine has, read from /proc beside the instance.
      const hw = await latestOfMetrics(src.store.sql, { kind: 'n', id: inst.node_id }, ['node_cpu.count', 'node_memory.total'], now - 86_400_000);
      cpus ??= hw.find((x) => x.metric === 'node_cpu.count')?.value;
      ramBytes ??= hw.find((x) => x.metric === 'node_memory.total')?.value;
    }
    const days = b.workloadDays ?? 7;
    if (days > 0) stats = await workloadFromStore(src, inst, state, days * 86_400_000, now);
  }
  const missing = [...(cpus === undefined ? ['cpus'] : []), ...(ramBytes === undefined ? ['ram'] : []), ...(major === undefined ? ['major (13–18)'] : [])];
  if (missing.length) {
    throw new AdviceInputError(`${missing.join(', ')} ${missing.length === 1 ? 'is' : 'are'} needed: give ${missing.length === 1 ? 'it' : 'them'}, or an instance whose agent sends its settings and node metrics`);
  }
  try {
    return advise({
      cpus: cpus!, ramBytes: ramBytes!, disk: b.disk, workload: b.workload, major: major as AdvisorMajor,
      ...(b.connections !== undefined ? { connections: b.connections } : {}), ...(b.dataSize !== undefined ? { dataBytes: size('dataSize', b.dataSize) } : {}),
      ...(b.replication !== undefined ? { replication: b.replication } : {}), ...(b.allowDurabilityRisk !== undefined ? { allowDurabilityRisk: b.allowDurabilityRisk } : {}),
    }, current, stats, { defaults });
  } catch (err) {
    // A profile the advisor cannot read is the caller's; a value out of a major's bounds is a wrong rule of ours.
    if (err instanceof AdvisorError && err.code !== 'PGFLEET_ADVISOR_BOUNDS') throw new AdviceInputError(err.problems.join('; '), { cause: err });
    throw err;
  }
}

/**
 * What is wrong with a stored profile before any run (sizes, ranges, kinds), so a bad one is
 * refused when it is set rather than failing every run after.
 */
export function profileProblems(b: AdviceInput): string[] {
  const problems: string[] = [];
  const size = (field: string, v: string | number | undefined) => {
    if (v === undefined) return undefined;
    const n = typeof v === 'number' ? v : parseSize(v);
    if (n === undefined) problems.push(`${field} must be a size such as 16GB or 512MB, got "${String(v)}"`);
    return n;
  };
  const ram = size('ram', b.ram);
  const data = size('dataSize', b.dataSize);
  if (problems.length) return problems;
  // The measured figures stand in for what the profile leaves out; only what it gives is checked.
  return checkProfile({ cpus: b.cpus ?? 1, ramBytes: ram ?? 1024 ** 3, disk: b.disk, workload: b.workload, major: 16, ...(b.connections !== undefined ? { connections: b.connections } : {}), ...(data !== undefined ? { dataBytes: data } : {}) });
}

/** Advises one instance with its profile and keeps the run (an input problem is kept as the run's error). */
export async function adviseAndKeep(src: StatsSource, inst: InstanceRow, profile: AdviceInput, now = Date.now()): Promise<void> {
  try {
    const advice = await adviseFor(src, inst, profile, now);
    const changes = advice.recommendations.filter((r) => r.current !== null && r.current !== r.recommended);
    await src.store.advisor.addRun({ instance: inst.name, ts: now, profile, advice, changes: changes.length, restart: changes.filter((r) => r.context === 'postmaster').length, error: null });
  } catch (err) {
    if (!(err instanceof AdviceInputError)) throw err;
    await src.store.advisor.addRun({ instance: inst.name, ts: now, profile, advice: null, changes: 0, restart: 0, error: err.message });
  }
}

/** The profile an instance is advised with when nobody gave one: what most servers are. */
export const DEFAULT_ADVICE_PROFILE: AdviceInput = { disk: 'ssd', workload: 'mixed' };

/** Instances whose agent has not been heard from this long are not advised (their settings are stale). */
const SILENT_MS = 86_400_000;

/**
 * The worker's advisor job: advice for every instance whose last run is older than `everyMs` (or
 * that has none), with its stored profile, kept as a run, so the console shows what would change
 * and since when. One instance failing is kept as its run's error and logged; the others go on.
 */
export async function runAdvisor(src: StatsSource, now: number, everyMs: number, log?: (level: 'info' | 'warn' | 'error', msg: string) => void): Promise<{ advised: number; failed: number }> {
  const [profiles, last, instances] = await Promise.all([src.store.advisor.profiles<AdviceInput>(), src.store.advisor.lastRuns(), src.store.inventory.listInstances()]);
  let advised = 0;
  let failed = 0;
  for (const inst of instances) {
    if ((last.get(inst.name) ?? -Infinity) > now - everyMs) continue;
    if (inst.last_seen !== null && inst.last_seen < now - SILENT_MS) continue;
    try {
      await adviseAndKeep(src, inst, profiles.get(inst.name) ?? DEFAULT_ADVICE_PROFILE, now);
      advised++;
    } catch (err) {
      failed++;
      log?.('error', `advisor: ${inst.name}: ${(err as Error).message}`);
      await src.store.advisor.addRun({ instance: inst.name, ts: now, profile: profiles.get(inst.name) ?? DEFAULT_ADVICE_PROFILE, advice: null, changes: 0, restart: 0, error: `the advisor failed: ${(err as Error).message}` }).catch(() => {});
    }
  }
  return { advised, failed };
}
