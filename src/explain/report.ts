// The analysis as data for callers (the CLI's --json, the API): times in ms over all loops, hints.
import type { Analysis, AnalyzedNode } from './analyze.ts';
import type { Hint } from './hints.ts';

export interface ReportNode {
  nodeType: string;
  label: string;
  relationName?: string;
  indexName?: string;
  subplanName?: string;
  actualRows: number | null;
  planRows: number | null;
  loops: number | null;
  inclusiveTime: number | null;
  exclusiveTime: number | null;
  uncertain?: true;
  children: ReportNode[];
}

export interface Report {
  planningTime: number | null;
  executionTime: number | null;
  root: ReportNode;
  hints: Hint[];
}

const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

function reportNode(a: AnalyzedNode): ReportNode {
  const n = a.node;
  return {
    nodeType: n.nodeType, label: n.label, ...(n.relationName ? { relationName: n.relationName } : {}), ...(n.indexName ? { indexName: n.indexName } : {}),
    ...(n.subplanName ? { subplanName: n.subplanName } : {}),
    actualRows: n.actualRows ?? null, planRows: n.planRows ?? null, loops: n.actualLoops ?? null,
    inclusiveTime: ms(a.inclusiveMs), exclusiveTime: ms(a.exclusiveMs), ...(a.uncertain ? { uncertain: true as const } : {}),
    children: a.children.map(reportNode),
  };
}

/** The analysis and its hints as one plain object. */
export function explainReport(analysis: Analysis, hints: Hint[]): Report {
  return { planningTime: analysis.plan.planningTime ?? null, executionTime: analysis.plan.executionTime ?? null, root: reportNode(analysis.root), hints };
}
