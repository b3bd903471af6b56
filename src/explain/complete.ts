// Whether a parsed plan is whole: a plan cut short at a line boundary reads as a smaller plan,
// so each node is checked for the child plans its type always has.
import type { Plan, PlanNode } from './types.ts';

/** Child plans a node type always has (explain.c prints its outer and inner plan): [at least, at most]. */
const CHILDREN: Record<string, [number, number]> = {
  'Nested Loop': [2, 2], 'Merge Join': [2, 2], 'Hash Join': [2, 2], 'Recursive Union': [2, 2],
  'BitmapAnd': [2, Infinity], 'BitmapOr': [2, Infinity],
  'Hash': [1, 1], 'Sort': [1, 1], 'Incremental Sort': [1, 1], 'Materialize': [1, 1], 'Memoize': [1, 1], 'Limit': [1, 1],
  'Unique': [1, 1], 'Gather': [1, 1], 'Gather Merge': [1, 1], 'LockRows': [1, 1], 'WindowAgg': [1, 1], 'Group': [1, 1],
  'Aggregate': [1, 1], 'Subquery Scan': [1, 1], 'Bitmap Heap Scan': [1, 1], 'ProjectSet': [1, 1], 'SetOp': [1, 2],
};

/** InitPlans, SubPlans and CTEs hang under a node besides its own child plans. */
export const isSubplan = (n: PlanNode): boolean =>
  n.parentRelationship === 'InitPlan' || n.parentRelationship === 'SubPlan' || n.subplanName?.startsWith('CTE ') === true;

/** What is missing under a node, or undefined when its child plans are all there. */
export function missingChildren(n: PlanNode): string | undefined {
  const want = CHILDREN[n.nodeType];
  if (!want) return undefined;
  let got = 0;
  for (const c of n.children) if (!isSubplan(c)) got++;
  if (got >= want[0]) return undefined;
  const need = want[0] === want[1] ? `${want[0]}` : `at least ${want[0]}`;
  return `${n.label} has ${got === 0 ? 'no' : got} child plan${got === 1 ? '' : 's'}, but it always has ${need}`;
}

/** Doubts about a whole-looking plan, as warnings for the reader. */
export function completenessWarnings(plan: Plan): string[] {
  const r = plan.root;
  const analyzed = r.actualLoops !== undefined || r.neverExecuted;
  if (analyzed && plan.executionTime === undefined) {
    return ['the plan has actual times but no "Execution Time" line: it may be cut short at its end (or it was run with SUMMARY OFF)'];
  }
  return [];
}
