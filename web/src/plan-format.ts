// How the EXPLAIN page writes plan numbers: times in ms with sensible digits, estimate factors with an arrow.
import type { ExplainNode } from './api.ts';

export const planMs = (v: number | null | undefined): string =>
  (v === null || v === undefined ? '—' : v >= 100 ? `${v.toFixed(0)} ms` : `${v.toFixed(v >= 1 ? 2 : 3)} ms`);

/** ↑ when the planner expected fewer rows than came (underestimate), ↓ when more; only from 10× off. */
export function estimateMark(n: ExplainNode): string {
  if (n.estimateFactor === null || n.estimateFactor < 10) return '';
  return `${n.estimateDirection === 'under' ? '↑' : '↓'}${Math.round(n.estimateFactor)}×`;
}

/** Rows the node threw away, over all loops (filter, join filter, index recheck). */
export const rowsRemoved = (n: ExplainNode): number | null =>
  (n.rowsRemovedByFilter === undefined && n.rowsRemovedByJoinFilter === undefined && n.rowsRemovedByIndexRecheck === undefined
    ? null : (n.rowsRemovedByFilter ?? 0) + (n.rowsRemovedByJoinFilter ?? 0) + (n.rowsRemovedByIndexRecheck ?? 0));

export const target = (n: ExplainNode): string | undefined => n.relationName ?? n.alias;
