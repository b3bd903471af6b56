// EXPLAIN's TEXT format into the plan model, and the psql framing people paste around it.
import { completenessWarnings, missingChildren } from './complete.ts';
import { ExplainError } from './errors.ts';
import { newNode, type Buffers, type Plan, type PlanNode } from './types.ts';

/** A line of the plan with its number in the input (1-based) and how many characters framing took off its start. */
export interface Line { no: number; text: string; cut: number }

/** Leading spaces of a line (a loop: it runs for every line of plans with tens of thousands). */
function leadingSpaces(t: string): number {
  let i = 0;
  while (i < t.length && t.charCodeAt(i) === 32) i++;
  return i;
}

/** head, then (cost=startup..total rows= width=), then (actual time=startup..total rows= loops=) or (never executed). */
const HEAD_RE = /^(.+?)(?:\s+\(cost=(-?[\d.]+)\.\.(-?[\d.]+) rows=([\d.]+) width=(\d+)\))?(?:\s+\((?:actual (?:time=([\d.]+)\.\.([\d.]+) )?rows=([\d.]+) loops=(\d+)|(never executed))\))?\s*$/;
const LABEL_RE = /^(?<kind>InitPlan|SubPlan)\s+\d+(?:\s+\(returns [^)]*\))?$|^CTE\s+(?<cte>.+)$/;
const KEY_RE = /^[A-Za-z][A-Za-z0-9 /_-]*$/;

/** A `Key: value` line: the key is up to the first colon, which ends the line or is followed by a space. */
function parseProp(text: string): { key: string; value: string } | undefined {
  const colon = text.indexOf(':');
  if (colon < 1) return undefined;
  const key = text.slice(0, colon);
  if (!KEY_RE.test(key)) return undefined;
  if (colon === text.length - 1) return { key, value: '' };
  const c = text.charCodeAt(colon + 1);
  if (c !== 32 && c !== 9) return undefined;
  return { key, value: text.slice(colon + 1).trimStart() };
}

/** Removes psql's framing: the QUERY PLAN header and its rule, `(N rows)`, `+` continuations, table borders. */
export function unframe(input: string): Line[] {
  const raw = (input.charCodeAt(0) === 0xfeff ? input.slice(1) : input).split('\n');
  const out: Line[] = [];
  for (let i = 0; i < raw.length; i++) {
    let t = raw[i].trimEnd(); // and a \r before the \n
    let cut = 0;
    if (t === '') continue;
    const at = leadingSpaces(t);
    const first = t.charAt(at);
    // Framing lines start with a border, a rule, "QUERY PLAN" or "(": the regular expressions run only
    // then, and not on the "->" that starts every plan node's line.
    if ('|│-─+┼═╪┌└├Q('.includes(first) && !(first === '-' && t.charCodeAt(at + 1) === 62)) {
      // Borders of \pset border 2 (ascii or unicode) around each row.
      if (/^\s*[|│]/.test(t) && /[|│]$/.test(t)) {
        const inner = t.replace(/^\s*[|│] ?/, '');
        cut = t.length - inner.length;
        t = inner.replace(/ ?[|│]$/, '').trimEnd();
      }
      if (/^\s*QUERY PLAN$/.test(t)) continue;
      if (/^\s*[-─+┼═╪]{3,}$/.test(t) || /^\s*[+┌└├][-─+┬┴┼]+[+┐┘┤]$/.test(t)) continue;
      if (/^\s*\(\d+ rows?\)$/.test(t)) continue;
    }
    // A row psql continues on the next line ends with `+`.
    if (t.endsWith('+') && /\s\+$/.test(t)) t = t.slice(0, -1).trimEnd();
    if (t === '') continue;
    out.push({ no: i + 1, text: t, cut });
  }
  // psql's aligned output indents every row by one space: keep relative indentation only.
  let common = Infinity;
  for (const l of out) common = Math.min(common, leadingSpaces(l.text));
  if (common > 0 && Number.isFinite(common)) for (const l of out) { l.text = l.text.slice(common); l.cut += common; }
  return out;
}

/** Node types EXPLAIN prints (explain.c, PostgreSQL 13–18): a line without costs is a node only when it names one. */
const NODE_TYPES = new Set([
  'Result', 'ProjectSet', 'ModifyTable', 'Append', 'Merge Append', 'Recursive Union', 'BitmapAnd', 'BitmapOr', 'Nested Loop', 'Merge Join', 'Hash Join',
  'Seq Scan', 'Sample Scan', 'Gather', 'Gather Merge', 'Index Scan', 'Index Only Scan', 'Bitmap Index Scan', 'Bitmap Heap Scan', 'Tid Scan', 'Tid Range Scan',
  'Subquery Scan', 'Function Scan', 'Table Function Scan', 'Values Scan', 'CTE Scan', 'Named Tuplestore Scan', 'WorkTable Scan', 'Foreign Scan', 'Custom Scan',
  'Materialize', 'Memoize', 'Sort', 'Incremental Sort', 'Group', 'Aggregate', 'WindowAgg', 'Unique', 'SetOp', 'LockRows', 'Limit', 'Hash',
]);

/** Buffer counters by kind and name, as `Buffers:` lines print them. */
const BUFFER_KEY: Record<string, Record<string, keyof Buffers>> = {
  shared: { hit: 'sharedHit', read: 'sharedRead', dirtied: 'sharedDirtied', written: 'sharedWritten' },
  local: { hit: 'localHit', read: 'localRead', dirtied: 'localDirtied', written: 'localWritten' },
  temp: { read: 'tempRead', written: 'tempWritten' },
};

/** `shared hit=5 read=2 dirtied=1 written=3, local hit=1, temp read=4 written=5`, read character by character (a line of every node). */
function parseBuffers(value: string, into: Buffers): void {
  let kind: Record<string, keyof Buffers> | undefined;
  const len = value.length;
  let i = 0;
  while (i < len) {
    let c = value.charCodeAt(i);
    if (c === 32 || c === 44) { i++; continue; }
    const start = i;
    while (i < len && (c = value.charCodeAt(i)) !== 32 && c !== 44 && c !== 61) i++;
    const word = value.slice(start, i);
    if (c !== 61 || i === len) { kind = Object.hasOwn(BUFFER_KEY, word) ? BUFFER_KEY[word] : undefined; continue; }
    const digits = ++i;
    let v = 0;
    while (i < len && (c = value.charCodeAt(i)) >= 48 && c <= 57) { v = v * 10 + (c - 48); i++; }
    const key = kind && Object.hasOwn(kind, word) ? kind[word] : undefined;
    if (key && i > digits) into[key] = v;
  }
}

const ON_RE = / on ((?:"[^"]*"|[^ ])+)(?: ((?:"[^"]*"|\S)+))?$/;
const USING_RE = / using ((?:"[^"]*"|\S)+)$/;

/** Splits a head such as `Index Scan using idx on public.t t1` into label, index, target and alias. */
function parseHead(head: string, node: PlanNode): void {
  let rest = head;
  // ` on target [alias]` and ` using index` (groups by number: this runs for every node).
  const on = ON_RE.exec(rest);
  let target: string | undefined;
  if (on) { target = on[1]; if (on[2]) node.alias = unquote(on[2]); rest = rest.slice(0, on.index); }
  const using = USING_RE.exec(rest);
  if (using) { node.indexName = unquote(using[1]); rest = rest.slice(0, using.index); }
  node.label = rest;
  node.nodeType = baseType(rest);
  if (target !== undefined) {
    const dot = /^(?<schema>(?:"[^"]*"|[^."])+)\.(?<name>.+)$/.exec(target);
    const name = unquote(dot ? dot.groups!.name : target);
    if (dot) node.schema = unquote(dot.groups!.schema);
    if (node.nodeType === 'CTE Scan' || node.nodeType === 'WorkTable Scan') node.cteName = name;
    else if (node.nodeType === 'Function Scan') node.functionName = name;
    else if (node.nodeType === 'Subquery Scan' || node.nodeType === 'Values Scan' || node.nodeType === 'Named Tuplestore Scan') node.alias = name;
    else if (node.nodeType === 'Bitmap Index Scan') node.indexName = name;
    else node.relationName = name;
  }
}

const unquote = (s: string): string => (s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1).replaceAll('""', '"') : s);

/** The JSON Node Type of a TEXT label (Parallel Seq Scan → Seq Scan, Hash Left Join → Hash Join, Insert → ModifyTable). */
export function baseType(label: string): string {
  let t = BASE_TYPES.get(label);
  if (t === undefined) {
    t = baseTypeOf(label);
    if (BASE_TYPES.size < 1000) BASE_TYPES.set(label, t);
  }
  return t;
}

/** Labels seen and their types: a plan has few distinct labels and often thousands of nodes. */
const BASE_TYPES = new Map<string, string>();

function baseTypeOf(label: string): string {
  let t = label.replace(/^(Async |Parallel )+/, '').replace(/^(Partial|Finalize) /, '');
  if (/^(Insert|Update|Delete|Merge)$/.test(t)) return 'ModifyTable';
  if (/^(Hash|Group|Mixed)?Aggregate$/.test(t)) return 'Aggregate';
  if (/^(Hash)?SetOp\b/.test(t)) return 'SetOp';
  t = t.replace(/^(Index (?:Only )?Scan) Backward$/, '$1');
  const join = /^(Nested Loop|Hash|Merge)(?: (?:Left|Right|Full|Semi|Anti|Right Semi|Right Anti))? Join$/.exec(t);
  if (join) return join[1] === 'Nested Loop' ? 'Nested Loop' : `${join[1]} Join`;
  if (/^Nested Loop (?:Left|Right|Full|Semi|Anti|Right Semi|Right Anti) Join$/.test(t)) return 'Nested Loop';
  return t;
}

/**
 * The value of a decimal such as `0.015` or `-12.50`: digits and at most one point, as EXPLAIN
 * prints numbers. With up to 15 characters it is the digits as an integer divided by a power of ten,
 * both exact, so the one rounding of the division gives what Number() gives, several times faster
 * (eight numbers on every node's line). Anything else goes to Number().
 */
function decimal(s: string): number {
  const len = s.length;
  let i = s.charCodeAt(0) === 45 ? 1 : 0;
  if (len - i > 15 || len === i) return Number(s);
  let v = 0;
  let scale = 0;
  for (; i < len; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) { v = v * 10 + (c - 48); if (scale > 0) scale *= 10; }
    else if (c === 46 && scale === 0) scale = 1;
    else return Number(s);
  }
  if (scale > 1) v /= scale;
  return s.charCodeAt(0) === 45 ? -v : v;
}

const NODE_EXPECTED = 'expected a plan node, such as "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)"';

/** A node from its head line: label, target, costs, actual figures. */
function nodeOfLine(l: Line, text: string, col: number): PlanNode {
  // Groups by number, not name: a name makes an object for every match, and this runs for every node.
  const m = HEAD_RE.exec(text);
  if (!m || !m[1]) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `${NODE_EXPECTED}, got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
  const node = newNode('?', '?');
  parseHead(m[1].trim(), node);
  const sc = m[2], ar = m[8], never = m[10];
  if (sc === undefined && ar === undefined && !never && !NODE_TYPES.has(node.nodeType.replace(/ \(.*\)$/, ''))) {
    throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `${NODE_EXPECTED}, got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
  }
  if (sc !== undefined) { node.startupCost = decimal(sc); node.totalCost = decimal(m[3]); node.planRows = decimal(m[4]); node.planWidth = decimal(m[5]); }
  if (m[6] !== undefined) { node.actualStartupTime = decimal(m[6]); node.actualTotalTime = decimal(m[7]); }
  if (ar !== undefined) { node.actualRows = decimal(ar); node.actualLoops = decimal(m[9]); }
  node.at = { line: l.no, column: l.cut + col + 1 };
  if (never) { node.neverExecuted = true; node.actualLoops = 0; node.actualRows = 0; node.actualStartupTime = 0; node.actualTotalTime = 0; }
  return node;
}

const NODE_NUMBERS = new Map<string, keyof PlanNode>([
  ['Rows Removed by Filter', 'rowsRemovedByFilter'], ['Rows Removed by Join Filter', 'rowsRemovedByJoinFilter'],
  ['Rows Removed by Index Recheck', 'rowsRemovedByIndexRecheck'], ['Heap Fetches', 'heapFetches'],
  ['Workers Planned', 'workersPlanned'], ['Workers Launched', 'workersLaunched'],
]);

/** Parses EXPLAIN's TEXT output (with or without psql's framing). */
export function parseTextPlan(input: string): Plan {
  return parseTextLines(unframe(input));
}

/** Parses unframed lines of EXPLAIN's TEXT output. */
export function parseTextLines(lines: Line[]): Plan {
  if (lines.length === 0) throw new ExplainError('PGFLEET_EXPLAIN_EMPTY', 'no plan in the input');
  const plan: Plan = { format: 'text', root: newNode('?', '?'), triggers: [], settings: {}, warnings: [] };
  /** Open nodes: a node's properties and children start at its text column + 2. */
  const stack: PlanNode[] = [];
  const stackCol: number[] = [];
  let label: { col: number; relationship: string; name: string; returns?: string } | undefined;
  /** Lines under a `Worker N:` line (or another block) that belong to it, not to the node. */
  let skipDeeperThan = -1;
  /** After the tree: the summary lines (Planning Time, Triggers, JIT, …) and the blocks under them. */
  let afterTree = false;
  let block: string | undefined;
  let rootSeen = false;
  /** Every node, for the check that each has the child plans its type always has. */
  const heads: PlanNode[] = [];
  const headOf = (l: Line, text: string, col: number): PlanNode => { const node = nodeOfLine(l, text, col); heads.push(node); return node; };

  for (const l of lines) {
    const col = leadingSpaces(l.text);
    const text = l.text.slice(col);
    if (skipDeeperThan >= 0 && col > skipDeeperThan) continue;
    skipDeeperThan = -1;
    if (!rootSeen) {
      plan.root = headOf(l, text.replace(/^->\s+/, ''), col);
      stack.push(plan.root); stackCol.push(col);
      rootSeen = true;
      continue;
    }
    if (afterTree && text.startsWith('->')) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', 'a plan node after the summary lines', { line: l.no, column: l.cut + col + 1 });
    if (afterTree && col > stackCol[0]) {
      const t = /Total ([\d.]+) ms/.exec(text);
      if (block === 'JIT' && text.startsWith('Timing:') && t) plan.jitTotalMs = Number(t[1]);
      continue;
    }
    if (text.startsWith('->')) {
      let after = 2;
      while (text.charCodeAt(after) === 32) after++;
      const textCol = col + after;
      while (stack.length > 1 && stackCol[stack.length - 1] + 2 > col) { stack.pop(); stackCol.pop(); }
      const parent = stack[stack.length - 1];
      if (stackCol[stack.length - 1] + 2 > col) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', 'a plan node indented less than its parent\'s children', { line: l.no, column: l.cut + col + 1 });
      const node = headOf(l, text.slice(after), textCol);
      if (label && label.col + 2 === col) {
        node.parentRelationship = label.relationship;
        node.subplanName = label.name;
        // The parameters an InitPlan sets ($0, $1 up to 15), which tell the node that runs it.
        if (label.returns) node.props.Returns = label.returns;
      }
      label = undefined;
      parent.children.push(node);
      stack.push(node); stackCol.push(textCol);
      block = undefined;
      continue;
    }
    // Top level: what EXPLAIN prints after the tree, at the root's own column.
    if (col <= stackCol[0]) {
      afterTree = true;
      block = undefined;
      const p = parseProp(text);
      const trig = /^Trigger (?<name>.+?)(?: on (?<rel>\S+))?: time=(?<time>[\d.]+) calls=(?<calls>\d+)$/.exec(text);
      if (trig) { plan.triggers.push({ name: trig.groups!.name, ...(trig.groups!.rel ? { relation: trig.groups!.rel } : {}), timeMs: Number(trig.groups!.time), calls: Number(trig.groups!.calls) }); continue; }
      if (!p) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected "Planning Time: …", "Execution Time: …" or another line EXPLAIN prints after the plan, got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
      const { key, value } = p;
      if (key === 'Planning Time') plan.planningTime = parseFloat(value);
      else if (key === 'Execution Time') plan.executionTime = parseFloat(value);
      else if (key === 'Settings') {
        for (const m of value.matchAll(/([\w.]+) = '((?:[^']|'')*)'/g)) plan.settings[m[1]] = m[2].replaceAll("''", "'");
      } else if (key === 'JIT' || key === 'Planning' || key === 'Triggers') block = key;
      continue;
    }
    while (stack.length > 1 && stackCol[stack.length - 1] + 2 > col) { stack.pop(); stackCol.pop(); }
    const owner = stack[stack.length - 1];
    const c0 = text.charCodeAt(0);
    // InitPlan, SubPlan, CTE: the label regular expression runs only on lines starting with I, S or C.
    const lm = c0 === 73 || c0 === 83 || c0 === 67 ? LABEL_RE.exec(text) : null;
    if (lm) {
      label = { col, relationship: lm.groups!.kind ?? 'InitPlan', name: lm.groups!.cte !== undefined ? `CTE ${lm.groups!.cte}` : text.replace(/\s+\(returns [^)]*\)$/, ''), returns: /\(returns ([^)]*)\)$/.exec(text)?.[1] };
      continue;
    }
    if (c0 === 87 && /^Worker \d+:/.test(text)) {
      // Per-worker figures (VERBOSE), and the lines under them, are the worker's, not the node's.
      owner.props[text.slice(0, text.indexOf(':'))] = text.slice(text.indexOf(':') + 1).trim();
      skipDeeperThan = col;
      continue;
    }
    const p = parseProp(text);
    if (!p) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected a property ("Key: value") or a plan node ("->  …"), got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
    const { key, value } = p;
    const node = owner;
    if (key === 'Buffers') { parseBuffers(value, node.buffers); node.hasBuffers = true; continue; }
    if (key === 'I/O Timings') {
      // "read=1.2 write=0.3" up to PostgreSQL 15; "shared read=1.2, local …, temp read=0.4 write=0.1" from 16 on.
      for (const m of value.matchAll(/(read|write)=([\d.]+)/g)) {
        if (m[1] === 'read') node.ioReadMs = (node.ioReadMs ?? 0) + Number(m[2]);
        else node.ioWriteMs = (node.ioWriteMs ?? 0) + Number(m[2]);
      }
    }
    const numeric = NODE_NUMBERS.get(key);
    if (numeric) { (node as unknown as Record<string, number>)[numeric] = Number(value); continue; }
    node.props[key] = value;
    // A property with lines under it (Planning: in a subplan, or a multi-line value) keeps them to itself.
    if (value === '') skipDeeperThan = col;
  }
  if (!rootSeen) throw new ExplainError('PGFLEET_EXPLAIN_EMPTY', 'no plan in the input');
  for (const node of heads) {
    const missing = missingChildren(node);
    if (missing) throw new ExplainError('PGFLEET_EXPLAIN_TRUNCATED', `${missing}: the plan is cut short (its last line is line ${lines[lines.length - 1].no})`, node.at);
  }
  plan.warnings.push(...completenessWarnings(plan));
  return plan;
}
