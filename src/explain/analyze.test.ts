import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePlan, ExplainError, explainReport, parseExplain, planHints } from './index.ts';

const near = (a: number, b: number, what: string) => assert.ok(Math.abs(a - b) < 1e-6, `${what}: ${a} ≠ ${b}`);

test('a plan cut short at a line boundary is an error that says so, with the node and its line', () => {
  const whole = `Hash Join  (cost=1.02..2.10 rows=3 width=8) (actual time=0.020..0.031 rows=3 loops=1)
  Hash Cond: (a.id = b.id)
  ->  Seq Scan on a  (cost=0.00..1.03 rows=3 width=8) (actual time=0.004..0.006 rows=3 loops=1)
  ->  Hash  (cost=1.01..1.01 rows=1 width=4) (actual time=0.008..0.009 rows=1 loops=1)
        Buckets: 1024  Batches: 1  Memory Usage: 9kB
        ->  Seq Scan on b  (cost=0.00..1.01 rows=1 width=4) (actual time=0.003..0.004 rows=1 loops=1)
Planning Time: 0.100 ms
Execution Time: 0.050 ms`;
  assert.deepEqual(parseExplain(whole).warnings, []);
  const lines = whole.split('\n');
  // Cut after the Hash line's property: the Hash has no input.
  assert.throws(() => parseExplain(lines.slice(0, 5).join('\n')), (e: unknown) => e instanceof ExplainError && e.code === 'PGFLEET_EXPLAIN_TRUNCATED'
    && /line 4, column 7: Hash has no child plans, but it always has 1: the plan is cut short \(its last line is line 5\)/.test(e.message));
  // Cut after the first scan: the join has one input.
  assert.throws(() => parseExplain(lines.slice(0, 3).join('\n')), /line 1, column 1: Hash Join has 1 child plan, but it always has 2/);
  // Cut after the tree, before the summary: whole-looking, so it says what it cannot know.
  assert.match(parseExplain(lines.slice(0, 6).join('\n')).warnings.join(), /no "Execution Time" line: it may be cut short/);
  const json = JSON.stringify([{ Plan: { 'Node Type': 'Sort', 'Startup Cost': 1, 'Total Cost': 2, 'Plan Rows': 1, 'Plan Width': 4 } }]);
  assert.throws(() => parseExplain(json), /Plan: Sort has no child plans, but it always has 1; the plan is not whole/);
  // An InitPlan is not one of a node's own inputs.
  const initOnly = JSON.stringify([{ Plan: { 'Node Type': 'Limit', 'Plans': [{ 'Node Type': 'Result', 'Parent Relationship': 'InitPlan', 'Subplan Name': 'InitPlan 1' }] } }]);
  assert.throws(() => parseExplain(initOnly), /Limit has no child plans/);
});

test('bounds: per-loop rounding × loops, a CTE read by two scans, a Gather without its workers; the estimate lies inside', () => {
  // 10,000 loops of 0.001 ms: each per-loop figure is ±0.0005 ms, so ±5 ms over all loops.
  const loops = parseExplain(`Nested Loop  (cost=0..1 rows=1 width=4) (actual time=0.010..30.000 rows=10000 loops=1)
  ->  Seq Scan on o  (cost=0..1 rows=1 width=4) (actual time=0.001..2.000 rows=10000 loops=1)
  ->  Index Scan using i on t  (cost=0..1 rows=1 width=4) (actual time=0.001..0.001 rows=1 loops=10000)
Execution Time: 30.1 ms`);
  const a = analyzePlan(loops);
  const nl = a.root;
  near(nl.exclusiveMs!, 30 - 2 - 10, 'nested loop itself');
  near(nl.exclusiveBounds![0], 30 - 0.0005 - 2.0005 - 15, 'low');
  near(nl.exclusiveBounds![1], 30 + 0.0005 - 1.9995 - 5, 'high');
  assert.equal(nl.uncertain, true);
  assert.equal(a.nodes[1].uncertain, false, 'one loop: exact to 0.001 ms');
  const r = explainReport(a, planHints(a));
  assert.deepEqual(r.root.exclusiveBounds, [12.999, 23.001]);

  // Two scans of one CTE: how its 8 ms split between them is not known.
  const cte = JSON.stringify([{ 'Execution Time': 20, Plan: { 'Node Type': 'Hash Join', 'Actual Total Time': 19, 'Actual Loops': 1, 'Actual Rows': 1, Plans: [
    { 'Node Type': 'Seq Scan', 'Parent Relationship': 'InitPlan', 'Subplan Name': 'CTE w', 'Relation Name': 't', 'Actual Total Time': 8, 'Actual Loops': 1, 'Actual Rows': 100 },
    { 'Node Type': 'CTE Scan', 'CTE Name': 'w', 'Actual Total Time': 10, 'Actual Loops': 1, 'Actual Rows': 100 },
    { 'Node Type': 'Hash', 'Actual Total Time': 6, 'Actual Loops': 1, 'Actual Rows': 100, Plans: [{ 'Node Type': 'CTE Scan', 'CTE Name': 'w', 'Actual Total Time': 5, 'Actual Loops': 1, 'Actual Rows': 100 }] },
  ] } }]);
  const c = analyzePlan(parseExplain(cte));
  const [scan1, scan2] = c.nodes.filter((x) => x.node.nodeType === 'CTE Scan');
  near(scan1.exclusiveMs!, 10 - 8 * (10 / 15), 'first scan, share by time');
  assert.ok(scan1.exclusiveBounds![0] < 2.1 && scan1.exclusiveBounds![1] > 9.99, `first scan bounds ${scan1.exclusiveBounds}`);
  assert.ok(scan2.uncertain && scan1.uncertain);
  near(c.nodes.reduce((s, x) => s + x.exclusiveMs!, 0), 19, 'Σ exclusive = root');

  // A Gather over 3 processes: the child's time is their average; the Gather waited for the busiest.
  const gather = (workers: string) => parseExplain(`Gather  (cost=0..1 rows=1 width=4) (actual time=0.5..12.000 rows=300 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  ->  Parallel Seq Scan on t  (cost=0..1 rows=1 width=4) (actual time=0.01..10.000 rows=100 loops=3)${workers}
Execution Time: 12.1 ms`);
  const g = analyzePlan(gather(''));
  near(g.root.exclusiveMs!, 2, 'Gather itself, from the average');
  assert.equal(g.root.exclusiveBounds![0], 0, 'the busiest process may have taken all 12 ms');
  assert.equal(g.root.uncertain, true);
  // With VERBOSE's per-worker lines the busiest process is known: the leader, 30 − 10 − 9 = 11 ms.
  const v = analyzePlan(gather('\n        Worker 0:  actual time=0.01..10.000 rows=100 loops=1\n        Worker 1:  actual time=0.01..9.000 rows=90 loops=1'));
  near(v.root.exclusiveBounds![0], 12 - 0.0005 - (11 + 0.0015), 'low from the leader, the busiest');
  assert.ok(v.root.exclusiveBounds![1] - v.root.exclusiveBounds![0] < 1.01);
});

test('buffers and I/O of a node itself; throughput; time by table and node type; estimate factors', () => {
  const p = parseExplain(`Hash Join  (cost=1..2 rows=30 width=8) (actual time=0.5..10.000 rows=3000 loops=1)
  Buffers: shared hit=20 read=300, temp read=5 written=5
  I/O Timings: shared read=4.000
  ->  Seq Scan on public.a  (cost=0..1 rows=1000 width=8) (actual time=0.004..3.000 rows=100 loops=1)
        Filter: (v > 0)
        Rows Removed by Filter: 7
        Buffers: shared hit=10 read=250
        I/O Timings: shared read=3.000
  ->  Hash  (cost=1..1 rows=1 width=4) (actual time=2.000..2.000 rows=50 loops=1)
        Buffers: shared hit=10 read=50
        I/O Timings: shared read=1.000
        ->  Seq Scan on public.b  (cost=0..1 rows=50 width=4) (actual time=0.003..1.000 rows=50 loops=1)
              Buffers: shared hit=10 read=50
              I/O Timings: shared read=1.000
Execution Time: 10.1 ms`);
  const a = analyzePlan(p);
  assert.deepEqual([a.root.exclusiveBuffers.sharedHit, a.root.exclusiveBuffers.sharedRead, a.root.exclusiveBuffers.tempRead], [0, 0, 5]);
  assert.equal(a.nodes[2].exclusiveBuffers.sharedRead, 0, 'the Hash read nothing itself');
  assert.equal(a.nodes[1].exclusiveIoReadMs, 3);
  const r = explainReport(a, planHints(a));
  const scanA = r.root.children[0];
  assert.equal(scanA.readMBps, Math.round((250 * 8192) / 1e6 / 0.003 * 10) / 10);
  assert.deepEqual([scanA.estimateFactor, scanA.estimateDirection, scanA.rowsRemovedByFilter, scanA.share], [10, 'over', 7, 0.3]);
  assert.deepEqual([r.root.estimateFactor, r.root.estimateDirection], [100, 'under']);
  assert.equal(scanA.props.Filter, '(v > 0)');
  assert.deepEqual(r.byTable.map((g) => [g.key, g.exclusiveTime, g.sharedRead]), [['public.a', 3, 250], ['public.b', 1, 50]]);
  assert.deepEqual(r.byNodeType.map((g) => [g.key, g.nodes, g.exclusiveTime]), [['Hash Join', 1, 5], ['Seq Scan', 2, 4], ['Hash', 1, 1]]);
  assert.deepEqual(r.warnings, []);
});

test('an InitPlan is taken off the node that uses its value, not the node it hangs under; under a Gather it is the leader\'s', () => {
  const text = (ref: string, returns: string) => `Hash Join  (cost=1..2 rows=1 width=4) (actual time=25.000..40.000 rows=500 loops=1)
  Hash Cond: (a.id = b.id)
  InitPlan 1${returns}
    ->  Aggregate  (cost=1..2 rows=1 width=4) (actual time=20.000..20.000 rows=1 loops=1)
          ->  Seq Scan on c  (cost=1..2 rows=1 width=4) (actual time=0.010..10.000 rows=100000 loops=1)
  ->  Seq Scan on a  (cost=1..2 rows=1 width=4) (actual time=20.050..30.000 rows=50000 loops=1)
        Filter: (v > ${ref})
  ->  Hash  (cost=1..2 rows=1 width=4) (actual time=5.000..5.000 rows=1000 loops=1)
        ->  Seq Scan on b  (cost=1..2 rows=1 width=4) (actual time=0.010..3.000 rows=1000 loops=1)
Execution Time: 40.1 ms`;
  // Up to 15 the value is $0; from 16 on (InitPlan 1).col1.
  for (const p of [text('$0', ' (returns $0)'), text('(InitPlan 1).col1', '')]) {
    const a = analyzePlan(parseExplain(p));
    const byLabel = (l: string, rel?: string) => a.nodes.find((x) => x.node.label === l && x.node.relationName === rel)!;
    near(byLabel('Hash Join').exclusiveMs!, 40 - 30 - 5, 'the join: less its two inputs only');
    near(byLabel('Seq Scan', 'a').exclusiveMs!, 30 - 20, 'the scan that needed $0 ran the InitPlan');
    near(a.nodes.reduce((s, x) => s + x.exclusiveMs!, 0), 40, 'Σ exclusive = root');
  }
  const g = analyzePlan(parseExplain(`Gather  (cost=0..1 rows=1 width=4) (actual time=30.5..50.000 rows=300 loops=1)
  Workers Planned: 2
  Workers Launched: 2
  InitPlan 1 (returns $0)
    ->  Result  (cost=0..1 rows=1 width=4) (actual time=30.000..30.000 rows=1 loops=1)
  ->  Parallel Seq Scan on t  (cost=0..1 rows=1 width=4) (actual time=0.01..15.000 rows=100 loops=3)
        Filter: (v > $0)
Execution Time: 50.1 ms`));
  assert.equal(g.nodes.find((x) => x.node.label === 'Result')!.inclusiveMs, 30, 'run once by the leader, not divided among 3 processes');
});
