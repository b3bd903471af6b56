import type { HeartbeatData, InventoryData, MetricFamily, MetricsData } from '../protocol/index.ts';
import { versionString, type SimInstance } from './instance.ts';
import { dueRuns, jobOffset, type JobTemplate } from './jobs.ts';
import { hashString } from './prng.ts';
import { valueOf, type Model, type ValueContext } from './values.ts';

/** What the simulated agents report as their version. */
export const SIM_AGENT_VERSION = '0.1.0-sim';

export function inventoryData(inst: SimInstance, startedAt: number): InventoryData {
  return {
    namespace: inst.namespace, cluster: inst.cluster, node: inst.node,
    version: versionString(inst.version_num), version_num: inst.version_num, role: inst.role,
    started_at: startedAt, system_identifier: inst.system_identifier, databases: inst.databases, up: true,
  };
}

const DURATION: Model = { m: 'walk', lo: 1, hi: 80, dp: 0, amp: 0.5 };
const MEAN_DURATION: Model = { ...DURATION, amp: 0 };
const ROWS: Model = { m: 'level', lo: 1, hi: 200 };

interface JobHealth { job: JobTemplate; runs: number; durationMs?: number; rows?: number; totalMs: number }

/** Each reported job's runs since the simulation started and its last duration and rows. */
function jobHealth(inst: SimInstance, jobs: JobTemplate[], started: number, t: number, ctx: ValueContext): JobHealth[] {
  const out: JobHealth[] = [];
  jobs.forEach((job, i) => {
    if (!job.reported) return;
    if (job.skipped) { out.push({ job, runs: 0, totalMs: 0 }); return; }
    const [a, b] = dueRuns(started, t, job.intervalMs, jobOffset(inst, i, job.intervalMs));
    const runs = Math.max(0, b - a + 1);
    const h = hashString(`job|${job.id}`, inst.hash);
    const durationMs = runs ? valueOf(DURATION, h, t, job.intervalMs, ctx)! : undefined;
    out.push({ job, runs, totalMs: runs * valueOf(MEAN_DURATION, h, t, job.intervalMs, ctx)!,
      ...(runs ? { durationMs, rows: valueOf(ROWS, h, t, job.intervalMs, ctx) } : {}) });
  });
  return out;
}

/** The heartbeat and the agent's own metrics (`pgfleet_agent.*`, node-level), as the agent sends them together. */
export function heartbeatMessages(inst: SimInstance, jobs: JobTemplate[], started: number, t: number, ctx: ValueContext): { heartbeat: HeartbeatData; own: MetricsData } {
  const health = jobHealth(inst, jobs, started, t, ctx);
  const instanceOf = (h: JobHealth): Record<string, string> => (h.job.nodeLevel ? {} : { instance: inst.instance });
  const heartbeat: HeartbeatData = {
    agent_version: SIM_AGENT_VERSION, uptime_s: (t - started) / 1000, node: inst.node,
    spool: { messages: 0, bytes: 0, dropped: 0 },
    collectors: health.map((h) => ({
      id: h.job.id, ...instanceOf(h), state: h.job.skipped ? 'skipped' as const : 'ok' as const, runs: h.runs, failures: 0,
      ...(h.durationMs !== undefined ? { last_duration_ms: h.durationMs } : {}),
      ...(h.job.skipped ? { last_error: h.job.skipped } : {}),
      ...(h.rows !== undefined ? { last_rows: h.rows } : {}),
    })),
  };
  const per = (h: JobHealth): Record<string, string> => ({ collector: h.job.id, ...instanceOf(h) });
  const own = (name: string, m: Model, unit?: string): MetricFamily => ({
    name: `pgfleet_agent.${name}`, kind: m.m === 'counter' ? 'counter' : 'gauge', ...(unit ? { unit } : {}),
    points: [{ v: valueOf(m, hashString(`own|${name}`, inst.hash), t, 15_000, ctx)! }],
  });
  const zero: Model = { m: 'const', lo: 0, hi: 0 };
  const ran = health.filter((h) => h.durationMs !== undefined);
  const data: MetricsData = {
    collector: 'pgfleet_agent', interval_ms: 15_000, node: inst.node,
    metrics: [
      own('rss_bytes', { m: 'walk', lo: 7e7, hi: 9e7, q: 4096, amp: 0.05 }, 'bytes'),
      own('cpu_seconds', { m: 'counter', lo: 0.005, hi: 0.02, dp: 3 }, 'seconds'),
      own('spool_messages', zero), own('spool_bytes', zero, 'bytes'),
      { ...own('spool_dropped', zero), kind: 'counter' }, { ...own('send_failures', zero), kind: 'counter' },
      { name: 'pgfleet_agent.collector_duration_ms', kind: 'gauge', unit: 'ms', points: ran.map((h) => ({ l: per(h), v: h.durationMs! })) },
      { name: 'pgfleet_agent.collector_time_ms', kind: 'counter', unit: 'ms', points: health.map((h) => ({ l: per(h), v: h.totalMs })) },
      { name: 'pgfleet_agent.collector_runs', kind: 'counter', points: health.map((h) => ({ l: per(h), v: h.runs })) },
      { name: 'pgfleet_agent.collector_failures', kind: 'counter', points: health.map((h) => ({ l: per(h), v: 0 })) },
      { name: 'pgfleet_agent.collector_rows', kind: 'gauge', points: ran.map((h) => ({ l: per(h), v: h.rows! })) },
      { name: 'pgfleet_agent.collector_state', kind: 'gauge', points: health.map((h) => ({ l: per(h), v: h.job.skipped ? 3 : 0 })) },
    ],
  };
  return { heartbeat, own: data };
}
