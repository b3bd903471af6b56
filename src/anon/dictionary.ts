// The anonymization dictionary: one YAML file mapping schema/table/column (names or patterns) to a
// rule, plus tables to skip or subset. Validated as a whole, every problem reported at once.
import { Type, type Static } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { parse as parseYaml } from 'yaml';
import { RuleSchema, type Rule } from './rules.ts';

/** A name, or a pattern: `*` and `?` as in shells, or `/regex/`. */
const Name = Type.String({ minLength: 1, maxLength: 200 });

export const DictionarySchema = Type.Object({
  version: Type.Literal(1),
  /** Columns: the first entry that matches a column decides its rule. */
  columns: Type.Array(Type.Object({
    schema: Type.Optional(Name), table: Type.Optional(Name), column: Name,
    rule: RuleSchema,
    /** What the scan found (kept for the reviewer; not used by the copy). */
    confidence: Type.Optional(Type.Union([Type.Literal('high'), Type.Literal('medium'), Type.Literal('low')])),
    evidence: Type.Optional(Type.String({ maxLength: 2000 })),
  }, { additionalProperties: false }), { maxItems: 100_000 }),
  /** Tables left out of the copy (their rows; the schema is copied). */
  skip: Type.Optional(Type.Array(Type.Object({ schema: Type.Optional(Name), table: Name }, { additionalProperties: false }))),
  /** Tables copied in part: the rows the condition selects, and the rows they reference (closure over foreign keys). */
  subset: Type.Optional(Type.Array(Type.Object({ schema: Type.Optional(Name), table: Name, where: Type.String({ minLength: 1, maxLength: 10_000 }) }, { additionalProperties: false }))),
}, { additionalProperties: false });
export type Dictionary = Static<typeof DictionarySchema>;

const check = TypeCompiler.Compile(DictionarySchema);

export class DictionaryError extends Error {
  override name = 'DictionaryError';
  readonly code = 'PGFLEET_ANON_DICTIONARY';
  constructor(readonly problems: string[]) {
    super(`the dictionary is not valid:\n${problems.map((p) => `  ${p}`).join('\n')}`);
  }
}

/** Reads and checks a dictionary (YAML or JSON text). */
export function parseDictionary(text: string): Dictionary {
  let doc: unknown;
  try { doc = parseYaml(text); } catch (err) { throw new DictionaryError([`not YAML: ${(err as Error).message.split('\n')[0]}`]); }
  if (!check.Check(doc)) {
    // The deepest error per path: a union's branches otherwise all report.
    const byPath = new Map<string, string>();
    for (const e of check.Errors(doc)) if (!byPath.has(e.path) || e.path.length > 0) byPath.set(e.path, e.message);
    const paths = [...byPath.keys()].filter((p) => ![...byPath.keys()].some((q) => q !== p && q.startsWith(`${p}/`)));
    throw new DictionaryError(paths.slice(0, 50).map((p) => `${p || '/'}: ${byPath.get(p)}`));
  }
  const problems: string[] = [];
  for (const [i, c] of doc.columns.entries()) for (const [field, v] of [['schema', c.schema], ['table', c.table], ['column', c.column]] as const) {
    if (v !== undefined) { try { matcher(v); } catch (err) { problems.push(`/columns/${i}/${field}: ${(err as Error).message}`); } }
  }
  if (problems.length) throw new DictionaryError(problems);
  return doc;
}

/** A name or pattern as a test: exact names compare exactly, `*`/`?` globs and `/regex/` match whole names. */
export function matcher(p: string): (name: string) => boolean {
  if (p.length > 2 && p.startsWith('/') && p.endsWith('/')) {
    let re: RegExp;
    try { re = new RegExp(`^(?:${p.slice(1, -1)})$`); } catch (err) { throw new Error(`not a regular expression: ${(err as Error).message}`); }
    return (n) => re.test(n);
  }
  if (/[*?]/.test(p)) {
    const re = new RegExp(`^${p.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*').replace(/\?/g, '.')}$`);
    return (n) => re.test(n);
  }
  return (n) => n === p;
}

/** The rules of a dictionary, resolved per column; columns no entry matches are kept as they are. */
export class RuleBook {
  private readonly entries: { schema: (n: string) => boolean; table: (n: string) => boolean; column: (n: string) => boolean; rule: Rule; index: number }[];
  private readonly skipped: { schema: (n: string) => boolean; table: (n: string) => boolean }[];

  constructor(readonly dictionary: Dictionary) {
    const any = () => true;
    this.entries = dictionary.columns.map((c, index) => ({ schema: c.schema ? matcher(c.schema) : any, table: c.table ? matcher(c.table) : any, column: matcher(c.column), rule: c.rule, index }));
    this.skipped = (dictionary.skip ?? []).map((s) => ({ schema: s.schema ? matcher(s.schema) : any, table: matcher(s.table) }));
  }

  /** The rule of a column and which entry gave it (undefined: keep). */
  ruleFor(schema: string, table: string, column: string): { rule: Rule; entry: number } | undefined {
    const e = this.entries.find((x) => x.schema(schema) && x.table(table) && x.column(column));
    return e ? { rule: e.rule, entry: e.index } : undefined;
  }

  isSkipped(schema: string, table: string): boolean {
    return this.skipped.some((s) => s.schema(schema) && s.table(table));
  }

  subsetOf(schema: string, table: string): string | undefined {
    return this.dictionary.subset?.find((s) => (s.schema ?? 'public') === schema && s.table === table)?.where;
  }
}
