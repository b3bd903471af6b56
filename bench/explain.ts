// bench:explain — parse + analyze + hints of a plan with 10,000 nodes, in JSON and in TEXT, against
// the baseline of JSON.parse of the same JSON text (the least any JSON reader has to do).
// Goal (issue 6): parse + analyze ≤ 50 ms median.
import { parseArgs } from 'node:util';
import { analyzePlan, parseExplain, planHints } from '../src/explain/index.ts';
import { buildPlan } from './explain-plan.ts';
import { machine, record } from './machine.ts';

const { values } = parseArgs({ options: { nodes: { type: 'string', default: '10000' }, runs: { type: 'string', default: '31' } } });
const NODES = Number(values.nodes);
const RUNS = Number(values.runs);

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn: () => unknown): number[] {
  for (let i = 0; i < 3; i++) fn(); // warm-up: the JIT compiles the hot paths
  const out: number[] = [];
  for (let i = 0; i < RUNS; i++) { const t0 = performance.now(); fn(); out.push(performance.now() - t0); }
  return out;
}

const { json, text } = buildPlan(NODES);
const count = analyzePlan(parseExplain(json)).nodes.length;
if (count !== analyzePlan(parseExplain(text)).nodes.length) throw new Error('the JSON and TEXT plans differ');
const baseline = time(() => JSON.parse(json));
const fromJson = time(() => analyzePlan(parseExplain(json)));
const fromText = time(() => analyzePlan(parseExplain(text)));
const withHints = time(() => planHints(analyzePlan(parseExplain(text))));
const r = (v: number) => Math.round(v * 100) / 100;
const figures = [
  { figure: 'parse_analyze', nodes: count, runs: RUNS, json_ms_median: r(median(fromJson)), text_ms_median: r(median(fromText)), with_hints_text_ms_median: r(median(withHints)),
    json_parse_baseline_ms_median: r(median(baseline)), ratio_json_to_baseline: r(median(fromJson) / median(baseline)), goal_ms: 50,
    json_bytes: json.length, text_bytes: text.length },
];
record('explain', figures, machine(), `Parse + analyze of a synthetic plan of ${count} nodes (an Append over partitions, each a hash join over a nested loop with an index scan; filters, buffers, loops), from JSON and from TEXT, and with the hints; baseline: JSON.parse of the same JSON text. Median of ${RUNS} runs after 3 warm-ups, in one Node process.`);
