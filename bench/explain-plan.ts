// The synthetic large plan of bench:explain, in JSON and in TEXT.

/**
 * A plan shaped as real large plans are: an Append over partitions, each a nested loop of an index
 * scan under a hash join, so depth, fan-out, loops and filters all occur. Nodes: 1 + 6 per partition.
 */
export function buildPlan(nodes: number): { json: string; text: string } {
  const parts = Math.floor((nodes - 1) / 6);
  const jsonParts: unknown[] = [];
  const textLines: string[] = [];
  const head = (label: string, cost: number, rows: number, t: number, loops: number) =>
    `${label}  (cost=0.00..${cost.toFixed(2)} rows=${rows} width=8) (actual time=0.010..${t.toFixed(3)} rows=${rows}.00 loops=${loops})`;
  textLines.push(head('Append', parts * 10, parts * 100, parts * 0.5, 1));
  for (let i = 0; i < parts; i++) {
    const j = (type: string, extra: Record<string, unknown>, t: number, rows: number, loops: number, plans: unknown[] = []) => ({
      'Node Type': type, 'Parent Relationship': 'Member', 'Startup Cost': 0, 'Total Cost': 10, 'Plan Rows': rows, 'Plan Width': 8,
      'Actual Startup Time': 0.01, 'Actual Total Time': t, 'Actual Rows': rows, 'Actual Loops': loops, 'Shared Hit Blocks': 12, 'Shared Read Blocks': 3, ...extra, ...(plans.length ? { Plans: plans } : {}),
    });
    jsonParts.push(j('Hash Join', { 'Join Type': 'Inner', 'Hash Cond': `(a${i}.id = b${i}.id)` }, 0.4, 100, 1, [
      j('Seq Scan', { 'Relation Name': `part_${i}`, Alias: `a${i}`, Filter: '(v > 10)', 'Rows Removed by Filter': 5 }, 0.1, 100, 1),
      j('Hash', { 'Hash Buckets': 1024, 'Hash Batches': 1 }, 0.2, 100, 1, [
        j('Nested Loop', { 'Join Type': 'Inner' }, 0.19, 100, 1, [
          j('Seq Scan', { 'Relation Name': `dim_${i}`, Alias: `d${i}` }, 0.01, 10, 1),
          j('Index Scan', { 'Relation Name': `fact_${i}`, 'Index Name': `fact_${i}_pkey`, 'Index Cond': `(id = d${i}.id)` }, 0.015, 10, 10),
        ]),
      ]),
    ]));
    textLines.push(
      `  ->  ${head('Hash Join', 10, 100, 0.4, 1)}`, `        Hash Cond: (a${i}.id = b${i}.id)`, '        Buffers: shared hit=12 read=3',
      `        ->  ${head(`Seq Scan on part_${i} a${i}`, 10, 100, 0.1, 1)}`, '              Filter: (v > 10)', '              Rows Removed by Filter: 5', '              Buffers: shared hit=12 read=3',
      `        ->  ${head('Hash', 10, 100, 0.2, 1)}`, '              Buckets: 1024  Batches: 1  Memory Usage: 12kB', '              Buffers: shared hit=12 read=3',
      `              ->  ${head('Nested Loop', 10, 100, 0.19, 1)}`, '                    Buffers: shared hit=12 read=3',
      `                    ->  ${head(`Seq Scan on dim_${i} d${i}`, 10, 10, 0.01, 1)}`, '                          Buffers: shared hit=12 read=3',
      `                    ->  ${head(`Index Scan using fact_${i}_pkey on fact_${i}`, 10, 10, 0.015, 10)}`, `                          Index Cond: (id = d${i}.id)`, '                          Buffers: shared hit=12 read=3',
    );
  }
  textLines.push('Planning Time: 12.000 ms', `Execution Time: ${(parts * 0.5 + 1).toFixed(3)} ms`);
  const json = JSON.stringify([{ Plan: { 'Node Type': 'Append', 'Startup Cost': 0, 'Total Cost': parts * 10, 'Plan Rows': parts * 100, 'Plan Width': 8,
    'Actual Startup Time': 0.01, 'Actual Total Time': parts * 0.5, 'Actual Rows': parts * 100, 'Actual Loops': 1, Plans: jsonParts }, 'Planning Time': 12, 'Execution Time': parts * 0.5 + 1 }], null, 2);
  return { json, text: textLines.join('\n') };
}

