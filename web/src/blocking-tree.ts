// Who blocks whom, from a sessions snapshot: the sessions that hold others up at the roots, each
// waiting session under the session it waits for.
import type { Session } from './api.ts';

export interface TreeRow {
  /** null: a blocker the snapshot does not hold (a prepared transaction, or the agent's own session). */
  session: Session | null;
  pid: number;
  depth: number;
  /** Other sessions it also waits for (it is shown under the first). */
  alsoWaitsFor: number[];
  /** How many sessions wait behind it, directly or not. */
  blocking: number;
}

/**
 * The blocking tree in display order (depth-first, the root holding up the most sessions first).
 * Only sessions that block or are blocked appear. A wait cycle (a deadlock not yet detected)
 * is cut where it closes: each session appears once.
 */
export function blockingTree(sessions: Session[]): TreeRow[] {
  const byPid = new Map(sessions.map((s) => [s.pid, s]));
  const children = new Map<number, number[]>();
  const waiting = new Set<number>();
  for (const s of sessions) {
    const first = s.blocked_by?.[0];
    if (first === undefined) continue;
    waiting.add(s.pid);
    const list = children.get(first);
    if (list) list.push(s.pid); else children.set(first, [s.pid]);
  }
  const behind = (pid: number, seen = new Set<number>([pid])): number => {
    let n = 0;
    for (const c of children.get(pid) ?? []) {
      if (seen.has(c)) continue;
      seen.add(c);
      n += 1 + behind(c, seen);
    }
    return n;
  };
  // Roots: blockers that wait for nobody, or wait for someone outside the snapshot.
  const roots = [...children.keys()].filter((pid) => !waiting.has(pid) || !byPid.has(byPid.get(pid)!.blocked_by![0]));
  // A cycle has no such root: start it at its lowest pid.
  for (const pid of [...children.keys()].sort((a, b) => a - b)) {
    if (roots.includes(pid)) continue;
    const seen = new Set<number>();
    let p: number | undefined = pid;
    while (p !== undefined && !seen.has(p)) { seen.add(p); p = byPid.get(p)?.blocked_by?.[0]; }
    if (p !== undefined && seen.has(p) && !roots.some((r) => seen.has(r))) roots.push(Math.min(...seen));
  }
  const rows: TreeRow[] = [];
  const placed = new Set<number>();
  const walk = (pid: number, depth: number): void => {
    if (placed.has(pid)) return;
    placed.add(pid);
    const s = byPid.get(pid) ?? null;
    rows.push({ session: s, pid, depth, alsoWaitsFor: depth === 0 ? [] : s?.blocked_by?.slice(1) ?? [], blocking: behind(pid) });
    for (const c of [...(children.get(pid) ?? [])].sort((a, b) => behind(b) - behind(a) || a - b)) walk(c, depth + 1);
  };
  for (const r of roots.sort((a, b) => behind(b) - behind(a) || a - b)) walk(r, 0);
  return rows;
}
