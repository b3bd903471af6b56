// Per-node time: inclusive and exclusive, over all loops, with parallel workers and CTEs accounted,
// and bounds where the split cannot be told exactly; buffers and I/O time of the node itself.
import { isSubplan } from './complete.ts';
import type { Buffers, Plan, PlanNode } from './types.ts';

export interface AnalyzedNode {
  node: PlanNode;
  /** Processes that ran the node at once: the launched workers and the leader under a Gather, else 1. */
  processes: number;
  /** Wall-clock ms spent in the node and its children, over all loops; null without timing. */
  inclusiveMs: number | null;
  /** How far inclusiveMs may be off from rounding: ±0.0005 ms per loop (per process). */
  inclusiveErrorMs: number;
  /** inclusiveMs less what its children took; null without timing. */
  exclusiveMs: number | null;
  /**
   * The range the exclusive time is sure to lie in, given what EXPLAIN printed: per-loop times
   * rounded to 0.001 ms (× loops), a CTE read by several scans, a Gather whose workers' busiest
   * process is not known. exclusiveMs is the best estimate inside it. Null without timing.
   */
  exclusiveBounds: [number, number] | null;
  /** The bounds are wide: more than 0.05 ms and more than a tenth of the node's time with children. */
  uncertain: boolean;
  /** Blocks the node touched itself (its buffers less its children's), per counter, never below 0. */
  exclusiveBuffers: Buffers;
  /** I/O read time of the node itself (track_io_timing), ms. */
  exclusiveIoReadMs: number | null;
  children: AnalyzedNode[];
}

export interface Analysis {
  plan: Plan;
  root: AnalyzedNode;
  /** Every node, depth first. */
  nodes: AnalyzedNode[];
}

const isCte = (n: PlanNode) => n.subplanName?.startsWith('CTE ') === true;
const isGather = (n: PlanNode) => n.nodeType === 'Gather' || n.nodeType === 'Gather Merge';

/** Patterns of the references to an InitPlan's value: $0 (up to 15, from "returns $0"), (InitPlan 1).col1 (16 on). */
function referencesOf(init: PlanNode): RegExp[] {
  const out: RegExp[] = [];
  const returns = init.props.Returns ?? /\(returns ([^)]*)\)/.exec(init.subplanName ?? '')?.[1];
  for (const p of (returns ?? '').split(',')) { const m = /^\s*\$(\d+)\s*$/.exec(p); if (m) out.push(new RegExp(`\\$${m[1]}(?!\\d)`)); }
  const k = /^InitPlan (\d+)/.exec(init.subplanName ?? '')?.[1];
  if (k) out.push(new RegExp(`\\(InitPlan ${k}\\)`));
  return out;
}

/** The first node under `a` (depth first, not the InitPlan itself) whose properties use the InitPlan's value. */
function consumerOf(a: AnalyzedNode, init: AnalyzedNode): AnalyzedNode | undefined {
  const refs = referencesOf(init.node);
  if (refs.length === 0) return undefined;
  const uses = (x: AnalyzedNode) => Object.entries(x.node.props).some(([k, v]) => k !== 'Returns' && refs.some((r) => r.test(v)));
  const stack = a.children.filter((c) => c !== init).reverse();
  while (stack.length) {
    const x = stack.pop()!;
    if (uses(x)) return x;
    for (let i = x.children.length - 1; i >= 0; i--) stack.push(x.children[i]);
  }
  return undefined;
}

/** Per-loop times are printed with three decimals: each is within half of 0.001 ms of the truth. */
const ROUNDING_MS = 0.0005;

/**
 * Busy time (total × loops, ms) of each worker of a node, when EXPLAIN VERBOSE printed them:
 * TEXT `Worker 0:  actual time=0.01..5.12 rows=9 loops=1`, JSON `"Workers": [{…}]`.
 */
export function workerBusyMs(node: PlanNode): number[] | undefined {
  const out: number[] = [];
  for (const [k, v] of Object.entries(node.props)) {
    if (k === 'Workers' && v.startsWith('[')) {
      try {
        for (const w of JSON.parse(v) as Record<string, unknown>[]) {
          if (typeof w['Actual Total Time'] === 'number' && typeof w['Actual Loops'] === 'number') out.push(w['Actual Total Time'] * w['Actual Loops']);
        }
      } catch { return undefined; }
    } else if (k.startsWith('Worker ')) {
      const m = /actual time=[\d.]+\.\.([\d.]+) rows=[\d.]+ loops=(\d+)/.exec(v);
      if (m) out.push(Number(m[1]) * Number(m[2]));
    }
  }
  return out.length > 0 ? out : undefined;
}

/** The analyzed tree of `node`, run by `processes` at once; appends every node to `nodes`, depth first. */
function build(node: PlanNode, processes: number, nodes: AnalyzedNode[]): AnalyzedNode {
  const timed = node.actualTotalTime !== undefined && node.actualLoops !== undefined;
  const inclusiveMs = timed ? (node.actualTotalTime! * node.actualLoops!) / processes : null;
  const a: AnalyzedNode = { node, processes, inclusiveMs, inclusiveErrorMs: timed ? (ROUNDING_MS * node.actualLoops!) / processes : 0,
    exclusiveMs: null, exclusiveBounds: null, uncertain: false, exclusiveBuffers: node.buffers, exclusiveIoReadMs: node.ioReadMs ?? null, children: [] };
  nodes.push(a);
  // Under a Gather the launched workers and the leader run the subtree side by side.
  const inner = isGather(node) ? Math.max(1, (node.workersLaunched ?? node.workersPlanned ?? 0) + (node.props['Single Copy'] === 'true' ? 0 : 1)) : processes;
  // A CTE runs once, outside any parallel part; InitPlans and SubPlans hang under the node that evaluates
  // them, in its own process (an InitPlan under a Gather runs in the leader before the workers start).
  for (const c of node.children) a.children.push(build(c, isCte(c) ? 1 : isSubplan(c) ? processes : inner, nodes));
  return a;
}

/** Inclusive and exclusive time, bounds, buffers and I/O of every node of a plan. */
export function analyzePlan(plan: Plan): Analysis {
  const nodes: AnalyzedNode[] = [];
  const root = build(plan.root, 1, nodes);

  // A CTE runs inside the scans that read it, not inside the node that declares it: its time is
  // taken off those scans, shared in proportion to their own time (exact with one scan).
  const ctes = new Map<string, AnalyzedNode>();
  for (const a of nodes) for (const c of a.children) if (isCte(c.node)) ctes.set(c.node.subplanName!.slice(4), c);
  const scansOf = new Map<string, AnalyzedNode[]>();
  for (const a of nodes) {
    const name = a.node.cteName;
    if (a.node.nodeType !== 'CTE Scan' || !name || !ctes.has(name)) continue;
    const scans = scansOf.get(name);
    if (scans) scans.push(a); else scansOf.set(name, [a]);
  }

  // An InitPlan hangs under the top node of its query level but runs inside the node that first needs its
  // value: when that is a descendant, its time is inside that descendant, so it is taken off there.
  const movedTo = new Map<AnalyzedNode, AnalyzedNode[]>();
  const moved = new Set<AnalyzedNode>();
  for (const a of nodes) {
    for (const c of a.children) {
      if (c.node.parentRelationship !== 'InitPlan') continue;
      const consumer = consumerOf(a, c);
      if (!consumer) continue;
      moved.add(c);
      const list = movedTo.get(consumer);
      if (list) list.push(c); else movedTo.set(consumer, [c]);
    }
  }

  for (const a of nodes) {
    const n = a.node;
    const cte = n.nodeType === 'CTE Scan' && n.cteName ? ctes.get(n.cteName) : undefined;
    const scans = cte ? scansOf.get(n.cteName!)! : undefined;
    /** Share of the CTE charged to this scan: by time, or all of it for the only scan. */
    const cteShare = cte && scans ? shareOf(a, scans) : 0;
    // The node's own children: its child plans, InitPlans and SubPlans (these run inside it); not the CTEs it declares.
    let children = 0;
    let childrenLo = 0;
    let childrenHi = 0;
    let io = n.ioReadMs ?? 0;
    let own: Buffers | undefined;
    let parallel: AnalyzedNode | undefined;
    const hung = a.children.length;
    const extra = movedTo.get(a);
    for (let i = 0, all = hung + (extra?.length ?? 0); i < all; i++) {
      const c = i < hung ? a.children[i] : extra![i - hung];
      // An InitPlan hung here but run inside a descendant is that descendant's.
      if (isCte(c.node) || (i < hung && moved.has(c))) continue;
      if (c.inclusiveMs !== null) {
        children += c.inclusiveMs;
        childrenLo += Math.max(0, c.inclusiveMs - c.inclusiveErrorMs);
        childrenHi += c.inclusiveMs + c.inclusiveErrorMs;
        if (c.processes > a.processes && parallel === undefined) parallel = c;
      }
      io -= c.node.ioReadMs ?? 0;
      if (c.node.hasBuffers) own = subtractBuffers(own ?? { ...n.buffers }, c.node.buffers, 1);
    }
    if (cte) {
      io -= (cte.node.ioReadMs ?? 0) * cteShare;
      if (cte.node.hasBuffers) own = subtractBuffers(own ?? { ...n.buffers }, cte.node.buffers, cteShare);
    }
    if (own) a.exclusiveBuffers = roundBuffers(own);
    if (n.ioReadMs !== undefined) a.exclusiveIoReadMs = Math.max(0, io);
    if (a.inclusiveMs === null) continue;
    const err = a.inclusiveErrorMs;
    if (parallel && isGather(n)) {
      // The child's time is its processes' average; the Gather waits for the busiest process,
      // which took between that average and, at most, all the processes' time together.
      const all = parallel.inclusiveMs! * parallel.processes + ROUNDING_MS * (parallel.node.actualLoops ?? 0);
      childrenHi += (busiestProcessMs(parallel) ?? all) - parallel.inclusiveMs! - parallel.inclusiveErrorMs;
    }
    if (cte && cte.inclusiveMs !== null) {
      const t = cte.inclusiveMs;
      const e = cte.inclusiveErrorMs;
      children += t * cteShare;
      if (scans!.length === 1) { childrenLo += Math.max(0, t - e); childrenHi += t + e; } else childrenHi += Math.min(t + e, a.inclusiveMs + err);
    }
    const hi = Math.max(0, a.inclusiveMs + err - childrenLo);
    const lo = Math.min(hi, Math.max(0, a.inclusiveMs - err - childrenHi));
    a.exclusiveMs = Math.min(hi, Math.max(lo, a.inclusiveMs - children));
    a.exclusiveBounds = [lo, hi];
    a.uncertain = hi - lo > 0.05 && hi - lo > 0.1 * a.inclusiveMs;
  }
  return { plan, root, nodes };
}

function shareOf(a: AnalyzedNode, scans: AnalyzedNode[]): number {
  if (scans.length === 1) return 1;
  const all = scans.reduce((s, x) => s + (x.inclusiveMs ?? 0), 0);
  return all > 0 ? (a.inclusiveMs ?? 0) / all : 0;
}

/** The busiest process's time in a node under a Gather, when VERBOSE printed its workers: the leader is the rest. */
function busiestProcessMs(c: AnalyzedNode): number | undefined {
  const workers = workerBusyMs(c.node);
  if (!workers || c.inclusiveMs === null) return undefined;
  const all = c.inclusiveMs * c.processes;
  const leader = Math.max(0, all - workers.reduce((s, w) => s + w, 0));
  return Math.max(leader, ...workers) + ROUNDING_MS * (c.node.actualLoops ?? 0);
}

/** `from` less `part` × share, counter by counter (written out: this runs for every node of plans with thousands). */
function subtractBuffers(from: Buffers, part: Buffers, share: number): Buffers {
  from.sharedHit -= part.sharedHit * share; from.sharedRead -= part.sharedRead * share;
  from.sharedDirtied -= part.sharedDirtied * share; from.sharedWritten -= part.sharedWritten * share;
  from.localHit -= part.localHit * share; from.localRead -= part.localRead * share;
  from.localDirtied -= part.localDirtied * share; from.localWritten -= part.localWritten * share;
  from.tempRead -= part.tempRead * share; from.tempWritten -= part.tempWritten * share;
  return from;
}

/** Whole blocks, never below 0 (a parallel leader's or a CTE's share can take more than was left). */
function roundBuffers(b: Buffers): Buffers {
  const r = (v: number) => (v > 0 ? Math.round(v) : 0);
  b.sharedHit = r(b.sharedHit); b.sharedRead = r(b.sharedRead); b.sharedDirtied = r(b.sharedDirtied); b.sharedWritten = r(b.sharedWritten);
  b.localHit = r(b.localHit); b.localRead = r(b.localRead); b.localDirtied = r(b.localDirtied); b.localWritten = r(b.localWritten);
  b.tempRead = r(b.tempRead); b.tempWritten = r(b.tempWritten);
  return b;
}
