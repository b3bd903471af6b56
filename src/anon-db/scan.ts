// `pgfleet anon scan`: reads a sample of every table (read access only), finds the columns that hold
// personal data by their names, their values (with check digits where a format has them) and the
// foreign keys between them, and writes a dictionary for a person to review. A column an earlier
// dictionary already decides keeps that decision.
import type { Sql } from 'postgres';
import { stringify } from 'yaml';
import {
  findingOf, kindFromName, RuleBook, sampleKinds,
  type ColumnInfo, type ColumnSample, type Dictionary, type Finding, type SensitiveKind,
} from '../anon/index.ts';
import { readColumns } from './catalog.ts';
import { q, qualified, readForeignKeys } from './schema.ts';

export interface ScanOptions {
  /** Rows sampled per table (default 1,000). */
  sampleRows?: number;
  /** An earlier dictionary: the columns it decides keep their rules. */
  previous?: Dictionary;
  /** Called per table scanned. */
  onTable?: (done: number, total: number, table: string) => void;
}

export interface ScanResult {
  findings: (Finding & { from?: 'previous' | 'foreign key' })[];
  /** Columns looked at, and how many were flagged. */
  columns: number;
  tables: number;
  dictionary: Dictionary;
}

/** Types whose values are read as text for the value checks. */
const SAMPLED = /^(text|character varying|character|citext|json|jsonb|bigint|numeric)$/;

/** Leaf string values of a JSON document by path (`$.a.b`, arrays as `[*]`). */
function jsonLeaves(doc: unknown, path: string, out: Map<string, string[]>): void {
  if (Array.isArray(doc)) { for (const d of doc.slice(0, 20)) jsonLeaves(d, `${path}[*]`, out); return; }
  if (doc && typeof doc === 'object') {
    for (const [k, v] of Object.entries(doc)) if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) jsonLeaves(v, `${path}.${k}`, out);
    return;
  }
  if (typeof doc === 'string' || typeof doc === 'number') {
    const l = out.get(path) ?? [];
    l.push(String(doc));
    out.set(path, l);
  }
}

/** The sample of one column as what `findingOf` reads. */
function sampleOf(info: ColumnInfo, values: (string | null)[]): ColumnSample {
  const nonNull = values.filter((v): v is string => v !== null);
  const nameKind = kindFromName(info.column);
  if (/^jsonb?$/.test(info.type)) {
    const leaves = new Map<string, string[]>();
    for (const v of nonNull) { try { jsonLeaves(JSON.parse(v), '$', leaves); } catch { /* not JSON: ignored */ } }
    const jsonPaths: NonNullable<ColumnSample['jsonPaths']> = [];
    for (const [path, vs] of leaves) {
      const last = path.replace(/\[\*\]/g, '').split('.').pop() ?? '';
      const byName = kindFromName(last);
      const s = sampleKinds(vs);
      let best: SensitiveKind | undefined;
      for (const [k, n] of Object.entries(s.matches) as [SensitiveKind, number][]) if (!best || n > (s.matches[best] ?? 0)) best = k;
      const kind = best && (s.matches[best] ?? 0) >= vs.length / 2 ? best : byName;
      if (kind) jsonPaths.push({ path, kind, matched: best === kind ? s.matches[best] ?? 0 : 0, sampled: vs.length });
    }
    return { info, ...(nameKind ? { nameKind } : {}), sampled: nonNull.length, matches: {}, embedded: 0, cyrillic: cyrillicShare(nonNull), jsonPaths };
  }
  const s = sampleKinds(nonNull);
  return { info, ...(nameKind ? { nameKind } : {}), sampled: s.sampled, matches: s.matches, embedded: s.embedded, cyrillic: cyrillicShare(nonNull) };
}

const cyrillicShare = (vs: string[]): number => vs.filter((v) => /[\u0400-\u04FF]/.test(v)).length / Math.max(1, vs.length);

/** Scans a database: the caller's connection needs read access to the tables only. */
export async function scanDatabase(sql: Sql, opts: ScanOptions = {}): Promise<ScanResult> {
  const n = opts.sampleRows ?? 1000;
  const columns = await readColumns(sql);
  const fks = await readForeignKeys(sql);
  const previous = opts.previous ? new RuleBook(opts.previous) : undefined;
  const byTable = new Map<string, ColumnInfo[]>();
  for (const c of columns) { const k = `${c.schema}.${c.table}`; byTable.set(k, [...(byTable.get(k) ?? []), c]); }

  const found = new Map<string, ScanResult['findings'][number]>();
  const key = (s: string, t: string, c: string): string => `${s}.${t}.${c}`;
  let done = 0;
  for (const [, cols] of byTable) {
    const { schema, table } = cols[0];
    opts.onTable?.(done++, byTable.size, `${schema}.${table}`);
    const sampled = cols.filter((c) => SAMPLED.test(c.type) || kindFromName(c.column));
    if (sampled.length === 0) continue;
    // TABLESAMPLE SYSTEM reads whole pages at random: cheap on a large table, but on a small one it
    // can return nothing, so small tables are read from their start.
    const est = cols[0].rows ?? 0;
    const sampling = est > 20 * n ? ` tablesample system (${Math.min(100, (200 * n) / est).toFixed(4)})` : '';
    const list = sampled.map((c) => `left(${q(c.column)}::text, 2000)`).join(', ');
    const rows = await sql.unsafe(`select ${list} from ${qualified(schema, table)}${sampling} limit ${n}`).values();
    for (const [i, c] of sampled.entries()) {
      const f = findingOf(sampleOf(c, rows.map((r) => r[i] as string | null)));
      if (f) found.set(key(schema, table, c.column), f);
    }
  }

  // A column that references a sensitive column holds the same values: same rule, or the foreign
  // key breaks. The other way round too (a sensitive child forces its parent's rule).
  for (let changed = true, rounds = 0; changed && rounds < 10; rounds++) {
    changed = false;
    for (const fk of fks) for (const [i, col] of fk.columns.entries()) {
      const child = key(fk.schema, fk.table, col);
      const parent = key(fk.refSchema, fk.refTable, fk.refColumns[i]);
      for (const [from, to, s, t, c] of [[parent, child, fk.schema, fk.table, col], [child, parent, fk.refSchema, fk.refTable, fk.refColumns[i]]] as const) {
        const f = found.get(from);
        const g = found.get(to);
        if (f && (!g || JSON.stringify(g.rule) !== JSON.stringify(f.rule))) {
          found.set(to, { schema: s, table: t, column: c, kind: f.kind, rule: f.rule, confidence: f.confidence, from: 'foreign key', evidence: `${from === parent ? 'references' : 'is referenced by'} ${from} (${f.kind}): the same rule keeps the foreign key${g ? `; by itself: ${g.evidence}` : ''}` });
          changed = true;
        }
      }
    }
  }

  // An earlier dictionary's decisions stay, its patterns first, in its order.
  const findings: ScanResult['findings'] = [];
  for (const c of columns) {
    const k = key(c.schema, c.table, c.column);
    const prev = previous?.ruleFor(c.schema, c.table, c.column);
    if (prev) {
      const e = opts.previous!.columns[prev.entry];
      if (e.rule.rule !== 'keep') findings.push({ schema: c.schema, table: c.table, column: c.column, kind: found.get(k)?.kind ?? 'free_text', rule: e.rule, confidence: e.confidence ?? 'high', evidence: e.evidence ?? 'kept from the earlier dictionary', from: 'previous' });
      continue;
    }
    const f = found.get(k);
    if (f) findings.push(f);
  }
  const fresh = findings.filter((f) => f.from !== 'previous');
  const dictionary: Dictionary = {
    version: 1,
    columns: [
      ...(opts.previous?.columns ?? []),
      ...fresh.map((f) => ({ schema: f.schema, table: f.table, column: f.column, rule: f.rule, confidence: f.confidence, evidence: `${f.kind}: ${f.evidence}`.slice(0, 2000) })),
    ],
    ...(opts.previous?.skip ? { skip: opts.previous.skip } : {}),
    ...(opts.previous?.subset ? { subset: opts.previous.subset } : {}),
  };
  return { findings, columns: columns.length, tables: byTable.size, dictionary };
}

/** The dictionary as YAML, with a header that says where it came from and what to do with it. */
export function dictionaryYaml(d: Dictionary, header: string): string {
  return `${header.split('\n').map((l) => `# ${l}`.trimEnd()).join('\n')}\n${stringify(d, { lineWidth: 0 })}`;
}
