import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePlan, HINT_CODES, parseExplain, planHints, filterColumns, type HintCode } from './index.ts';

type J = Record<string, unknown>;
/** A timed JSON node: `t` ms per loop, `rows` per loop. */
const nd = (type: string, o: J = {}, plans: J[] = []): J => ({
  'Node Type': type, 'Startup Cost': 0, 'Total Cost': 100, 'Plan Rows': o.planRows ?? o.rows ?? 1, 'Plan Width': 4,
  'Actual Startup Time': 0, 'Actual Total Time': o.t ?? 1, 'Actual Rows': o.rows ?? 1, 'Actual Loops': o.loops ?? 1, ...o.extra as J, ...(plans.length ? { Plans: plans } : {}),
});
const plan = (root: J, top: J = {}) => JSON.stringify([{ Plan: root, 'Planning Time': 0.1, 'Execution Time': 50, ...top }]);
const codes = (text: string) => planHints(analyzePlan(parseExplain(text))).map((h) => h.code);

const CASES: Record<HintCode, [hit: string, miss: string]> = {
  seq_scan_filter: [
    plan(nd('Seq Scan', { rows: 10, t: 40, extra: { 'Relation Name': 'orders', Filter: "(status = 'x'::text)", 'Rows Removed by Filter': 99990 } })),
    plan(nd('Seq Scan', { rows: 50000, t: 40, extra: { 'Relation Name': 'orders', Filter: "(status = 'x'::text)", 'Rows Removed by Filter': 50000 } })),
  ],
  index_scan_filter: [
    plan(nd('Index Scan', { rows: 10, t: 20, extra: { 'Relation Name': 'orders', 'Index Name': 'o_pk', Filter: '(total > 5)', 'Rows Removed by Filter': 5000 } })),
    plan(nd('Index Scan', { rows: 4000, t: 20, extra: { 'Relation Name': 'orders', 'Index Name': 'o_pk', Filter: '(total > 5)', 'Rows Removed by Filter': 100 } })),
  ],
  sort_spill: [
    plan(nd('Sort', { t: 30, extra: { 'Sort Method': 'external merge', 'Sort Space Used': 20480, 'Sort Space Type': 'Disk' } }, [nd('Seq Scan', { t: 5 })])),
    plan(nd('Sort', { t: 30, extra: { 'Sort Method': 'quicksort', 'Sort Space Used': 25, 'Sort Space Type': 'Memory' } }, [nd('Seq Scan', { t: 5 })])),
  ],
  hash_batches: [
    plan(nd('Hash Join', { t: 30 }, [nd('Seq Scan', { t: 5 }), nd('Hash', { t: 20, extra: { 'Hash Batches': 8, 'Original Hash Batches': 8 } }, [nd('Seq Scan', { t: 5 })])])),
    plan(nd('Hash Join', { t: 30 }, [nd('Seq Scan', { t: 5 }), nd('Hash', { t: 20, extra: { 'Hash Batches': 1, 'Original Hash Batches': 1 } }, [nd('Seq Scan', { t: 5 })])])),
  ],
  lossy_bitmap: [
    plan(nd('Bitmap Heap Scan', { t: 20, extra: { 'Exact Heap Blocks': 10, 'Lossy Heap Blocks': 300, 'Rows Removed by Index Recheck': 9000 } }, [nd('Bitmap Index Scan', { t: 2 })])),
    plan(nd('Bitmap Heap Scan', { t: 20, extra: { 'Exact Heap Blocks': 310, 'Lossy Heap Blocks': 0 } }, [nd('Bitmap Index Scan', { t: 2 })])),
  ],
  misestimate: [
    plan(nd('Seq Scan', { rows: 50000, planRows: 50, t: 10, extra: { 'Relation Name': 'events' } })),
    plan(nd('Seq Scan', { rows: 5000, planRows: 4000, t: 10, extra: { 'Relation Name': 'events' } })),
  ],
  nested_loop_many: [
    plan(nd('Nested Loop', { t: 40 }, [nd('Seq Scan', { t: 2, rows: 5000 }), nd('Index Scan', { t: 0.007, loops: 5000 })])),
    plan(nd('Nested Loop', { t: 40 }, [nd('Seq Scan', { t: 2, rows: 50 }), nd('Index Scan', { t: 0.007, loops: 50 })])),
  ],
  heap_fetches: [
    plan(nd('Index Only Scan', { rows: 1000, t: 5, extra: { 'Relation Name': 't', 'Heap Fetches': 900 } })),
    plan(nd('Index Only Scan', { rows: 1000, t: 5, extra: { 'Relation Name': 't', 'Heap Fetches': 0 } })),
  ],
  workers_not_launched: [
    plan(nd('Gather', { t: 30, extra: { 'Workers Planned': 4, 'Workers Launched': 1 } }, [nd('Seq Scan', { t: 20, loops: 2, extra: { 'Parallel Aware': true } })])),
    plan(nd('Gather', { t: 30, extra: { 'Workers Planned': 2, 'Workers Launched': 2 } }, [nd('Seq Scan', { t: 20, loops: 3, extra: { 'Parallel Aware': true } })])),
  ],
  planning_over_execution: [plan(nd('Result', { t: 0.5 }), { 'Planning Time': 12, 'Execution Time': 0.6 }), plan(nd('Result', { t: 0.5 }), { 'Planning Time': 0.2, 'Execution Time': 0.6 })],
  jit_dominates: [
    plan(nd('Result', { t: 10 }), { 'Execution Time': 60, JIT: { Functions: 9, Timing: { Generation: 2, Inlining: 20, Optimization: 20, Emission: 8, Total: 50 } } }),
    plan(nd('Result', { t: 10 }), { 'Execution Time': 600, JIT: { Functions: 9, Timing: { Total: 50 } } }),
  ],
  slow_trigger: [
    plan(nd('ModifyTable', { t: 10, extra: { Operation: 'Insert' } }), { 'Execution Time': 50, Triggers: [{ 'Trigger Name': 'audit', Relation: 't', Time: 35, Calls: 1000 }] }),
    plan(nd('ModifyTable', { t: 10, extra: { Operation: 'Insert' } }), { 'Execution Time': 50, Triggers: [{ 'Trigger Name': 'audit', Relation: 't', Time: 2, Calls: 1000 }] }),
  ],
  read_not_hit: [
    plan(nd('Seq Scan', { t: 30, extra: { 'Shared Hit Blocks': 10, 'Shared Read Blocks': 5000 } })),
    plan(nd('Seq Scan', { t: 30, extra: { 'Shared Hit Blocks': 5000, 'Shared Read Blocks': 10 } })),
  ],
  subplan_loops: [
    plan(nd('Seq Scan', { t: 40, rows: 5000 }, [nd('Aggregate', { t: 0.006, loops: 5000, extra: { 'Parent Relationship': 'SubPlan', 'Subplan Name': 'SubPlan 1' } }, [nd('Index Scan', { t: 0.004, loops: 5000 })])])),
    plan(nd('Seq Scan', { t: 40, rows: 5 }, [nd('Aggregate', { t: 0.006, loops: 5, extra: { 'Parent Relationship': 'SubPlan', 'Subplan Name': 'SubPlan 1' } }, [nd('Index Scan', { t: 0.004, loops: 5 })])])),
  ],
  cte_rescanned: [
    plan(nd('Nested Loop', { t: 30 }, [nd('Seq Scan', { t: 1, rows: 500 }), nd('CTE Scan', { t: 0.05, loops: 500, extra: { 'CTE Name': 'x' } })])),
    plan(nd('Hash Join', { t: 30 }, [nd('Seq Scan', { t: 1, rows: 500 }), nd('CTE Scan', { t: 2, loops: 1, extra: { 'CTE Name': 'x' } })])),
  ],
  large_offset: [
    plan(nd('Limit', { t: 30, rows: 20 }, [nd('Index Scan', { t: 29, rows: 50020, extra: { 'Relation Name': 'orders', 'Index Name': 'o_created' } })])),
    plan(nd('Limit', { t: 3, rows: 20 }, [nd('Index Scan', { t: 2.9, rows: 20, extra: { 'Relation Name': 'orders', 'Index Name': 'o_created' } })])),
  ],
  no_buffers: [
    plan(nd('Seq Scan', { t: 5, rows: 100, extra: { 'Relation Name': 'orders' } })),
    plan(nd('Seq Scan', { t: 5, rows: 100, extra: { 'Relation Name': 'orders', 'Shared Hit Blocks': 12, 'Shared Read Blocks': 0 } })),
  ],
  no_io_timing: [
    plan(nd('Seq Scan', { t: 5, rows: 100, extra: { 'Relation Name': 'orders', 'Shared Hit Blocks': 12, 'Shared Read Blocks': 800 } })),
    plan(nd('Seq Scan', { t: 5, rows: 100, extra: { 'Relation Name': 'orders', 'Shared Hit Blocks': 12, 'Shared Read Blocks': 800, 'I/O Read Time': 3.2, 'I/O Write Time': 0 } })),
  ],
  no_analyze: [
    JSON.stringify([{ Plan: { 'Node Type': 'Seq Scan', 'Relation Name': 't', 'Startup Cost': 0, 'Total Cost': 1, 'Plan Rows': 1, 'Plan Width': 4 } }]),
    plan(nd('Seq Scan', { t: 1 })),
  ],
};

test('every hint kind: a plan that shows it and one that must not', () => {
  assert.deepEqual(Object.keys(CASES).sort(), [...HINT_CODES].sort());
  for (const code of HINT_CODES) {
    const [hit, miss] = CASES[code];
    assert.ok(codes(hit).includes(code), `${code}: not found in its plan (found ${codes(hit).join(', ') || 'nothing'})`);
    assert.ok(!codes(miss).includes(code), `${code}: found in the plan that must not show it`);
  }
});

test('a hint carries its node, evidence, saving and advice; the filter columns make the index advice', () => {
  const [h] = planHints(analyzePlan(parseExplain(CASES.seq_scan_filter[0])));
  assert.deepEqual([h.code, h.nodeType, h.where, h.evidence.rows_removed, h.evidence.rows_kept], ['seq_scan_filter', 'Seq Scan', 'Seq Scan on orders', 99990, 10]);
  assert.ok(h.savingMs > 39 && h.savingMs <= 40, String(h.savingMs));
  assert.match(h.advice, /index on orders \(status\)/);
  assert.deepEqual(filterColumns("((o.status = 'x'::text) AND (o.total > '5'::numeric) AND (created_at >= now()))"), ['status', 'total', 'created_at']);
  // TEXT format props give the same hints.
  const text = `Sort  (cost=1.00..2.00 rows=10 width=4) (actual time=10.000..30.000 rows=10.00 loops=1)
  Sort Key: v
  Sort Method: external merge  Disk: 20480kB
  ->  Seq Scan on t  (cost=0.00..1.00 rows=10 width=4) (actual time=0.010..5.000 rows=10.00 loops=1)
Execution Time: 31.000 ms`;
  const sort = planHints(analyzePlan(parseExplain(text))).find((x) => x.code === 'sort_spill')!;
  assert.deepEqual([sort.evidence.disk_kb, sort.advice], [20480, 'work_mem of at least 40 MB for this query (SET LOCAL work_mem) keeps the sort in memory']);
});
