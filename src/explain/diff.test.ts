import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePlan, diffPlans, parseExplain } from './index.ts';

const A = `Hash Join  (cost=1.00..50.00 rows=10 width=8) (actual time=0.100..9.000 rows=10.00 loops=1)
  Hash Cond: (o.id = c.id)
  ->  Seq Scan on orders o  (cost=0.00..40.00 rows=1000 width=8) (actual time=0.010..7.000 rows=1000.00 loops=1)
  ->  Hash  (cost=1.00..1.00 rows=10 width=4) (actual time=0.050..0.060 rows=10.00 loops=1)
        ->  Seq Scan on customers c  (cost=0.00..1.00 rows=10 width=4) (actual time=0.005..0.030 rows=10.00 loops=1)
Execution Time: 9.500 ms`;
const B = `Nested Loop  (cost=0.29..20.00 rows=10 width=8) (actual time=0.020..0.900 rows=10.00 loops=1)
  ->  Seq Scan on customers c  (cost=0.00..1.00 rows=10 width=4) (actual time=0.005..0.030 rows=10.00 loops=1)
  ->  Index Scan using orders_pkey on orders o  (cost=0.29..1.90 rows=1 width=8) (actual time=0.070..0.080 rows=1.00 loops=10)
        Index Cond: (id = c.id)
Execution Time: 1.000 ms`;

test('two plans of one query, node by node: what changed, what is only in one, where the time moved', () => {
  const d = diffPlans(analyzePlan(parseExplain(A)), analyzePlan(parseExplain(B)));
  assert.deepEqual(d.executionMs, [9.5, 1]);
  assert.deepEqual(d.rows.map((r) => [r.depth, r.status, r.a?.label ?? null, r.a?.target ?? null, r.b?.label ?? null, r.b?.target ?? null]), [
    [0, 'changed', 'Hash Join', null, 'Nested Loop', null],
    // Paired by the table they read, across node kinds.
    [1, 'changed', 'Seq Scan', 'orders', 'Index Scan', 'orders'],
    // The Hash around the customers scan is gone; the scan itself is the same.
    [1, 'only_a', 'Hash', null, null, null],
    [2, 'same', 'Seq Scan', 'customers', 'Seq Scan', 'customers'],
  ]);
  // Reading orders took 7 ms as a seq scan, 0.8 ms as 10 index lookups.
  assert.ok(Math.abs(d.rows[1].deltaMs! - (0.8 - 7)) < 1e-9);
  const same = diffPlans(analyzePlan(parseExplain(A)), analyzePlan(parseExplain(A)));
  assert.ok(same.rows.every((r) => r.status === 'same' && r.deltaMs === 0));
});

test('a join whose build side flips: the scans pair with themselves, the Hash is shown moving', () => {
  const A2 = `Hash Join  (cost=1..2 rows=1 width=4) (actual time=1.000..10.000 rows=5 loops=1)
  ->  Seq Scan on orders  (cost=1..2 rows=1 width=4) (actual time=0.010..6.000 rows=1000 loops=1)
  ->  Hash  (cost=1..2 rows=1 width=4) (actual time=2.000..2.000 rows=10 loops=1)
        ->  Seq Scan on customers  (cost=1..2 rows=1 width=4) (actual time=0.010..1.000 rows=10 loops=1)
Execution Time: 10.1 ms`;
  const B2 = `Hash Join  (cost=1..2 rows=1 width=4) (actual time=1.000..12.000 rows=5 loops=1)
  ->  Seq Scan on customers  (cost=1..2 rows=1 width=4) (actual time=0.010..1.000 rows=10 loops=1)
  ->  Hash  (cost=1..2 rows=1 width=4) (actual time=8.000..8.000 rows=1000 loops=1)
        ->  Seq Scan on orders  (cost=1..2 rows=1 width=4) (actual time=0.010..6.000 rows=1000 loops=1)
Execution Time: 12.1 ms`;
  const d = diffPlans(analyzePlan(parseExplain(A2)), analyzePlan(parseExplain(B2)));
  assert.deepEqual(d.rows.filter((r) => r.a?.target || r.b?.target).map((r) => [r.status, r.a?.target, r.b?.target]), [['same', 'orders', 'orders'], ['same', 'customers', 'customers']]);
  assert.deepEqual(d.rows.filter((r) => r.status.startsWith('only')).map((r) => [r.status, r.a?.label ?? r.b?.label]), [['only_b', 'Hash'], ['only_a', 'Hash']]);
});
