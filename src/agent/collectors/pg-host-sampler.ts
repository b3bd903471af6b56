/**
 * The /proc side of pg_process: one pass reads each process of the instance
 * and turns it into families through ProcessCounters.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { MetricFamily } from '../../protocol/index.ts';
import { backendTypeOfTitle, parsePidStat, parseProcIo, parseSmapsRollup, parseStatusMemory, type PidStat } from './pg-host-parsers.ts';
import { processFamiliesOf, ProcessCounters, type PgProcessRow, type ProcSample } from './pg-host-process.ts';

/** Files that only the process's own OS user (or root, CAP_SYS_PTRACE) may read. */
export const PTRACE_FILES = ['io', 'smaps_rollup'] as const;
export type PtraceFile = (typeof PTRACE_FILES)[number];

export interface PgProcessSamplerOptions {
  /** Default /proc; tests may point elsewhere. */
  procRoot?: string;
  /** Read smaps_rollup (PSS) on every Nth pass (the first pass included); 0, the default (PSS_EVERY), never. */
  pssEvery?: number;
  /** Reads a file (default readFileSync); errors carry errno codes. Tests pass a fixture /proc. */
  readText?: (path: string) => string;
}

export interface PgProcessResult {
  metrics: MetricFamily[];
  /** Processes measured in this pass. */
  processes: number;
  /** Whether this pass read PSS (pg_process.pss_* are present only then). */
  pss: boolean;
  /** Files that cannot be read for lack of ptrace access; not asked again by this sampler. */
  denied: PtraceFile[];
  /** Denials found in this pass (report them once, e.g. as an event). */
  newlyDenied: PtraceFile[];
  /** Files that failed for another reason than permission or a vanished process. */
  otherErrors: number;
  durationMs: number;
}

/**
 * PSS is opt-in (read every `pssEvery`th pass), because smaps_rollup makes the kernel walk
 * every page table entry of the process, and each backend maps the shared_buffers it touched.
 * Measured on a 2-core VM (kernel 6.18, PostgreSQL 18, 210 processes: 200 idle client backends):
 * a pass takes ~15 ms (11–15 ms CPU) without PSS; with PSS ~90 ms (84 ms CPU, 74 of it in the
 * kernel) when idle, and ~560 ms (520 ms CPU) once each backend had read a 100 MB table through
 * 512 MB of shared_buffers. That cost grows with backends × shared memory touched, and it holds
 * each backend's mmap lock while it walks, so it is not run by default.
 */
export const PSS_EVERY = 0;

/** Processes read between two yields to the event loop (smaps_rollup may take milliseconds each). */
const YIELD_EVERY = 16;
const YIELD_EVERY_PSS = 4;

type ReadOutcome = { text: string } | { gone: true } | { denied: true } | { error: true };

const readUtf8 = (path: string): string => readFileSync(path, 'utf8');

function readWith(readText: (path: string) => string, path: string): ReadOutcome {
  try {
    return { text: readText(path) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ESRCH') return { gone: true };
    if (code === 'EACCES' || code === 'EPERM') return { denied: true };
    return { error: true };
  }
}

/**
 * Samples the processes of one instance, pass after pass; keep one per
 * target for the agent's life (its counters are running totals).
 */
export class PgProcessSampler {
  private readonly counters = new ProcessCounters();
  private readonly deniedFiles = new Set<PtraceFile>();
  /** Children with a title we do not know, seen in the last pass: counted as `other` if still there. */
  private unknown = new Set<string>();
  private passes = 0;
  private readonly proc: string;
  private readonly pssEvery: number;
  private readonly read: (path: string) => ReadOutcome;

  constructor(o: PgProcessSamplerOptions = {}) {
    this.proc = o.procRoot ?? '/proc';
    this.pssEvery = o.pssEvery ?? PSS_EVERY;
    const readText = o.readText ?? readUtf8;
    this.read = (path) => readWith(readText, path);
  }

  /**
   * One pass over the postmaster, its children and the rows of
   * pg_stat_activity. Only the postmaster (readPgDirs' `postmasterPid`, which
   * it gives only for a server on this host) and its children are measured,
   * so a pid of another host or PID namespace is never counted; without it,
   * or when it is gone (a restart since readPgDirs), the pass is empty.
   */
  async processFamilies(rows: PgProcessRow[], postmasterPid: number | undefined): Promise<PgProcessResult> {
    const started = performance.now();
    const pass = this.passes++;
    const readPss = this.pssEvery > 0 && pass % this.pssEvery === 0 && !this.deniedFiles.has('smaps_rollup');
    const newlyDenied: PtraceFile[] = [];
    let otherErrors = 0;
    const result = (metrics: MetricFamily[], processes: number): PgProcessResult => ({
      metrics, processes, pss: readPss && !this.deniedFiles.has('smaps_rollup'), denied: [...this.deniedFiles],
      newlyDenied, otherErrors, durationMs: performance.now() - started,
    });
    const pm = postmasterPid;
    if (pm === undefined) return result([], 0);

    const typeOf = new Map<number, string>(rows.map((r) => [r.pid, r.backend_type]));
    typeOf.set(pm, 'postmaster');
    const children = this.read(join(this.proc, String(pm), 'task', String(pm), 'children'));
    const pids = new Set<number>([pm, ...rows.map((r) => r.pid)]);
    if ('text' in children) for (const p of children.text.split(/\s+/)) if (p) pids.add(Number(p));

    const samples: ProcSample[] = [];
    const unknown = new Set<string>();
    let pmStat: PidStat | undefined;
    let n = 0;
    for (const pid of pids) {
      if (++n % (readPss ? YIELD_EVERY_PSS : YIELD_EVERY) === 0) await new Promise((r) => setImmediate(r));
      const dir = join(this.proc, String(pid));
      const st = this.read(join(dir, 'stat'));
      if (!('text' in st)) { if ('error' in st) otherErrors++; continue; }
      const stat = parsePidStat(st.text);
      // A zombie has exited and holds no memory; the postmaster's cutime gets its CPU once reaped.
      if (!stat || stat.state === 'Z' || (pid !== pm && stat.ppid !== pm)) continue;
      if (pid === pm) pmStat = stat;
      let type = typeOf.get(pid);
      if (type === undefined) {
        const cmd = this.read(join(dir, 'cmdline'));
        type = 'text' in cmd ? backendTypeOfTitle(cmd.text) : undefined;
        if (type === undefined) {
          // Most often a backend forked after pg_stat_activity was read: counted, from zero, in the next pass.
          const key = `${pid}:${stat.starttime}`;
          if (!this.unknown.has(key)) { unknown.add(key); continue; }
          type = 'other';
          unknown.add(key);
        }
      }
      const sample: ProcSample = { pid, starttime: stat.starttime, type, cpuTicks: stat.utime + stat.stime };
      const status = this.read(join(dir, 'status'));
      if (!('text' in status)) { if ('error' in status) otherErrors++; continue; }
      Object.assign(sample, parseStatusMemory(status.text));
      let gone = false;
      for (const file of PTRACE_FILES) {
        if (this.deniedFiles.has(file) || (file === 'smaps_rollup' && !readPss)) continue;
        const got = this.read(join(dir, file));
        if ('gone' in got) { gone = true; break; }
        if ('denied' in got) { this.deniedFiles.add(file); newlyDenied.push(file); continue; }
        if ('error' in got) { otherErrors++; continue; }
        if (file === 'io') sample.io = parseProcIo(got.text);
        else Object.assign(sample, parseSmapsRollup(got.text));
      }
      if (!gone) samples.push(sample);
    }
    if (!pmStat) return result([], 0); // the postmaster is gone: its pids mean nothing now
    this.unknown = unknown;
    this.counters.add(samples);
    const cover = { pss: readPss && !this.deniedFiles.has('smaps_rollup'), io: !this.deniedFiles.has('io') };
    const exited = pmStat.cutime + pmStat.cstime;
    return result(processFamiliesOf(samples, this.counters.totals, cover, exited), samples.length);
  }

}
