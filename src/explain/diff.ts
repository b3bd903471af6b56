// Two plans of the same query side by side, node by node: what is the same, what changed, what is
// only in one of them, and where the time moved.
import type { Analysis, AnalyzedNode } from './analyze.ts';

export type DiffStatus = 'same' | 'changed' | 'only_a' | 'only_b';

export interface DiffRow {
  depth: number;
  status: DiffStatus;
  a: DiffSide | null;
  b: DiffSide | null;
  /** b's exclusive time less a's (ms), when both ran with timing. */
  deltaMs: number | null;
}

export interface DiffSide { label: string; target: string | null; exclusiveMs: number | null; rows: number | null; loops: number | null; planRows: number | null }

export interface PlanDiff {
  executionMs: [number | null, number | null];
  rows: DiffRow[];
}

const target = (a: AnalyzedNode): string | null => a.node.relationName ?? a.node.cteName ?? a.node.functionName ?? a.node.indexName ?? null;
const keyOf = (a: AnalyzedNode): string => `${a.node.nodeType}|${a.node.relationName ?? a.node.cteName ?? a.node.functionName ?? ''}`;
const side = (a: AnalyzedNode): DiffSide => ({
  label: a.node.label, target: target(a), exclusiveMs: a.exclusiveMs, rows: a.node.actualRows ?? null, loops: a.node.actualLoops ?? null, planRows: a.node.planRows ?? null,
});

/** Longest common subsequence of two children lists by node kind and target: the pairs to align. */
function align(xs: AnalyzedNode[], ys: AnalyzedNode[]): [AnalyzedNode | null, AnalyzedNode | null][] {
  const n = xs.length;
  const m = ys.length;
  const dp = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = keyOf(xs[i]) === keyOf(ys[j]) ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: [AnalyzedNode | null, AnalyzedNode | null][] = [];
  let i = 0;
  let j = 0;
  while (i < n || j < m) {
    if (i < n && j < m && keyOf(xs[i]) === keyOf(ys[j])) { out.push([xs[i++], ys[j++]]); continue; }
    // Left over on one side only: when both have one left here, they are the same slot with another node.
    if (i < n && j < m && dp[i + 1][j] === dp[i][j + 1]) { out.push([xs[i++], ys[j++]]); continue; }
    if (j >= m || (i < n && dp[i + 1][j] >= dp[i][j + 1])) out.push([xs[i++], null]);
    else out.push([null, ys[j++]]);
  }
  return out;
}

/** The rows of the diff, depth first. */
export function diffPlans(a: Analysis, b: Analysis): PlanDiff {
  const rows: DiffRow[] = [];
  const only = (n: AnalyzedNode, depth: number, which: 'a' | 'b') => {
    rows.push({ depth, status: which === 'a' ? 'only_a' : 'only_b', a: which === 'a' ? side(n) : null, b: which === 'b' ? side(n) : null, deltaMs: null });
    for (const c of n.children) only(c, depth + 1, which);
  };
  const walk = (x: AnalyzedNode, y: AnalyzedNode, depth: number) => {
    const same = keyOf(x) === keyOf(y) && x.node.label === y.node.label;
    const delta = x.exclusiveMs !== null && y.exclusiveMs !== null ? y.exclusiveMs - x.exclusiveMs : null;
    rows.push({ depth, status: same ? 'same' : 'changed', a: side(x), b: side(y), deltaMs: delta });
    for (const [p, q] of align(x.children, y.children)) {
      if (p && q) walk(p, q, depth + 1);
      else if (p) only(p, depth + 1, 'a');
      else only(q!, depth + 1, 'b');
    }
  };
  walk(a.root, b.root, 0);
  return { executionMs: [a.plan.executionTime ?? null, b.plan.executionTime ?? null], rows };
}
