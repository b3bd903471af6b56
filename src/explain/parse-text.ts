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

const HEAD_RE = /^(?<head>.+?)(?:\s+\(cost=(?<sc>-?[\d.]+)\.\.(?<tc>-?[\d.]+) rows=(?<pr>[\d.]+) width=(?<pw>\d+)\))?(?:\s+\((?:actual (?:time=(?<as>[\d.]+)\.\.(?<at>[\d.]+) )?rows=(?<ar>[\d.]+) loops=(?<al>\d+)|(?<never>never executed))\))?\s*$/;
const LABEL_RE = /^(?<kind>InitPlan|SubPlan)\s+\d+(?:\s+\(returns [^)]*\))?$|^CTE\s+(?<cte>.+)$/;
const PROP_RE = /^(?<key>[A-Za-z][A-Za-z0-9 /_-]*?):(?:\s+(?<value>.*))?$/;

/** Removes psql's framing: the QUERY PLAN header and its rule, `(N rows)`, `+` continuations, table borders. */
export function unframe(input: string): Line[] {
  const raw = input.replace(/^\uFEFF/, '').split(/\r?\n/).map((text, i) => ({ no: i + 1, text, cut: 0 }));
  const out: Line[] = [];
  for (const l of raw) {
    let t = l.text.trimEnd();
    let cut = 0;
    if (t === '') continue;
    const first = t.charAt(leadingSpaces(t));
    // Framing lines start with a border, a rule, "QUERY PLAN" or "(": the regular expressions run only then.
    if ('|│-─+┼═╪┌└├Q('.includes(first)) {
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
    if (t.trim() === '') continue;
    out.push({ no: l.no, text: t, cut });
  }
  // psql's aligned output indents every row by one space: keep relative indentation only.
  let common = Infinity;
  for (const l of out) common = Math.min(common, leadingSpaces(l.text));
  if (common > 0 && Number.isFinite(common)) for (const l of out) { l.text = l.text.slice(common); l.cut += common; }
  return out;
}

const n = (s: string | undefined): number | undefined => (s === undefined ? undefined : Number(s));

/** Node types EXPLAIN prints (explain.c, PostgreSQL 13–18): a line without costs is a node only when it names one. */
const NODE_TYPES = new Set([
  'Result', 'ProjectSet', 'ModifyTable', 'Append', 'Merge Append', 'Recursive Union', 'BitmapAnd', 'BitmapOr', 'Nested Loop', 'Merge Join', 'Hash Join',
  'Seq Scan', 'Sample Scan', 'Gather', 'Gather Merge', 'Index Scan', 'Index Only Scan', 'Bitmap Index Scan', 'Bitmap Heap Scan', 'Tid Scan', 'Tid Range Scan',
  'Subquery Scan', 'Function Scan', 'Table Function Scan', 'Values Scan', 'CTE Scan', 'Named Tuplestore Scan', 'WorkTable Scan', 'Foreign Scan', 'Custom Scan',
  'Materialize', 'Memoize', 'Sort', 'Incremental Sort', 'Group', 'Aggregate', 'WindowAgg', 'Unique', 'SetOp', 'LockRows', 'Limit', 'Hash',
]);

const BUFFER_RE = /(shared|local|temp)|(hit|read|dirtied|written)=(\d+)/g;
const BUFFER_KEY: Record<string, keyof Buffers> = {
  sharedhit: 'sharedHit', sharedread: 'sharedRead', shareddirtied: 'sharedDirtied', sharedwritten: 'sharedWritten',
  localhit: 'localHit', localread: 'localRead', localdirtied: 'localDirtied', localwritten: 'localWritten', tempread: 'tempRead', tempwritten: 'tempWritten',
};

function parseBuffers(value: string, into: Buffers): void {
  // shared hit=5 read=2 dirtied=1 written=3, local hit=1, temp read=4 written=5
  let kind = '';
  BUFFER_RE.lastIndex = 0;
  for (let m = BUFFER_RE.exec(value); m; m = BUFFER_RE.exec(value)) {
    if (m[1]) { kind = m[1]; continue; }
    const key = BUFFER_KEY[kind + m[2]];
    if (key) into[key] = Number(m[3]);
  }
}

/** Splits a head such as `Index Scan using idx on public.t t1` into label, index, target and alias. */
function parseHead(head: string, node: PlanNode): void {
  let rest = head;
  const on = / on (?<target>(?:"[^"]*"|[^ ])+)(?: (?<alias>(?:"[^"]*"|\S)+))?$/.exec(rest);
  let target: string | undefined;
  if (on) { target = on.groups!.target; if (on.groups!.alias) node.alias = unquote(on.groups!.alias); rest = rest.slice(0, on.index); }
  const using = / using (?<index>(?:"[^"]*"|\S)+)$/.exec(rest);
  if (using) { node.indexName = unquote(using.groups!.index); rest = rest.slice(0, using.index); }
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

const NODE_NUMBERS: [string, keyof PlanNode][] = [
  ['Rows Removed by Filter', 'rowsRemovedByFilter'], ['Rows Removed by Join Filter', 'rowsRemovedByJoinFilter'],
  ['Rows Removed by Index Recheck', 'rowsRemovedByIndexRecheck'], ['Heap Fetches', 'heapFetches'],
  ['Workers Planned', 'workersPlanned'], ['Workers Launched', 'workersLaunched'],
];

/** Parses EXPLAIN's TEXT output (with or without psql's framing). */
export function parseTextPlan(input: string): Plan {
  return parseTextLines(unframe(input));
}

/** Parses unframed lines of EXPLAIN's TEXT output. */
export function parseTextLines(lines: Line[]): Plan {
  if (lines.length === 0) throw new ExplainError('PGFLEET_EXPLAIN_EMPTY', 'no plan in the input');
  const plan: Plan = { format: 'text', root: newNode('?', '?'), triggers: [], settings: {}, warnings: [] };
  const indent = (l: Line) => leadingSpaces(l.text);
  /** Open nodes: a node's properties and children start at its text column + 2. */
  const stack: { node: PlanNode; col: number }[] = [];
  let label: { col: number; relationship: string; name: string; returns?: string } | undefined;
  /** Lines under a `Worker N:` line (or another block) that belong to it, not to the node. */
  let skipDeeperThan = -1;
  /** After the tree: the summary lines (Planning Time, Triggers, JIT, …) and the blocks under them. */
  let afterTree = false;
  let block: string | undefined;
  let rootSeen = false;
  /** Every node, for the check that each has the child plans its type always has. */
  const heads: PlanNode[] = [];

  const headOf = (l: Line, text: string, col: number): PlanNode => {
    const m = HEAD_RE.exec(text);
    if (!m || !m.groups!.head) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected a plan node, such as "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)", got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
    const g = m.groups!;
    const node = newNode('?', '?');
    parseHead(g.head.trim(), node);
    if (g.sc === undefined && g.ar === undefined && !g.never && !NODE_TYPES.has(node.nodeType.replace(/ \(.*\)$/, ''))) {
      throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected a plan node, such as "Seq Scan on t  (cost=0.00..1.00 rows=1 width=4)", got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
    }
    const set = <K extends keyof PlanNode>(k: K, v: PlanNode[K] | undefined) => { if (v !== undefined) node[k] = v; };
    set('startupCost', n(g.sc)); set('totalCost', n(g.tc)); set('planRows', n(g.pr)); set('planWidth', n(g.pw));
    set('actualStartupTime', n(g.as)); set('actualTotalTime', n(g.at)); set('actualRows', n(g.ar)); set('actualLoops', n(g.al));
    node.at = { line: l.no, column: l.cut + col + 1 };
    heads.push(node);
    if (g.never) { node.neverExecuted = true; node.actualLoops = 0; node.actualRows = 0; node.actualStartupTime = 0; node.actualTotalTime = 0; }
    return node;
  };

  for (const l of lines) {
    const col = indent(l);
    const text = l.text.slice(col);
    if (skipDeeperThan >= 0 && col > skipDeeperThan) continue;
    skipDeeperThan = -1;
    if (!rootSeen) {
      plan.root = headOf(l, text.replace(/^->\s+/, ''), col);
      stack.push({ node: plan.root, col });
      rootSeen = true;
      continue;
    }
    if (afterTree && text.startsWith('->')) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', 'a plan node after the summary lines', { line: l.no, column: l.cut + col + 1 });
    if (afterTree && col > stack[0].col) {
      const t = /Total ([\d.]+) ms/.exec(text);
      if (block === 'JIT' && text.startsWith('Timing:') && t) plan.jitTotalMs = Number(t[1]);
      continue;
    }
    if (text.startsWith('->')) {
      const textCol = col + /^->\s*/.exec(text)![0].length;
      while (stack.length > 1 && stack[stack.length - 1].col + 2 > col) stack.pop();
      const parent = stack[stack.length - 1];
      if (parent.col + 2 > col) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', 'a plan node indented less than its parent\'s children', { line: l.no, column: l.cut + col + 1 });
      const node = headOf(l, text.replace(/^->\s*/, ''), textCol);
      if (label && label.col + 2 === col) {
        node.parentRelationship = label.relationship;
        node.subplanName = label.name;
        // The parameters an InitPlan sets ($0, $1 up to 15), which tell the node that runs it.
        if (label.returns) node.props.Returns = label.returns;
      }
      label = undefined;
      parent.node.children.push(node);
      stack.push({ node, col: textCol });
      block = undefined;
      continue;
    }
    // Top level: what EXPLAIN prints after the tree, at the root's own column.
    if (col <= stack[0].col) {
      afterTree = true;
      block = undefined;
      const p = PROP_RE.exec(text);
      const trig = /^Trigger (?<name>.+?)(?: on (?<rel>\S+))?: time=(?<time>[\d.]+) calls=(?<calls>\d+)$/.exec(text);
      if (trig) { plan.triggers.push({ name: trig.groups!.name, ...(trig.groups!.rel ? { relation: trig.groups!.rel } : {}), timeMs: Number(trig.groups!.time), calls: Number(trig.groups!.calls) }); continue; }
      if (!p) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected "Planning Time: …", "Execution Time: …" or another line EXPLAIN prints after the plan, got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
      const { key, value = '' } = p.groups!;
      if (key === 'Planning Time') plan.planningTime = parseFloat(value);
      else if (key === 'Execution Time') plan.executionTime = parseFloat(value);
      else if (key === 'Settings') {
        for (const m of value.matchAll(/([\w.]+) = '((?:[^']|'')*)'/g)) plan.settings[m[1]] = m[2].replaceAll("''", "'");
      } else if (key === 'JIT' || key === 'Planning' || key === 'Triggers') block = key;
      continue;
    }
    while (stack.length > 1 && stack[stack.length - 1].col + 2 > col) stack.pop();
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
      owner.node.props[text.slice(0, text.indexOf(':'))] = text.slice(text.indexOf(':') + 1).trim();
      skipDeeperThan = col;
      continue;
    }
    const p = PROP_RE.exec(text);
    if (!p) throw new ExplainError('PGFLEET_EXPLAIN_SYNTAX', `expected a property ("Key: value") or a plan node ("->  …"), got "${text.slice(0, 80)}"`, { line: l.no, column: l.cut + col + 1 });
    const { key, value = '' } = p.groups!;
    const node = owner.node;
    if (key === 'Buffers') { parseBuffers(value, node.buffers); node.hasBuffers = true; continue; }
    if (key === 'I/O Timings') {
      // "read=1.2 write=0.3" up to PostgreSQL 15; "shared read=1.2, local …, temp read=0.4 write=0.1" from 16 on.
      for (const m of value.matchAll(/(read|write)=([\d.]+)/g)) {
        if (m[1] === 'read') node.ioReadMs = (node.ioReadMs ?? 0) + Number(m[2]);
        else node.ioWriteMs = (node.ioWriteMs ?? 0) + Number(m[2]);
      }
    }
    const numeric = NODE_NUMBERS.find(([k]) => k === key);
    if (numeric) { (node as unknown as Record<string, number>)[numeric[1]] = Number(value); continue; }
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
