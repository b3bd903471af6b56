// The plan model both parsers produce: EXPLAIN's JSON and TEXT formats read into the same tree.

/** Buffer counts of a node (blocks), as EXPLAIN (BUFFERS) prints them; absent counters are 0. */
export interface Buffers {
  sharedHit: number; sharedRead: number; sharedDirtied: number; sharedWritten: number;
  localHit: number; localRead: number; localDirtied: number; localWritten: number;
  tempRead: number; tempWritten: number;
}

export const BUFFER_KEYS = ['sharedHit', 'sharedRead', 'sharedDirtied', 'sharedWritten', 'localHit', 'localRead', 'localDirtied', 'localWritten', 'tempRead', 'tempWritten'] as const;

export function emptyBuffers(): Buffers {
  // A literal, not built from BUFFER_KEYS: it is made for every node of plans with thousands of them.
  return { sharedHit: 0, sharedRead: 0, sharedDirtied: 0, sharedWritten: 0, localHit: 0, localRead: 0, localDirtied: 0, localWritten: 0, tempRead: 0, tempWritten: 0 };
}

/** One plan node. Times are in ms and, as EXPLAIN prints them, per loop. */
export interface PlanNode {
  /** JSON's "Node Type": Seq Scan, Hash Join, Aggregate, ModifyTable, … */
  nodeType: string;
  /** The head as EXPLAIN TEXT prints it: Parallel Seq Scan, HashAggregate, Hash Left Join, Insert, … */
  label: string;
  relationName?: string;
  schema?: string;
  alias?: string;
  indexName?: string;
  cteName?: string;
  functionName?: string;
  /** InitPlan, SubPlan, Outer, Inner, Member, … (JSON's "Parent Relationship"); InitPlan, SubPlan and CTE in TEXT. */
  parentRelationship?: string;
  /** "InitPlan 1", "SubPlan 2", "CTE name". */
  subplanName?: string;
  startupCost?: number;
  totalCost?: number;
  planRows?: number;
  planWidth?: number;
  actualStartupTime?: number;
  actualTotalTime?: number;
  /** Rows per loop (fractional from PostgreSQL 18 on). */
  actualRows?: number;
  actualLoops?: number;
  neverExecuted: boolean;
  workersPlanned?: number;
  workersLaunched?: number;
  rowsRemovedByFilter?: number;
  rowsRemovedByJoinFilter?: number;
  rowsRemovedByIndexRecheck?: number;
  heapFetches?: number;
  /** Time spent reading and writing blocks (shared, local and temp), ms over all loops; only with track_io_timing. */
  ioReadMs?: number;
  ioWriteMs?: number;
  buffers: Buffers;
  /** Whether EXPLAIN printed buffer counts for the node. */
  hasBuffers: boolean;
  /** TEXT input only: line and column (1-based) of the node's head. */
  at?: { line: number; column: number };
  /** Other properties, as text (Filter, Sort Key, Hash Cond, Sort Method, …). */
  props: Record<string, string>;
  children: PlanNode[];
}

export interface TriggerTime { name: string; relation?: string; timeMs: number; calls: number }

/** A parsed EXPLAIN output. */
export interface Plan {
  format: 'json' | 'text';
  root: PlanNode;
  planningTime?: number;
  executionTime?: number;
  triggers: TriggerTime[];
  /** JIT's total time in ms, when JIT ran. */
  jitTotalMs?: number;
  /** Settings that differ from the defaults (EXPLAIN SETTINGS). */
  settings: Record<string, string>;
  /** What the input does not say for sure (a plan that may be cut short, …), for the reader. */
  warnings: string[];
}

/**
 * A node with every field present (the optional ones undefined), so that every node of a plan has
 * the same shape: with thousands of nodes, the parsers' stores and the analysis' reads stay fast.
 */
export function newNode(nodeType: string, label: string): PlanNode {
  return {
    nodeType, label, relationName: undefined, schema: undefined, alias: undefined, indexName: undefined, cteName: undefined, functionName: undefined,
    parentRelationship: undefined, subplanName: undefined, startupCost: undefined, totalCost: undefined, planRows: undefined, planWidth: undefined,
    actualStartupTime: undefined, actualTotalTime: undefined, actualRows: undefined, actualLoops: undefined, neverExecuted: false,
    workersPlanned: undefined, workersLaunched: undefined, rowsRemovedByFilter: undefined, rowsRemovedByJoinFilter: undefined,
    rowsRemovedByIndexRecheck: undefined, heapFetches: undefined, ioReadMs: undefined, ioWriteMs: undefined,
    buffers: emptyBuffers(), hasBuffers: false, at: undefined, props: {}, children: [],
  };
}
