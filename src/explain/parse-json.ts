// EXPLAIN (FORMAT JSON) into the plan model.
import { completenessWarnings, missingChildren } from './complete.ts';
import { ExplainError } from './errors.ts';
import { newNode, type Plan, type PlanNode, type TriggerTime } from './types.ts';

type J = Record<string, unknown>;

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** Keys read into fields of the node, with the type their value must have. */
const FIELDS = new Map<string, [keyof PlanNode, 'string' | 'number']>([
  ['Relation Name', ['relationName', 'string']], ['Schema', ['schema', 'string']], ['Alias', ['alias', 'string']], ['Index Name', ['indexName', 'string']],
  ['CTE Name', ['cteName', 'string']], ['Function Name', ['functionName', 'string']], ['Parent Relationship', ['parentRelationship', 'string']],
  ['Subplan Name', ['subplanName', 'string']], ['Startup Cost', ['startupCost', 'number']], ['Total Cost', ['totalCost', 'number']],
  ['Plan Rows', ['planRows', 'number']], ['Plan Width', ['planWidth', 'number']], ['Actual Startup Time', ['actualStartupTime', 'number']],
  ['Actual Total Time', ['actualTotalTime', 'number']], ['Actual Rows', ['actualRows', 'number']], ['Actual Loops', ['actualLoops', 'number']],
  ['Workers Planned', ['workersPlanned', 'number']], ['Workers Launched', ['workersLaunched', 'number']],
  ['Rows Removed by Filter', ['rowsRemovedByFilter', 'number']], ['Rows Removed by Join Filter', ['rowsRemovedByJoinFilter', 'number']],
  ['Rows Removed by Index Recheck', ['rowsRemovedByIndexRecheck', 'number']], ['Heap Fetches', ['heapFetches', 'number']],
]);

const BUFFER_FIELDS = new Map<string, keyof PlanNode['buffers']>([
  ['Shared Hit Blocks', 'sharedHit'], ['Shared Read Blocks', 'sharedRead'], ['Shared Dirtied Blocks', 'sharedDirtied'], ['Shared Written Blocks', 'sharedWritten'],
  ['Local Hit Blocks', 'localHit'], ['Local Read Blocks', 'localRead'], ['Local Dirtied Blocks', 'localDirtied'], ['Local Written Blocks', 'localWritten'],
  ['Temp Read Blocks', 'tempRead'], ['Temp Written Blocks', 'tempWritten'],
]);

/** Keys that only make the node's label (textLabel): neither fields nor props. */
const LABEL_KEYS = new Set(['Node Type', 'Parallel Aware', 'Async Capable', 'Join Type', 'Strategy', 'Partial Mode', 'Operation', 'Scan Direction', 'Command', 'Plans']);

/** I/O timing keys: `I/O Read Time` (and `Temp I/O Read Time` from 15), later split into shared, local and temp keys: all are summed. */
const IO_TIME = new Map<string, 'ioReadMs' | 'ioWriteMs'>([
  ...['I/O Read Time', 'Shared I/O Read Time', 'Local I/O Read Time', 'Temp I/O Read Time'].map((k) => [k, 'ioReadMs'] as const),
  ...['I/O Write Time', 'Shared I/O Write Time', 'Local I/O Write Time', 'Temp I/O Write Time'].map((k) => [k, 'ioWriteMs'] as const),
]);

const AGG_STRATEGY: Record<string, string> = { Plain: 'Aggregate', Sorted: 'GroupAggregate', Hashed: 'HashAggregate', Mixed: 'MixedAggregate' };

/** The head EXPLAIN TEXT prints for a JSON node (explain.c's ExplainNode naming). */
export function textLabel(n: J): string {
  const type = str(n['Node Type']) ?? '?';
  let label = type;
  if (type === 'ModifyTable') label = str(n.Operation) ?? type;
  else if (type === 'Aggregate') label = AGG_STRATEGY[str(n.Strategy) ?? 'Plain'] ?? type;
  else if (type === 'SetOp') label = `${str(n.Strategy) === 'Hashed' ? 'HashSetOp' : 'SetOp'}${n.Command ? ` ${str(n.Command)}` : ''}`;
  else if (type === 'Index Scan' || type === 'Index Only Scan') label = str(n['Scan Direction']) === 'Backward' ? `${type} Backward` : type;
  const join = str(n['Join Type']);
  if (join && join !== 'Inner' && (type === 'Nested Loop' || type === 'Merge Join' || type === 'Hash Join')) {
    label = type === 'Nested Loop' ? `Nested Loop ${join} Join` : `${type.replace(/ Join$/, '')} ${join} Join`;
  }
  const partial = str(n['Partial Mode']);
  if (partial && partial !== 'Simple') label = `${partial} ${label}`;
  if (n['Parallel Aware'] === true) label = `Parallel ${label}`;
  if (n['Async Capable'] === true) label = `Async ${label}`;
  return label;
}

function node(n: J, path: string): PlanNode {
  if (typeof n !== 'object' || n === null || typeof n['Node Type'] !== 'string') throw new ExplainError('PGFLEET_EXPLAIN_SHAPE', `${path}: a plan node needs a "Node Type"`);
  const out = newNode(n['Node Type'] as string, textLabel(n));
  const fields = out as unknown as Record<string, unknown>;
  // One pass over the node's keys (a plan may have tens of thousands of nodes): each key is a
  // field, a buffer counter, a part of the label, or a property kept as text.
  for (const k in n) {
    const v = n[k];
    if (v === null || v === undefined) continue;
    const f = FIELDS.get(k);
    if (f !== undefined) {
      if (typeof v === f[1] && (f[1] === 'string' || Number.isFinite(v))) fields[f[0]] = v;
      continue;
    }
    const b = BUFFER_FIELDS.get(k);
    if (b !== undefined) {
      if (typeof v === 'number' && Number.isFinite(v)) { out.buffers[b] = v; out.hasBuffers = true; }
      continue;
    }
    if (LABEL_KEYS.has(k)) continue;
    const io = IO_TIME.get(k);
    if (io !== undefined && typeof v === 'number') out[io] = (out[io] ?? 0) + v;
    out.props[k] = typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v);
  }
  out.neverExecuted = out.actualLoops === 0;
  const plans = n.Plans;
  if (plans !== undefined) {
    if (!Array.isArray(plans)) throw new ExplainError('PGFLEET_EXPLAIN_SHAPE', `${path}.Plans: expected a list of nodes`);
    out.children = plans.map((c, i) => node(c as J, `${path}.Plans[${i}]`));
  }
  const missing = missingChildren(out);
  if (missing) throw new ExplainError('PGFLEET_EXPLAIN_TRUNCATED', `${path}: ${missing}; the plan is not whole`);
  return out;
}

/** Parses the value of EXPLAIN (FORMAT JSON): a list with one object holding "Plan", or that object. */
export function parseJsonPlan(value: unknown): Plan {
  const top = (Array.isArray(value) ? value[0] : value) as J | undefined;
  if (typeof top !== 'object' || top === null || typeof top.Plan !== 'object' || top.Plan === null) {
    throw new ExplainError('PGFLEET_EXPLAIN_SHAPE', 'JSON input is not an EXPLAIN plan: expected [ { "Plan": { … } } ]');
  }
  const triggers: TriggerTime[] = Array.isArray(top.Triggers)
    ? (top.Triggers as J[]).map((t) => ({ name: str(t['Trigger Name']) ?? '?', ...(str(t.Relation) ? { relation: str(t.Relation) } : {}), timeMs: num(t.Time) ?? 0, calls: num(t.Calls) ?? 0 }))
    : [];
  const jit = top.JIT as J | undefined;
  const jitTotal = num((jit?.Timing as J | undefined)?.Total) ?? num(((jit?.Timing as J | undefined)?.Total as J | undefined)?.Total);
  const settings = (typeof top.Settings === 'object' && top.Settings !== null ? top.Settings : {}) as Record<string, unknown>;
  const plan: Plan = {
    format: 'json',
    root: node(top.Plan as J, 'Plan'),
    ...(num(top['Planning Time']) !== undefined ? { planningTime: num(top['Planning Time']) } : {}),
    ...(num(top['Execution Time']) !== undefined ? { executionTime: num(top['Execution Time']) } : {}),
    triggers,
    ...(jitTotal !== undefined ? { jitTotalMs: jitTotal } : {}),
    settings: Object.fromEntries(Object.entries(settings).map(([k, v]) => [k, String(v)])),
    warnings: [],
  };
  plan.warnings.push(...completenessWarnings(plan));
  return plan;
}
