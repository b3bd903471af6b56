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
/**
 * What a node is for aligning: its kind and what it reads; a node that reads nothing itself (a Hash, a
 * Sort, a join) by the tables under it, so a Hash over orders is not taken for a Hash over customers.
 */
const keys = new WeakMap<AnalyzedNode, string>();
function keyOf(a: AnalyzedNode): string {
  let k = keys.get(a);
  if (k === undefined) {
    k = `${a.node.nodeType}|${a.node.relationName ?? a.node.cteName ?? a.node.functionName ?? [...relationsOf(a)].sort().join(',')}`;
    keys.set(a, k);
  }
  return k;
}
const side = (a: AnalyzedNode): DiffSide => ({
  label: a.node.label, target: target(a), exclusiveMs: a.exclusiveMs, rows: a.node.actualRows ?? null, loops: a.node.actualLoops ?? null, planRows: a.node.planRows ?? null,
});

/** Relations read anywhere in a subtree. */
function relationsOf(a: AnalyzedNode, into = new Set<string>()): Set<string> {
  if (a.node.relationName) into.add(a.node.relationName);
  for (const c of a.children) relationsOf(c, into);
  return into;
}

function overlap(x: Set<string>, y: Set<string>): number {
  let both = 0;
  for (const r of x) if (y.has(r)) both++;
  return both === 0 ? 0 : both / (x.size + y.size - both);
}

/**
 * Pairs the children left between two aligned ones: first those that read the same tables (a Seq
 * Scan of orders against an Index Scan of orders, most tables in common first), then, one by one in
 * order, nodes where one side reads no table (the same slot holding another node); the rest stand alone.
 */
function pairGap(xs: AnalyzedNode[], ys: AnalyzedNode[]): [AnalyzedNode | null, AnalyzedNode | null][] {
  const rx = xs.map((x) => relationsOf(x));
  const ry = ys.map((y) => relationsOf(y));
  const partner = new Array<number>(xs.length).fill(-1);
  const taken = new Set<number>();
  const candidates: [number, number, number][] = [];
  xs.forEach((_, i) => ys.forEach((_, j) => { const o = overlap(rx[i], ry[j]); if (o > 0) candidates.push([o, i, j]); }));
  candidates.sort((p, q) => q[0] - p[0] || p[1] - q[1] || p[2] - q[2]);
  for (const [, i, j] of candidates) if (partner[i] < 0 && !taken.has(j)) { partner[i] = j; taken.add(j); }
  const freeY = ys.map((_, j) => j).filter((j) => !taken.has(j));
  xs.forEach((_, i) => {
    if (partner[i] >= 0 || freeY.length === 0) return;
    if (rx[i].size === 0 || ry[freeY[0]].size === 0) { partner[i] = freeY.shift()!; taken.add(partner[i]); }
  });
  const out: [AnalyzedNode | null, AnalyzedNode | null][] = xs.map((x, i) => [x, partner[i] >= 0 ? ys[partner[i]] : null]);
  ys.forEach((y, j) => { if (!taken.has(j)) out.push([null, y]); });
  return out;
}

/** Longest common subsequence of two children lists by node kind and target; the gaps between paired by tables. */
function align(xs: AnalyzedNode[], ys: AnalyzedNode[]): [AnalyzedNode | null, AnalyzedNode | null][] {
  const n = xs.length;
  const m = ys.length;
  const dp = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0));
  for (let i = n - 1; i >= 0; i--) for (let j = m - 1; j >= 0; j--) dp[i][j] = keyOf(xs[i]) === keyOf(ys[j]) ? dp[i + 1][j + 1] + 1 : Math.max(dp[i + 1][j], dp[i][j + 1]);
  const out: [AnalyzedNode | null, AnalyzedNode | null][] = [];
  let i = 0;
  let j = 0;
  let gapX: AnalyzedNode[] = [];
  let gapY: AnalyzedNode[] = [];
  const flush = () => { if (gapX.length || gapY.length) out.push(...pairGap(gapX, gapY)); gapX = []; gapY = []; };
  while (i < n || j < m) {
    if (i < n && j < m && keyOf(xs[i]) === keyOf(ys[j])) { flush(); out.push([xs[i++], ys[j++]]); continue; }
    if (j >= m || (i < n && dp[i + 1][j] >= dp[i][j + 1])) gapX.push(xs[i++]);
    else gapY.push(ys[j++]);
  }
  flush();
  return out;
}

/** The only child of `wrapper` when it is the same kind of node as `other`: a Hash, Sort or Gather added or removed around it. */
function unwrap(wrapper: AnalyzedNode, other: AnalyzedNode): AnalyzedNode | undefined {
  const c = wrapper.children;
  return c.length === 1 && keyOf(c[0]) === keyOf(other) ? c[0] : undefined;
}

/** The rows of the diff, depth first. */
export function diffPlans(a: Analysis, b: Analysis): PlanDiff {
  const rows: DiffRow[] = [];
  const only = (n: AnalyzedNode, depth: number, which: 'a' | 'b') => {
    alone(n, depth, which);
    for (const c of n.children) only(c, depth + 1, which);
  };
  const alone = (n: AnalyzedNode, depth: number, which: 'a' | 'b') => {
    rows.push({ depth, status: which === 'a' ? 'only_a' : 'only_b', a: which === 'a' ? side(n) : null, b: which === 'b' ? side(n) : null, deltaMs: null });
  };
  const walk = (x: AnalyzedNode, y: AnalyzedNode, depth: number): void => {
    if (keyOf(x) !== keyOf(y)) {
      const inX = unwrap(x, y);
      if (inX) { alone(x, depth, 'a'); return walk(inX, y, depth + 1); }
      const inY = unwrap(y, x);
      if (inY) { alone(y, depth, 'b'); return walk(x, inY, depth + 1); }
    }
    const same = keyOf(x) === keyOf(y) && x.node.label === y.node.label && target(x) === target(y);
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
