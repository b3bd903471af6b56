import { test } from 'node:test';
import assert from 'node:assert/strict';
import { analyzePlan, ExplainError, parseExplain } from './index.ts';

const PLAN = `Hash Join  (cost=1.02..2.10 rows=3 width=8) (actual time=0.020..0.031 rows=3.00 loops=1)
  Hash Cond: (a.id = b.id)
  Buffers: shared hit=2 read=1
  ->  Seq Scan on public.a  (cost=0.00..1.03 rows=3 width=8) (actual time=0.004..0.006 rows=3.00 loops=1)
        Filter: (a.v > 0)
        Rows Removed by Filter: 7
        Buffers: shared hit=1
  ->  Hash  (cost=1.01..1.01 rows=1 width=4) (actual time=0.008..0.009 rows=1.00 loops=1)
        Buckets: 1024  Batches: 1  Memory Usage: 9kB
        ->  Seq Scan on public.b b  (cost=0.00..1.01 rows=1 width=4) (actual time=0.003..0.004 rows=1.00 loops=1)
Planning Time: 0.100 ms
Execution Time: 0.050 ms`;

test('a TEXT plan: nodes, targets, numbers, buffers, summary; exclusive times add up to the root', () => {
  const p = parseExplain(PLAN);
  assert.equal(p.format, 'text');
  assert.deepEqual([p.root.label, p.root.children.map((c) => c.label), p.root.children[1].children[0].relationName, p.root.children[1].children[0].alias], ['Hash Join', ['Seq Scan', 'Hash'], 'b', 'b']);
  assert.deepEqual([p.root.buffers.sharedHit, p.root.buffers.sharedRead, p.root.children[0].rowsRemovedByFilter, p.root.children[0].schema], [2, 1, 7, 'public']);
  assert.deepEqual([p.planningTime, p.executionTime], [0.1, 0.05]);
  const a = analyzePlan(p);
  assert.equal(a.root.inclusiveMs, 0.031);
  assert.ok(Math.abs(a.nodes.reduce((s, n) => s + n.exclusiveMs!, 0) - 0.031) < 1e-9);
  assert.ok(Math.abs(a.root.exclusiveMs! - (0.031 - 0.006 - 0.009)) < 1e-9);
});

test("what people paste: psql's header, rule, row count, + continuations and table borders give the same plan", () => {
  const framed = ` QUERY PLAN\n${'-'.repeat(40)}\n${PLAN.split('\n').map((l) => ` ${l}`).join('\n')}\n(12 rows)\n`;
  const bordered = `┌${'─'.repeat(20)}┐\n│ QUERY PLAN │\n├${'─'.repeat(20)}┤\n${PLAN.split('\n').map((l) => `│ ${l} │`).join('\n')}\n└${'─'.repeat(20)}┘\n(12 rows)`;
  // The same plan, but for where each node stands in the input (the framing adds lines above it).
  const plain = (text: string) => JSON.stringify(parseExplain(text), (k, v: unknown) => (k === 'at' ? undefined : v));
  const base = plain(PLAN);
  assert.equal(plain(framed), base);
  assert.equal(plain(bordered), base);
  assert.deepEqual(parseExplain(framed).root.children[0].at, { line: 6, column: 8 }, "the node's line and column in the pasted text, framing counted");
  assert.deepEqual(parseExplain(bordered).root.children[0].at, { line: 7, column: 9 });
  assert.throws(() => parseExplain(framed.replace('Hash Cond', '%Hash Cond')), /line 4, column 4: expected a property/);
  const json = '[{"Plan": {"Node Type": "Seq Scan", "Relation Name": "a", "Alias": "a", "Startup Cost": 0, "Total Cost": 1, "Plan Rows": 1, "Plan Width": 4}}]';
  const psqlJson = ` QUERY PLAN\n----------\n [                       +\n   {                     +\n${json.slice(2, -2).split(', ').map((x) => `  ${x},   +`).join('\n').replace(/,\s+\+$/, '   +')}\n   }                     +\n ]\n(1 row)`;
  assert.equal(parseExplain(psqlJson).root.relationName, 'a');
  assert.equal(parseExplain(JSON.stringify(json)).root.label, 'Seq Scan', 'JSON pasted as a quoted string');
});

test('input that is not a plan: a clear error with the line and column, never a half result', () => {
  const cases: [string, RegExp][] = [
    ['', /empty/],
    ['hello world', /line 1, column 1: expected a plan node/],
    [`${PLAN.split('\n').slice(0, 4).join('\n')}\n  ->  Seq Scan on c  (cost=0.00..`, /line 5, column \d+: expected a plan node/],
    ['[{"Plan": {"Node Type": "Seq Scan", "Plans": [', /not valid JSON/],
    ['[{"Plan": {"Node Type": "Seq Scan", "Plans": 3}}]', /Plan.Plans: expected a list of nodes/],
    ['{"a": 1}', /not an EXPLAIN plan/],
    [`${PLAN}\n  ->  Seq Scan on late  (cost=0.00..1.00 rows=1 width=4)`, /a plan node after the summary lines/],
  ];
  for (const [input, message] of cases) {
    assert.throws(() => parseExplain(input), (err: unknown) => err instanceof ExplainError && message.test(err.message), JSON.stringify(input.slice(0, 60)));
  }
});

test('fuzz: 12,000 mutated TEXT and JSON plans give a plan or an ExplainError, nothing else', () => {
  let seed = 20261123;
  const rnd = () => { seed = (seed * 1103515245 + 12345) % 2 ** 31; return seed / 2 ** 31; };
  const json = JSON.stringify([{ Plan: { 'Node Type': 'Hash Join', 'Join Type': 'Left', 'Startup Cost': 1, 'Total Cost': 2, 'Plan Rows': 3, 'Plan Width': 8,
    'Actual Total Time': 0.03, 'Actual Loops': 1, Plans: [{ 'Node Type': 'Seq Scan', 'Relation Name': 'a', 'Parent Relationship': 'Outer' }, { 'Node Type': 'Hash', Plans: [] }] },
  'Planning Time': 0.1, 'Execution Time': 0.05 }], null, 2);
  const alphabet = ' ->()=.:0123456789abcdefgh[]{}",\n+│─';
  const outcomes = { plan: 0, error: 0 };
  for (let i = 0; i < 12_000; i++) {
    const base = i % 2 === 0 ? PLAN : json;
    let s = base;
    const kind = Math.floor(rnd() * 4);
    const at = Math.floor(rnd() * s.length);
    if (kind === 0) s = s.slice(0, at);
    else if (kind === 1) s = s.slice(0, at) + alphabet[Math.floor(rnd() * alphabet.length)] + s.slice(at + 1);
    else if (kind === 2) { const len = Math.floor(rnd() * 40); s = s.slice(0, at) + s.slice(at, at + len) + s.slice(at); }
    else s = s.split('\n').sort(() => rnd() - 0.5).join('\n');
    try {
      const p = parseExplain(s);
      assert.ok(p.root && typeof p.root.label === 'string');
      analyzePlan(p);
      outcomes.plan++;
    } catch (err) {
      assert.ok(err instanceof ExplainError, `mutation ${i} (${kind}) threw ${(err as Error).name}: ${(err as Error).message}\n${s.slice(0, 300)}`);
      assert.ok(err.message.length > 0 && err.message.length < 400);
      outcomes.error++;
    }
  }
  assert.ok(outcomes.plan > 1000 && outcomes.error > 1000, JSON.stringify(outcomes));
});
