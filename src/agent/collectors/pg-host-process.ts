/**
 * pg_process: CPU, memory and I/O of an instance's processes from /proc,
 * summed by backend_type. Per-process counters do not add up to a counter
 * once processes exit, so PgProcessSampler keeps a running total per
 * backend_type of the deltas it saw (see ProcessCounters).
 */
import type { Sql } from 'postgres';
import type { MetricFamily } from '../../protocol/index.ts';
import { USER_HZ } from './os/index.ts';
import { FamilyBuilder } from './os/family.ts';

/** A row of pg_stat_activity. */
export interface PgProcessRow {
  pid: number;
  backend_type: string;
}

/** pid and backend_type of every process pg_stat_activity lists; no privilege needed for these two columns. */
export async function readPgProcessRows(sql: Sql): Promise<PgProcessRow[]> {
  const rows = await sql`select pid, backend_type from pg_stat_activity where backend_type is not null`;
  return rows.map((r) => ({ pid: Number(r.pid), backend_type: String(r.backend_type) }));
}

/** What was read of one process in one pass. */
export interface ProcSample {
  pid: number;
  /** Ticks since boot: with the pid, names the process across passes (pids are reused). */
  starttime: number;
  type: string;
  cpuTicks: number;
  rss?: number;
  rssAnon?: number;
  pss?: number;
  pssAnon?: number;
  pssShmem?: number;
  io?: { readBytes: number; writeBytes: number };
}

/** Running totals of one backend_type. */
export interface TypeTotals {
  cpuTicks: number;
  readBytes: number;
  writeBytes: number;
}

/** backend_type values kept at most; they are a short, fixed list in practice (bgworkers name their own). */
const MAX_TYPES = 200;

/**
 * Monotonic counters per backend_type from per-process counters: a process
 * seen in the previous pass adds what it used since; a new one adds all it
 * used since it started (counted from zero); one that exited adds nothing
 * more, so the total never goes back. What an exited process used after its
 * last pass is lost here (see pg_process.exited_cpu_seconds).
 */
export class ProcessCounters {
  private prev = new Map<string, ProcSample>();
  readonly totals = new Map<string, TypeTotals>();

  add(samples: ProcSample[]): void {
    const next = new Map<string, ProcSample>();
    for (const s of samples) {
      const key = `${s.pid}:${s.starttime}`;
      next.set(key, s);
      let t = this.totals.get(s.type);
      if (!t) {
        if (this.totals.size >= MAX_TYPES) continue;
        t = { cpuTicks: 0, readBytes: 0, writeBytes: 0 };
        this.totals.set(s.type, t);
      }
      const p = this.prev.get(key);
      t.cpuTicks += Math.max(0, s.cpuTicks - (p?.cpuTicks ?? 0));
      if (s.io) {
        t.readBytes += Math.max(0, s.io.readBytes - (p?.io?.readBytes ?? 0));
        t.writeBytes += Math.max(0, s.io.writeBytes - (p?.io?.writeBytes ?? 0));
      } else if (p?.io) {
        next.set(key, { ...s, io: p.io }); // keep the baseline for when io is readable again
      }
    }
    this.prev = next;
  }
}

/** Which families a pass could fill. */
export interface PassCoverage {
  pss: boolean;
  io: boolean;
}

/**
 * pg_process families (pure): counters from the running totals (every
 * backend_type seen since the agent started), gauges from this pass (0 for a
 * type with no process now).
 */
export function processFamiliesOf(samples: ProcSample[], totals: Map<string, TypeTotals>, cover: PassCoverage, exitedCpuTicks?: number): MetricFamily[] {
  const gauges = new Map<string, { count: number; rss: number; rssAnon: number; pss: number; pssAnon: number; pssShmem: number }>();
  for (const type of totals.keys()) gauges.set(type, { count: 0, rss: 0, rssAnon: 0, pss: 0, pssAnon: 0, pssShmem: 0 });
  let anyRssAnon = false, anyPssAnon = false, anyPssShmem = false;
  for (const s of samples) {
    const g = gauges.get(s.type);
    if (!g) continue;
    g.count++;
    g.rss += s.rss ?? 0;
    g.rssAnon += s.rssAnon ?? 0; anyRssAnon ||= s.rssAnon !== undefined;
    g.pss += s.pss ?? 0;
    g.pssAnon += s.pssAnon ?? 0; anyPssAnon ||= s.pssAnon !== undefined;
    g.pssShmem += s.pssShmem ?? 0; anyPssShmem ||= s.pssShmem !== undefined;
  }
  const b = new FamilyBuilder();
  for (const [type, g] of gauges) {
    const l = { backend_type: type };
    const t = totals.get(type)!;
    b.add('pg_process.count', 'gauge', undefined, g.count, l)
      .add('pg_process.cpu_seconds', 'counter', 'seconds', t.cpuTicks / USER_HZ, l)
      .add('pg_process.rss_bytes', 'gauge', 'bytes', g.rss, l);
    if (anyRssAnon) b.add('pg_process.rss_anon_bytes', 'gauge', 'bytes', g.rssAnon, l);
    if (cover.pss) {
      b.add('pg_process.pss_bytes', 'gauge', 'bytes', g.pss, l);
      if (anyPssAnon) b.add('pg_process.pss_anon_bytes', 'gauge', 'bytes', g.pssAnon, l);
      if (anyPssShmem) b.add('pg_process.pss_shmem_bytes', 'gauge', 'bytes', g.pssShmem, l);
    }
    if (cover.io) {
      b.add('pg_process.io_read_bytes', 'counter', 'bytes', t.readBytes, l)
        .add('pg_process.io_write_bytes', 'counter', 'bytes', t.writeBytes, l);
    }
  }
  if (exitedCpuTicks !== undefined) b.add('pg_process.exited_cpu_seconds', 'counter', 'seconds', exitedCpuTicks / USER_HZ);
  return b.build();
}
