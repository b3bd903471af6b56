// Per-node time: inclusive and exclusive, over all loops, with parallel workers and CTEs accounted.
import type { Plan, PlanNode } from './types.ts';

export interface AnalyzedNode {
  node: PlanNode;
  /** Processes that ran the node at once: the launched workers and the leader under a Gather, else 1. */
  processes: number;
  /** Wall-clock ms spent in the node and its children, over all loops; null without timing. */
  inclusiveMs: number | null;
  /** inclusiveMs less what its children took; null without timing. */
  exclusiveMs: number | null;
  /**
   * The exclusive time is not exact: a CTE's time was shared out among the scans that read it, or
   * the children's time came out larger than the node's (rounding, parallel leaders) and it was
   * cut to 0.
   */
  uncertain: boolean;
  children: AnalyzedNode[];
}

export interface Analysis {
  plan: Plan;
  root: AnalyzedNode;
  /** Every node, depth first. */
  nodes: AnalyzedNode[];
}

const isCte = (n: PlanNode) => n.subplanName?.startsWith('CTE ') === true;

/** Inclusive and exclusive time of every node of a plan run with ANALYZE. */
export function analyzePlan(plan: Plan): Analysis {
  const nodes: AnalyzedNode[] = [];
  const build = (node: PlanNode, processes: number): AnalyzedNode => {
    const timed = node.actualTotalTime !== undefined && node.actualLoops !== undefined;
    const inclusiveMs = timed ? (node.actualTotalTime! * node.actualLoops!) / processes : null;
    const a: AnalyzedNode = { node, processes, inclusiveMs, exclusiveMs: null, uncertain: false, children: [] };
    nodes.push(a);
    // Under a Gather the launched workers and the leader run the subtree side by side.
    const inner = node.nodeType === 'Gather' || node.nodeType === 'Gather Merge' ? Math.max(1, (node.workersLaunched ?? node.workersPlanned ?? 0) + (node.props['Single Copy'] === 'true' ? 0 : 1)) : processes;
    a.children = node.children.map((c) => build(c, isCte(c) ? 1 : inner));
    return a;
  };
  const root = build(plan.root, 1);

  // A CTE runs inside the scans that read it, not inside the node that declares it: its time is
  // taken off those scans, shared in proportion to their own time.
  const cteTime = new Map<string, number>();
  for (const a of nodes) for (const c of a.children) if (isCte(c.node) && c.inclusiveMs !== null) cteTime.set(c.node.subplanName!.slice(4), c.inclusiveMs);
  const scansOf = new Map<string, AnalyzedNode[]>();
  for (const a of nodes) if (a.node.nodeType === 'CTE Scan' && a.node.cteName && cteTime.has(a.node.cteName)) scansOf.set(a.node.cteName, [...(scansOf.get(a.node.cteName) ?? []), a]);

  for (const a of nodes) {
    if (a.inclusiveMs === null) continue;
    let children = 0;
    for (const c of a.children) if (!isCte(c.node)) children += c.inclusiveMs ?? 0;
    if (a.node.nodeType === 'CTE Scan' && a.node.cteName && scansOf.has(a.node.cteName)) {
      const scans = scansOf.get(a.node.cteName)!;
      const all = scans.reduce((s, x) => s + (x.inclusiveMs ?? 0), 0);
      children += all > 0 ? cteTime.get(a.node.cteName)! * (a.inclusiveMs / all) : 0;
      a.uncertain = scans.length > 1;
    }
    const ex = a.inclusiveMs - children;
    if (ex < 0) { a.uncertain = a.uncertain || ex < -0.01 * Math.max(1, a.inclusiveMs); }
    a.exclusiveMs = Math.max(0, ex);
  }
  return { plan, root, nodes };
}
