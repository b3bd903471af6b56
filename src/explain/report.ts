// The analysis as data for callers (the CLI's --json, the API, the console): per node its times in ms
// over all loops, bounds, rows, estimate, buffers and I/O; time by table and by node type; hints.
import type { Analysis, AnalyzedNode } from './analyze.ts';
import type { Hint } from './hints.ts';
import type { Buffers, PlanNode } from './types.ts';

/** PostgreSQL's default block size (BLCKSZ); EXPLAIN counts blocks, not bytes. */
export const BLOCK_BYTES = 8192;

/** A node as callers get it: what names it, as parsed, and its measured figures. */
export interface ReportNode extends Pick<PlanNode, 'nodeType' | 'label' | 'relationName' | 'schema' | 'alias' | 'indexName' | 'subplanName'> {
  actualRows: number | null;
  planRows: number | null;
  loops: number | null;
  inclusiveTime: number | null;
  exclusiveTime: number | null;
  /** Present when the exclusive time is uncertain: the range it lies in (ms). */
  exclusiveBounds?: [number, number];
  uncertain?: true;
  /** exclusiveTime as a share of the root's time with children (0–1). */
  share: number | null;
  /** How far the planner's row estimate was off (≥ 1), and which way; null without actual rows. */
  estimateFactor: number | null;
  estimateDirection: 'under' | 'over' | null;
  /** Rows thrown away, over all loops. */
  rowsRemovedByFilter?: number;
  rowsRemovedByJoinFilter?: number;
  rowsRemovedByIndexRecheck?: number;
  /** Blocks with children (as EXPLAIN prints them) and of the node itself; absent without BUFFERS. */
  buffers?: Buffers;
  exclusiveBuffers?: Buffers;
  /** I/O time with children (track_io_timing), ms, and the node's own read throughput (MB/s). */
  ioReadMs?: number;
  ioWriteMs?: number;
  readMBps?: number;
  /** Every other property EXPLAIN printed (Filter, Hash Cond, Sort Method, …), as text. */
  props: Record<string, string>;
  children: ReportNode[];
}

/** Exclusive time and blocks summed over the nodes that read one table, or over one node type. */
export interface TimeGroup {
  key: string;
  nodes: number;
  exclusiveTime: number | null;
  share: number | null;
  sharedHit: number;
  sharedRead: number;
}

export interface Report {
  planningTime: number | null;
  executionTime: number | null;
  /** Doubts about the input (a plan that may be cut short at its end, …). */
  warnings: string[];
  root: ReportNode;
  /** Per table (schema-qualified when EXPLAIN VERBOSE printed the schema) and per node type, most time first. */
  byTable: TimeGroup[];
  byNodeType: TimeGroup[];
  hints: Hint[];
}

const ms = (v: number | null): number | null => (v === null ? null : Math.round(v * 1000) / 1000);

function reportNode(a: AnalyzedNode, total: number | null): ReportNode {
  const n = a.node;
  const loops = n.actualLoops ?? 0;
  const removed = (v: number | undefined) => (v === undefined ? undefined : v * Math.max(loops, 1));
  let estimateFactor: number | null = null;
  let estimateDirection: ReportNode['estimateDirection'] = null;
  if (n.actualRows !== undefined && n.planRows !== undefined && loops > 0) {
    const planned = Math.max(n.planRows, 1);
    const got = Math.max(n.actualRows, 1);
    estimateFactor = Math.round(Math.max(planned / got, got / planned) * 100) / 100;
    estimateDirection = got > planned ? 'under' : got < planned ? 'over' : null;
  }
  const readBlocks = a.exclusiveBuffers.sharedRead + a.exclusiveBuffers.localRead + a.exclusiveBuffers.tempRead;
  const opt = <T>(key: string, v: T | undefined) => (v === undefined ? {} : { [key]: v });
  return {
    nodeType: n.nodeType, label: n.label,
    ...opt('relationName', n.relationName), ...opt('schema', n.schema), ...opt('alias', n.alias), ...opt('indexName', n.indexName), ...opt('subplanName', n.subplanName),
    actualRows: n.actualRows ?? null, planRows: n.planRows ?? null, loops: n.actualLoops ?? null,
    inclusiveTime: ms(a.inclusiveMs), exclusiveTime: ms(a.exclusiveMs),
    ...(a.uncertain && a.exclusiveBounds ? { exclusiveBounds: [ms(a.exclusiveBounds[0])!, ms(a.exclusiveBounds[1])!] as [number, number], uncertain: true as const } : {}),
    share: total && a.exclusiveMs !== null ? Math.round((a.exclusiveMs / total) * 10000) / 10000 : null,
    estimateFactor, estimateDirection,
    ...opt('rowsRemovedByFilter', removed(n.rowsRemovedByFilter)), ...opt('rowsRemovedByJoinFilter', removed(n.rowsRemovedByJoinFilter)),
    ...opt('rowsRemovedByIndexRecheck', removed(n.rowsRemovedByIndexRecheck)),
    ...(n.hasBuffers ? { buffers: n.buffers, exclusiveBuffers: a.exclusiveBuffers } : {}),
    ...opt('ioReadMs', n.ioReadMs === undefined ? undefined : ms(n.ioReadMs)!), ...opt('ioWriteMs', n.ioWriteMs === undefined ? undefined : ms(n.ioWriteMs)!),
    ...(a.exclusiveIoReadMs && readBlocks > 0 ? { readMBps: Math.round((readBlocks * BLOCK_BYTES) / 1e6 / (a.exclusiveIoReadMs / 1000) * 10) / 10 } : {}),
    props: n.props,
    children: a.children.map((c) => reportNode(c, total)),
  };
}

/** Exclusive time and blocks grouped by a key of each node (nodes without one are left out). */
function groupBy(analysis: Analysis, keyOf: (a: AnalyzedNode) => string | undefined): TimeGroup[] {
  const total = analysis.root.inclusiveMs;
  const groups = new Map<string, TimeGroup>();
  for (const a of analysis.nodes) {
    const key = keyOf(a);
    if (key === undefined) continue;
    let g = groups.get(key);
    if (!g) groups.set(key, g = { key, nodes: 0, exclusiveTime: null, share: null, sharedHit: 0, sharedRead: 0 });
    g.nodes++;
    if (a.exclusiveMs !== null) g.exclusiveTime = (g.exclusiveTime ?? 0) + a.exclusiveMs;
    g.sharedHit += a.exclusiveBuffers.sharedHit;
    g.sharedRead += a.exclusiveBuffers.sharedRead;
  }
  const out = [...groups.values()];
  for (const g of out) {
    g.share = total && g.exclusiveTime !== null ? Math.round((g.exclusiveTime / total) * 10000) / 10000 : null;
    g.exclusiveTime = ms(g.exclusiveTime);
  }
  return out.sort((x, y) => (y.exclusiveTime ?? -1) - (x.exclusiveTime ?? -1) || y.sharedHit + y.sharedRead - x.sharedHit - x.sharedRead || x.key.localeCompare(y.key));
}

/** The analysis and its hints as one plain object. */
export function explainReport(analysis: Analysis, hints: Hint[]): Report {
  const total = analysis.root.inclusiveMs;
  return {
    planningTime: analysis.plan.planningTime ?? null, executionTime: analysis.plan.executionTime ?? null, warnings: analysis.plan.warnings,
    root: reportNode(analysis.root, total),
    byTable: groupBy(analysis, (a) => (a.node.relationName ? `${a.node.schema ? `${a.node.schema}.` : ''}${a.node.relationName}` : undefined)),
    byNodeType: groupBy(analysis, (a) => a.node.nodeType),
    hints,
  };
}
