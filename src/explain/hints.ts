// What the plan says could be done better: each hint names its node, the numbers behind it, the time
// it could save (an estimate: the part of the node's own time the fix would remove) and what to do.
import type { Analysis, AnalyzedNode } from './analyze.ts';

export const HINT_CODES = [
  'seq_scan_filter', 'index_scan_filter', 'sort_spill', 'hash_batches', 'lossy_bitmap', 'misestimate', 'nested_loop_many',
  'heap_fetches', 'workers_not_launched', 'planning_over_execution', 'jit_dominates', 'slow_trigger', 'read_not_hit',
  'subplan_loops', 'cte_rescanned', 'large_offset', 'no_analyze', 'no_buffers', 'no_io_timing',
] as const;
export type HintCode = (typeof HINT_CODES)[number];

export interface Hint {
  code: HintCode;
  /** The node the hint is about (null for the plan as a whole). */
  nodeType: string | null;
  /** Node label and target, for the reader: "Seq Scan on orders". */
  where: string;
  message: string;
  /** The numbers behind it. */
  evidence: Record<string, number | string>;
  /** Estimated time the fix could save, ms (0 when it cannot be told). */
  savingMs: number;
  /** What to do. */
  advice: string;
}

const where = (a: AnalyzedNode): string => {
  const n = a.node;
  const target = n.relationName ?? n.cteName ?? n.functionName ?? n.indexName;
  return target ? `${n.label} on ${target}` : n.label;
};
const rows = (a: AnalyzedNode): number => (a.node.actualRows ?? 0) * (a.node.actualLoops ?? 0);
const own = (a: AnalyzedNode): number => a.exclusiveMs ?? 0;
const round = (v: number): number => Math.round(v * 1000) / 1000;

/** Column names a filter compares: `(orders.status = 'x'::text)` → status. */
export function filterColumns(filter: string): string[] {
  const cols = new Set<string>();
  for (const m of filter.matchAll(/(?:^|[(\s,])(?:\w+\.)?("?[a-z_][a-z0-9_]*"?)\s*(?:=|<>|<=|>=|<|>|~~\*?|!~~|IS\s|=\s*ANY|BETWEEN)/gi)) {
    const c = m[1].replaceAll('"', '');
    if (!/^(and|or|not|true|false|null)$/i.test(c)) cols.add(c);
  }
  return [...cols];
}

/** A number from a TEXT property such as "Batches: 4  Memory Usage: 4113kB" or JSON's own key. */
function propNumber(a: AnalyzedNode, jsonKey: string, textKey: string, re: RegExp): number | undefined {
  const j = a.node.props[jsonKey];
  if (j !== undefined && /^-?\d+(\.\d+)?$/.test(j)) return Number(j);
  const t = a.node.props[textKey];
  const m = t !== undefined ? re.exec(`${textKey}: ${t}`) : null;
  return m ? Number(m[1]) : undefined;
}

type Rule = (a: AnalyzedNode, analysis: Analysis) => Hint | undefined;

const RULES: Rule[] = [
  // A sequential scan that throws most of what it reads away.
  (a) => {
    const removed = (a.node.rowsRemovedByFilter ?? 0) * (a.node.actualLoops ?? 0);
    if (a.node.nodeType !== 'Seq Scan' || removed < 1000 || removed < 9 * rows(a)) return undefined;
    const share = removed / (removed + rows(a));
    const cols = filterColumns(a.node.props.Filter ?? '');
    return { code: 'seq_scan_filter', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} reads ${Math.round(removed + rows(a))} rows to keep ${Math.round(rows(a))}: the filter removes ${(share * 100).toFixed(1)} %`,
      evidence: { rows_removed: Math.round(removed), rows_kept: Math.round(rows(a)), filter: a.node.props.Filter ?? '' }, savingMs: round(own(a) * share),
      advice: cols.length ? `an index on ${a.node.relationName ?? 'the table'} (${cols.join(', ')}) would read only the rows kept` : 'an index on the filtered columns would read only the rows kept' };
  },
  // An index scan that still filters most rows it fetches.
  (a) => {
    const removed = (a.node.rowsRemovedByFilter ?? 0) * (a.node.actualLoops ?? 0);
    if (!/^Index (Only )?Scan$/.test(a.node.nodeType) || removed < 1000 || removed < 4 * rows(a)) return undefined;
    return { code: 'index_scan_filter', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} fetches ${Math.round(removed + rows(a))} rows and filters out ${Math.round(removed)}`,
      evidence: { rows_removed: Math.round(removed), rows_kept: Math.round(rows(a)), filter: a.node.props.Filter ?? '' }, savingMs: round(own(a) * removed / (removed + rows(a))),
      advice: `add the filter's columns (${filterColumns(a.node.props.Filter ?? '').join(', ') || 'see Filter'}) to the index, or a partial index with the filter as its WHERE` };
  },
  // A sort that went to disk.
  (a) => {
    const method = a.node.props['Sort Method'] ?? '';
    if (!/external/.test(method)) return undefined;
    const kb = propNumber(a, 'Sort Space Used', 'Sort Method', /Disk: (\d+)kB/) ?? 0;
    return { code: 'sort_spill', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} sorted on disk (${method.replace(/\s+Disk:.*/, '')}, ${kb} kB)`,
      evidence: { disk_kb: kb }, savingMs: round(own(a) * 0.5),
      advice: `work_mem of at least ${Math.ceil((kb * 2) / 1024)} MB for this query (SET LOCAL work_mem) keeps the sort in memory` };
  },
  // A hash (join or aggregate) split into batches on disk.
  (a) => {
    const batches = propNumber(a, 'Hash Batches', 'Buckets', /Batches: (\d+)/) ?? propNumber(a, 'HashAgg Batches', 'Batches', /Batches: (\d+)/);
    if (batches === undefined || batches <= 1) return undefined;
    return { code: 'hash_batches', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} ran in ${batches} batches, writing to temporary files`,
      evidence: { batches }, savingMs: round(own(a) * (1 - 1 / batches) * 0.5),
      advice: 'more work_mem (or hash_mem_multiplier) lets the hash table fit in memory' };
  },
  // A bitmap that lost row-level precision.
  (a) => {
    const lossy = propNumber(a, 'Lossy Heap Blocks', 'Heap Blocks', /lossy=(\d+)/) ?? 0;
    if (a.node.nodeType !== 'Bitmap Heap Scan' || lossy <= 0) return undefined;
    return { code: 'lossy_bitmap', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} went lossy on ${lossy} blocks and rechecked every row in them`,
      evidence: { lossy_blocks: lossy, rows_rechecked_removed: a.node.rowsRemovedByIndexRecheck ?? 0 }, savingMs: round(own(a) * 0.3),
      advice: 'more work_mem keeps the bitmap exact' };
  },
  // The planner's row estimate is far off.
  (a) => {
    const est = a.node.planRows;
    const got = a.node.actualRows;
    if (est === undefined || got === undefined || (a.node.actualLoops ?? 0) === 0) return undefined;
    const factor = Math.max(est, 1) / Math.max(got, 1);
    if ((factor < 10 && factor > 0.1) || Math.max(est, got) < 100) return undefined;
    const under = got > est;
    return { code: 'misestimate', nodeType: a.node.nodeType, where: where(a), message: `${where(a)}: ${under ? 'under' : 'over'}estimated ${Math.round(under ? 1 / factor : factor)}× (${est} rows planned, ${got} per loop)`,
      evidence: { plan_rows: est, actual_rows: got, factor: round(under ? 1 / factor : factor) }, savingMs: 0,
      advice: `ANALYZE ${a.node.relationName ?? 'the tables involved'}; for correlated columns, CREATE STATISTICS (dependencies, ndistinct) on them` };
  },
  // A nested loop whose inner side runs very many times.
  (a) => {
    if (a.node.nodeType !== 'Nested Loop' || a.children.length < 2) return undefined;
    const inner = a.children[1];
    const loops = inner.node.actualLoops ?? 0;
    if (loops < 1000 || (inner.inclusiveMs ?? 0) < 0.5 * (a.inclusiveMs ?? Infinity)) return undefined;
    return { code: 'nested_loop_many', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} ran its inner side ${loops} times, ${round(inner.inclusiveMs ?? 0)} ms in all`,
      evidence: { inner_loops: loops, inner_ms: round(inner.inclusiveMs ?? 0) }, savingMs: round((inner.inclusiveMs ?? 0) * 0.5),
      advice: 'check the row estimate of the outer side; a hash join (or an index that makes each inner lookup cheap) may fit better' };
  },
  // An index-only scan that visits the heap anyway.
  (a) => {
    const fetches = (a.node.heapFetches ?? 0) * (a.node.actualLoops ?? 0);
    if (a.node.nodeType !== 'Index Only Scan' || fetches < 100 || fetches < 0.1 * rows(a)) return undefined;
    return { code: 'heap_fetches', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} fetched ${Math.round(fetches)} rows from the heap of ${Math.round(rows(a))} returned`,
      evidence: { heap_fetches: Math.round(fetches), rows: Math.round(rows(a)) }, savingMs: round(own(a) * Math.min(1, fetches / Math.max(1, rows(a))) * 0.5),
      advice: `VACUUM ${a.node.relationName ?? 'the table'} so the visibility map lets the scan skip the heap` };
  },
  // Parallel workers the plan counted on but did not get.
  (a) => {
    const planned = a.node.workersPlanned ?? 0;
    const launched = a.node.workersLaunched;
    if (launched === undefined || launched >= planned) return undefined;
    return { code: 'workers_not_launched', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} planned ${planned} workers and got ${launched}`,
      evidence: { planned, launched }, savingMs: 0,
      advice: 'raise max_parallel_workers (and max_worker_processes), or run fewer parallel queries at once' };
  },
  // A SubPlan run once per row of its parent.
  (a) => {
    if (a.node.parentRelationship !== 'SubPlan' || (a.node.actualLoops ?? 0) < 1000) return undefined;
    return { code: 'subplan_loops', nodeType: a.node.nodeType, where: `${a.node.subplanName ?? 'SubPlan'} (${where(a)})`, message: `${a.node.subplanName ?? 'a SubPlan'} ran ${a.node.actualLoops} times, ${round(a.inclusiveMs ?? 0)} ms in all`,
      evidence: { loops: a.node.actualLoops ?? 0, ms: round(a.inclusiveMs ?? 0) }, savingMs: round((a.inclusiveMs ?? 0) * 0.5),
      advice: 'rewrite the correlated subquery as a join (or a LATERAL join) so it runs once' };
  },
  // A CTE scan rerun many times.
  (a) => {
    if (a.node.nodeType !== 'CTE Scan' || (a.node.actualLoops ?? 0) < 100) return undefined;
    return { code: 'cte_rescanned', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} was scanned ${a.node.actualLoops} times`,
      evidence: { loops: a.node.actualLoops ?? 0 }, savingMs: round(own(a) * 0.5),
      advice: 'join the CTE instead of scanning it per row, or let the planner inline it (NOT MATERIALIZED)' };
  },
  // A Limit that throws away most of what its input produced: the rows an OFFSET skips are still made.
  (a) => {
    const input = a.children.find((c) => c.node.parentRelationship !== 'InitPlan' && c.node.parentRelationship !== 'SubPlan');
    if (a.node.nodeType !== 'Limit' || !input || input.inclusiveMs === null) return undefined;
    const made = rows(input);
    const skipped = made - rows(a);
    if (skipped < 1000 || skipped < 10 * Math.max(1, rows(a))) return undefined;
    return { code: 'large_offset', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} returned ${Math.round(rows(a))} rows of the ${Math.round(made)} its input produced: ${Math.round(skipped)} were skipped (OFFSET)`,
      evidence: { rows_returned: Math.round(rows(a)), rows_skipped: Math.round(skipped), input_ms: round(input.inclusiveMs) }, savingMs: round(input.inclusiveMs * (skipped / made)),
      advice: 'page by the last key seen (WHERE key > $last ORDER BY key LIMIT n) with an index on the sort key, instead of a growing OFFSET' };
  },
  // Most blocks came from outside shared buffers.
  (a) => {
    const b = a.node.buffers;
    if (b.sharedRead < 1000 || b.sharedRead < 10 * b.sharedHit || a.children.some((c) => c.node.buffers.sharedRead >= 0.5 * b.sharedRead)) return undefined;
    return { code: 'read_not_hit', nodeType: a.node.nodeType, where: where(a), message: `${where(a)} read ${b.sharedRead} blocks from outside shared buffers and found ${b.sharedHit} in them`,
      evidence: { shared_read: b.sharedRead, shared_hit: b.sharedHit }, savingMs: 0,
      advice: 'a cold cache, a table larger than shared_buffers, or bloat: check the table size against its live rows (pgfleet Objects) and shared_buffers' };
  },
];

/** The hints of an analysed plan, the largest saving first. */
export function planHints(analysis: Analysis): Hint[] {
  const out: Hint[] = [];
  for (const a of analysis.nodes) for (const rule of RULES) { const h = rule(a, analysis); if (h) out.push(h); }
  const { plan, root } = analysis;
  const exec = plan.executionTime;
  if (root.inclusiveMs === null) {
    out.push({ code: 'no_analyze', nodeType: null, where: 'the plan', message: 'the plan has no actual times: only estimates can be read', evidence: {}, savingMs: 0,
      advice: 'run EXPLAIN (ANALYZE, BUFFERS) to see where the time goes (on a writing query, inside BEGIN … ROLLBACK)' });
  }
  if (root.inclusiveMs !== null && !analysis.nodes.some((a) => a.node.hasBuffers)) {
    // TEXT prints Buffers only when a count is not 0: a plan that read a table and shows none ran without BUFFERS.
    const scan = analysis.nodes.find((a) => a.node.relationName !== undefined && rows(a) > 0);
    if (scan) {
      out.push({ code: 'no_buffers', nodeType: null, where: 'the plan', message: `the plan read ${where(scan)} but shows no buffer counts: which nodes read from disk and which from cache cannot be told`,
        evidence: {}, savingMs: 0, advice: 'run EXPLAIN (ANALYZE, BUFFERS) (PostgreSQL 18 adds BUFFERS by itself)' });
    }
  }
  const read = root.node.buffers.sharedRead + root.node.buffers.localRead;
  if (read >= 100 && !analysis.nodes.some((a) => a.node.ioReadMs !== undefined)) {
    out.push({ code: 'no_io_timing', nodeType: null, where: 'the plan', message: `the plan read ${read} blocks from outside shared buffers but shows no I/O time: how much of its time was waiting on storage cannot be told`,
      evidence: { blocks_read: read }, savingMs: 0, advice: 'SET track_io_timing = on (a superuser, or ALTER SYSTEM for every session; its cost is a clock read per I/O: pg_test_timing tells how cheap clocks are here) and run EXPLAIN again' });
  }
  if (plan.planningTime !== undefined && exec !== undefined && plan.planningTime > exec && plan.planningTime > 1) {
    out.push({ code: 'planning_over_execution', nodeType: null, where: 'the plan', message: `planning took ${plan.planningTime} ms, execution ${exec} ms`,
      evidence: { planning_ms: plan.planningTime, execution_ms: exec }, savingMs: round(plan.planningTime - exec),
      advice: 'a prepared statement (or a plan cache) plans once; many partitions or joins also make planning slow' });
  }
  if (plan.jitTotalMs !== undefined && exec !== undefined && plan.jitTotalMs > 0.3 * exec && plan.jitTotalMs > 10) {
    out.push({ code: 'jit_dominates', nodeType: null, where: 'the plan', message: `JIT took ${plan.jitTotalMs} ms of ${exec} ms`,
      evidence: { jit_ms: plan.jitTotalMs, execution_ms: exec }, savingMs: plan.jitTotalMs,
      advice: 'raise jit_above_cost (or SET jit = off) for queries this short' });
  }
  for (const t of plan.triggers) {
    if (exec === undefined || t.timeMs < 0.3 * exec || t.timeMs < 1) continue;
    out.push({ code: 'slow_trigger', nodeType: null, where: `trigger ${t.name}`, message: `trigger ${t.name} took ${t.timeMs} ms over ${t.calls} calls, of ${exec} ms`,
      evidence: { trigger_ms: t.timeMs, calls: t.calls }, savingMs: round(t.timeMs * 0.5),
      advice: 'make the trigger cheaper (a statement-level trigger with transition tables runs once), or index what it looks up' });
  }
  return out.sort((x, y) => y.savingMs - x.savingMs);
}
