// The EXPLAIN parsers against real servers: on PostgreSQL 13 to 18 a varied set of queries is run with
// EXPLAIN (ANALYZE, BUFFERS, VERBOSE) in FORMAT TEXT and in FORMAT JSON; both outputs must parse to
// the same tree with the same plan numbers, and the time analysis must hold its invariants.
// The two formats come from two runs of the query, so times and buffer counts may differ between
// them; what the planner decided (nodes, costs, estimates) and the row counts of non-parallel nodes may not.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import postgres from 'postgres';
import { analyzePlan, parseExplain, type Plan, type PlanNode } from '../src/explain/index.ts';
import { availableMajors, startTestPostgres } from './harness/index.ts';

const SETUP = `
  CREATE TABLE t1 (id int PRIMARY KEY, k int, v int, pad text);
  INSERT INTO t1 SELECT g, g % 1000, (g * 7919) % 100000, repeat('x', 50) FROM generate_series(1, 100000) g;
  CREATE INDEX t1_k ON t1 (k);
  CREATE TABLE t2 (id int PRIMARY KEY, name text);
  INSERT INTO t2 SELECT g, 'n' || g FROM generate_series(1, 1000) g;
  CREATE TABLE p (d int, v int) PARTITION BY RANGE (d);
  CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (100);
  CREATE TABLE p2 PARTITION OF p FOR VALUES FROM (100) TO (200);
  CREATE TABLE p3 PARTITION OF p FOR VALUES FROM (200) TO (300);
  INSERT INTO p SELECT g % 300, g FROM generate_series(1, 30000) g;
  CREATE TABLE audit (id int, at timestamptz);
  CREATE TABLE tr (id int);
  CREATE FUNCTION tr_audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, now()); RETURN NEW; END $$;
  CREATE TRIGGER tr_audit AFTER INSERT ON tr FOR EACH ROW EXECUTE FUNCTION tr_audit();
  ANALYZE;`;

/** Queries, each with the settings it runs under (they shape the plan the way its name says). */
const QUERIES: { name: string; set?: string; sql: string; parallel?: boolean }[] = [
  { name: 'hash join', sql: 'SELECT count(*) FROM t1 JOIN t2 ON t1.k = t2.id' },
  { name: 'nested loop over an index', sql: 'SELECT t2.name, t1.v FROM t2 JOIN t1 ON t1.id = t2.id WHERE t2.id < 50' },
  { name: 'merge join', set: 'SET enable_hashjoin = off; SET enable_nestloop = off;', sql: 'SELECT count(*) FROM t1 JOIN t2 ON t1.id = t2.id' },
  { name: 'left join', set: 'SET enable_mergejoin = off; SET enable_nestloop = off;', sql: 'SELECT count(t1.v) FROM t2 LEFT JOIN t1 ON t1.id = t2.id + 99500' },
  { name: 'parallel aggregate', parallel: true, set: 'SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0; SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2;', sql: 'SELECT count(*), sum(v) FROM t1 WHERE v > 10' },
  { name: 'materialized CTE read twice', sql: 'WITH x AS MATERIALIZED (SELECT id, name FROM t2 WHERE id < 100) SELECT count(*) FROM x a JOIN x b ON a.id = b.id + 1' },
  { name: 'InitPlan', sql: 'SELECT * FROM t2 WHERE id = (SELECT max(id) FROM t2)' },
  { name: 'SubPlan per row', sql: 'SELECT id, (SELECT count(*) FROM t1 WHERE t1.k = t2.id) FROM t2 WHERE id < 20' },
  { name: 'incremental sort', set: 'SET enable_seqscan = off;', sql: 'SELECT id, v FROM t1 ORDER BY id, v LIMIT 10' },
  { name: 'bitmap or', sql: 'SELECT count(*) FROM t1 WHERE k = 5 OR id < 10' },
  { name: 'aggregate spilling', set: "SET work_mem = '64kB'; SET enable_sort = off; SET max_parallel_workers_per_gather = 0; SET enable_indexscan = off; SET enable_indexonlyscan = off; SET enable_bitmapscan = off;", sql: 'SELECT v, count(*) FROM t1 GROUP BY v' },
  { name: 'sort on disk', set: "SET work_mem = '64kB';", sql: 'SELECT * FROM t1 ORDER BY v LIMIT 50000 OFFSET 49990' },
  { name: 'partitions pruned', sql: 'SELECT count(*) FROM p WHERE d < 150' },
  { name: 'memoize candidate', sql: 'SELECT count(*) FROM t1 JOIN LATERAL (SELECT name FROM t2 WHERE t2.id = t1.k LIMIT 1) s ON true WHERE t1.id < 2000' },
  { name: 'insert with a trigger', sql: 'INSERT INTO tr SELECT g FROM generate_series(1, 100) g' },
  { name: 'window and union', sql: 'SELECT id, rank() OVER (ORDER BY v) FROM t1 WHERE id < 100 UNION ALL SELECT id, 0 FROM t2 WHERE id < 10' },
];

/** What must be equal between the formats for one node. */
function shape(n: PlanNode, parallel: boolean): unknown {
  return {
    nodeType: n.nodeType, label: n.label,
    target: n.relationName ?? n.cteName ?? n.functionName ?? (n.nodeType === 'Subquery Scan' || n.nodeType === 'Values Scan' ? n.alias : undefined) ?? null,
    indexName: n.indexName ?? null,
    sub: n.parentRelationship === 'InitPlan' || n.parentRelationship === 'SubPlan' ? `${n.parentRelationship}:${n.subplanName?.replace(/\s+\(returns [^)]*\)$/, '')}` : null,
    cost: [n.startupCost, n.totalCost, n.planRows, n.planWidth],
    timed: n.actualTotalTime !== undefined, never: n.neverExecuted,
    // Rows per worker differ from run to run; under a Gather only the loop count is the planner's.
    // TEXT leaves out "Rows Removed by …: 0"; JSON prints it.
    rows: parallel ? null : [n.actualRows, n.actualLoops, n.rowsRemovedByFilter ?? 0, n.rowsRemovedByIndexRecheck ?? 0, n.rowsRemovedByJoinFilter ?? 0],
    workers: n.workersPlanned ?? null,
    children: n.children.map((c) => shape(c, parallel || n.nodeType === 'Gather' || n.nodeType === 'Gather Merge')),
  };
}

let uncertainPlans = 0;
let worst = 0;
let worstWhat = '';
function invariants(plan: Plan, what: string): void {
  const a = analyzePlan(plan);
  if (a.nodes.some((x) => x.uncertain)) uncertainPlans++;
  let sum = 0;
  let lo = 0;
  let hi = 0;
  for (const x of a.nodes) {
    assert.ok(x.exclusiveMs !== null && x.exclusiveMs >= 0, `${what}: ${x.node.label} exclusive ${x.exclusiveMs}`);
    const [l, h] = x.exclusiveBounds!;
    assert.ok(l >= 0 && l <= x.exclusiveMs! && x.exclusiveMs! <= h, `${what}: ${x.node.label} exclusive ${x.exclusiveMs} within its bounds [${l}, ${h}]`);
    for (const k of Object.keys(x.exclusiveBuffers) as (keyof typeof x.exclusiveBuffers)[]) assert.ok(x.exclusiveBuffers[k] >= 0 && x.exclusiveBuffers[k] <= x.node.buffers[k], `${what}: ${x.node.label} own ${k}`);
    sum += x.exclusiveMs!;
    lo += l;
    hi += h;
  }
  const root = a.root.inclusiveMs!;
  // Children that took longer than their parent (a parallel leader's share, rounding to 0.001 ms) are cut to 0: the sum may pass the root by that much.
  const over = a.nodes.reduce((s, x) => s + Math.max(0, (x.children.reduce((c, y) => c + (y.node.subplanName?.startsWith('CTE ') ? 0 : y.inclusiveMs ?? 0), 0)) - (x.inclusiveMs ?? 0)), 0);
  const dev = Math.abs(sum - root) / Math.max(root, 1e-9);
  if (dev > worst) { worst = dev; worstWhat = what; }
  assert.ok(Math.abs(sum - root) <= 0.005 + over + 1e-9 * root, `${what}: Σ exclusive ${sum} vs root ${root} (children over their parent by ${over})`);
  // The root's time lies between the sums of the bounds: what the bounds leave out is never lost.
  assert.ok(lo <= root + 1e-9 * root + 1e-9 && hi >= root - 1e-9, `${what}: root ${root} within Σ of the bounds [${lo}, ${hi}]`);
  assert.ok(plan.executionTime !== undefined && root <= plan.executionTime + 0.05, `${what}: root ${root} ms within execution time ${plan.executionTime} ms`);
}

for (const major of availableMajors()) {
  test(`PostgreSQL ${major}: EXPLAIN (ANALYZE, BUFFERS, VERBOSE) in TEXT and JSON parse to the same tree, and the time analysis holds`, async (t) => {
    const pg = await startTestPostgres(major);
    const sql = postgres(pg.url, { max: 1, onnotice: () => {} });
    try {
      await sql.unsafe(SETUP);
      let parallelSeen = false;
      const seen = new Set<string>();
      const walk = (n: PlanNode) => { seen.add(n.label); if (n.parentRelationship === 'InitPlan' || n.parentRelationship === 'SubPlan') seen.add(n.subplanName!.split(' ')[0]); n.children.forEach(walk); };
      for (const q of QUERIES) {
        const run = async (format: 'TEXT' | 'JSON') => {
          const rows = await sql.begin(async (tx) => {
            // SET LOCAL: each query's settings end with its transaction.
            if (q.set) await tx.unsafe(q.set.replaceAll('SET ', 'SET LOCAL '));
            return tx.unsafe(`EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT ${format}) ${q.sql}`);
          });
          return rows.map((r) => Object.values(r)[0] as unknown).map((v) => (typeof v === 'string' ? v : JSON.stringify(v))).join('\n');
        };
        await run('TEXT'); // warms the cache, so both runs below see the same one
        const [text, json] = [await run('TEXT'), await run('JSON')];
        const what = `PG ${major} ${q.name}`;
        const fromText = parseExplain(text);
        const fromJson = parseExplain(json);
        assert.equal(fromText.format, 'text');
        assert.equal(fromJson.format, 'json');
        assert.deepEqual(shape(fromText.root, false), shape(fromJson.root, false), `${what}: TEXT and JSON trees differ\n${text}`);
        assert.equal(fromText.planningTime !== undefined, fromJson.planningTime !== undefined, `${what}: planning time`);
        assert.equal(fromText.triggers.length, fromJson.triggers.length, `${what}: triggers`);
        if (q.name === 'insert with a trigger') assert.deepEqual(fromText.triggers.map((x) => [x.name, x.calls]), [['tr_audit', 100]]);
        if (q.parallel) parallelSeen = /Gather/.test(text);
        walk(fromJson.root);
        invariants(fromText, `${what} (text)`);
        invariants(fromJson, `${what} (json)`);
      }
      t.diagnostic(`${QUERIES.length} queries; ${uncertainPlans} parses so far with a node whose exclusive time is uncertain; largest |Σ exclusive − root| / root so far ${worst.toFixed(4)} (${worstWhat}); node kinds: ${[...seen].sort().join(', ')}`);
      assert.ok(parallelSeen, 'the parallel query ran with a Gather');
      if (seen.has('Hash Right Join')) seen.add('Hash Left Join'); // the planner may hash either side of the outer join
      const wanted = ['Hash Join', 'Nested Loop', 'Merge Join', 'Hash Left Join', 'Gather', 'Parallel Seq Scan', 'CTE Scan', 'InitPlan', 'SubPlan', 'Incremental Sort',
        'BitmapOr', 'Bitmap Heap Scan', 'HashAggregate', 'Sort', 'Append', 'Insert', 'WindowAgg', ...(major >= 14 ? ['Memoize'] : [])];
      assert.deepEqual(wanted.filter((w) => !seen.has(w)), [], 'every kind of node the queries are meant to produce');
    } finally {
      await sql.end({ timeout: 1 });
      await pg.destroy();
    }
  });
}
