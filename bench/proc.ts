// Measuring other processes from /proc: a process tree's resident memory and CPU time,
// and starting `pgfleet` with Node flags (--cpu-prof is refused in NODE_OPTIONS).
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parsePostmasterPid } from '../src/agent/collectors/pg-host.ts';
import { PGFLEET_BIN, runPgfleet } from '../test/harness/index.ts';

export const CLK_TCK = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;

export interface ProcStat { ppid: number; cpuTicks: number }
/** Parent and CPU time (utime+stime+cutime+cstime, in clock ticks) of a process; undefined when it is gone. */
export function procStat(pid: number): ProcStat | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    // After the command: state ppid … utime(11) stime(12) cutime(13) cstime(14); cutime/cstime hold reaped children.
    return { ppid: Number(f[1]), cpuTicks: Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]) };
  } catch { return undefined; }
}
/** The postmaster's pid, from postmaster.pid in its data directory. */
export function postmasterPid(dataDir: string): number {
  const pid = parsePostmasterPid(readFileSync(join(dataDir, 'postmaster.pid'), 'utf8'));
  if (pid === undefined) throw new Error(`no postmaster pid in ${dataDir}/postmaster.pid`);
  return pid;
}
/** VmRSS in kB. */
export function rssKb(pid: number): number {
  try { return Number(/VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
}
/** VmHWM (peak RSS) in kB. */
export function hwmKb(pid: number): number {
  try { return Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0); } catch { return 0; }
}
/** The program name of a process; undefined when it is gone. */
export function commOf(pid: number): string | undefined {
  try { return readFileSync(`/proc/${pid}/comm`, 'utf8').trim(); } catch { return undefined; }
}
/** The process and its live descendants. */
export function tree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    const st = procStat(Number(d));
    if (st) children.set(st.ppid, [...(children.get(st.ppid) ?? []), Number(d)]);
  }
  const out = [root];
  for (let i = 0; i < out.length; i++) out.push(...(children.get(out[i]) ?? []));
  return out;
}
/** CPU time of a process tree in ms, with the reaped children of each member. */
export const treeCpuMs = (root: number) => tree(root).reduce((s, p) => s + (procStat(p)?.cpuTicks ?? 0), 0) * 1000 / CLK_TCK;

/** `pgfleet <args>` as a user runs it: the bundle (dist/cli) or the source entry, with Node flags before the script. */
export function startAgent(args: string[], nodeArgs: string[], entry = PGFLEET_BIN) {
  const p = runPgfleet(args, {}, [...nodeArgs, entry]);
  return { ...p, pid: p.child.pid! };
}
