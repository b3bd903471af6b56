import { dirname } from 'node:path';
import { LineCounter, parseDocument } from 'yaml';
import { Value } from '@sinclair/typebox/value';
import type { TSchema } from '@sinclair/typebox';
import { CatalogError, type CatalogProblem } from './errors.ts';
import { parseDuration } from './duration.ts';
import { CollectorFile, DEFAULTS, NAME_PATTERN } from './schema.ts';
import {
  NODE_READERS, PRESETS,
  type CollectorDef, type ColumnDef, type Preset, type SqlVariant,
} from './types.ts';

/** One catalog file's text; `source` names it in errors, and its folder decides replacement (see parseCatalog). */
export interface CatalogFile {
  source: string;
  text: string;
}

const NAME_RE = new RegExp(NAME_PATTERN);
/** The protocol caps metric names at 200 characters. */
const MAX_METRIC_NAME = 200;

/**
 * Parses and validates catalog files, in order. A file whose id was already
 * defined by a file of another folder replaces it (user folders come after the
 * built-in one); two files of one folder with one id is an error. Throws one
 * CatalogError listing every problem of every file.
 */
export function parseCatalog(files: CatalogFile[]): CollectorDef[] {
  const problems: CatalogProblem[] = [];
  const byId = new Map<string, CollectorDef>();
  for (const file of files) {
    const def = parseFile(file, problems);
    if (!def) continue;
    const earlier = byId.get(def.id);
    if (earlier && dirname(earlier.source) === dirname(def.source)) {
      problems.push({ source: def.source, field: 'id', message: `"${def.id}" is already defined by ${earlier.source}` });
      continue;
    }
    byId.delete(def.id); // a replacement takes the place of the last definition, not the first
    byId.set(def.id, def);
  }
  const defs = [...byId.values()];
  checkMetricNamesUnique(defs, problems);
  if (problems.length) throw new CatalogError(problems);
  return defs;
}

/** One collector file to a CollectorDef; pushes its problems and returns undefined when it has any. */
export function parseFile(file: CatalogFile, problems: CatalogProblem[]): CollectorDef | undefined {
  const before = problems.length;
  const add = (field: string, message: string) => problems.push({ source: file.source, field, message });
  const lineCounter = new LineCounter();
  const doc = parseDocument(file.text, { uniqueKeys: true, prettyErrors: false, lineCounter });
  if (doc.errors.length) {
    for (const e of doc.errors) {
      const at = lineCounter.linePos(e.pos[0]);
      add('', `YAML: ${at ? `line ${at.line}, column ${at.col}: ` : ''}${e.message.split('\n')[0]}`);
    }
    return undefined;
  }
  const raw: unknown = doc.toJS();
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    add('', 'expected a mapping (id, description, interval, columns, …)');
    return undefined;
  }
  for (const e of Value.Errors(CollectorFile, raw)) add(pathToField(e.path), describe(e.schema, e.message));
  checkSemantics(raw as Partial<CollectorFile>, add);
  if (problems.length > before) return undefined;
  return toDef(raw as CollectorFile, file.source);
}

/** Rules a schema cannot express. Runs on files that failed the schema too, so every problem is reported at once. */
function checkSemantics(f: Partial<CollectorFile>, add: (field: string, message: string) => void): void {
  const interval = typeof f.interval === 'string' ? parseDuration(f.interval) : undefined;
  if (typeof f.interval === 'string' && interval === undefined) add('interval', `"${f.interval}" is not a duration such as 15s, 1m or 500ms`);
  if (typeof f.timeout === 'string') {
    const timeout = parseDuration(f.timeout);
    if (timeout === undefined) add('timeout', `"${f.timeout}" is not a duration such as 2s or 500ms`);
    else if (interval !== undefined && timeout > interval) add('timeout', `${f.timeout} is longer than the interval (${f.interval})`);
  }

  const node = f.scope === 'node';
  const variants = Array.isArray(f.variants) ? f.variants : [];
  if (node) {
    if (typeof f.reader !== 'string') add('reader', `a node collector needs a reader (one of ${NODE_READERS.join(', ')})`);
    else if (!(NODE_READERS as readonly string[]).includes(f.reader)) add('reader', `unknown reader "${f.reader}"; known: ${NODE_READERS.join(', ')}`);
    if (variants.length) add('variants', 'a node collector has no SQL variants; its reader produces the columns');
  } else {
    if (f.reader !== undefined) add('reader', 'only node collectors (scope: node) have a reader');
    if (!variants.length) add('variants', 'a SQL collector needs at least one variant with sql');
    checkVariantRanges(variants, add);
  }

  if (typeof f.columns !== 'object' || f.columns === null) return;
  const columns = Object.entries(f.columns as Record<string, Partial<ColumnDef>>);
  const labelCols = new Set(columns.filter(([, c]) => c?.usage === 'label').map(([n]) => n));
  let metrics = 0;
  const prefix = typeof f.prefix === 'string' ? f.prefix : typeof f.id === 'string' ? f.id : '';
  for (const [name, col] of columns) {
    if (!NAME_RE.test(name)) add(`columns.${name}`, `column name must match ${NAME_PATTERN}`);
    if (prefix.length + 1 + name.length > MAX_METRIC_NAME) add(`columns.${name}`, `metric name ${prefix}.${name} is longer than ${MAX_METRIC_NAME} characters`);
    if (typeof col !== 'object' || col === null) continue;
    const isMetric = col.usage === 'gauge' || col.usage === 'counter';
    if (isMetric) metrics++;
    if (!Array.isArray(col.labels)) continue;
    if (!isMetric) add(`columns.${name}.labels`, 'only gauge and counter columns carry labels');
    for (const l of col.labels) {
      if (!labelCols.has(l)) add(`columns.${name}.labels`, `"${l}" is not a label column of this collector`);
    }
  }
  if (!metrics) add('columns', 'needs at least one gauge or counter column');
}

function checkVariantRanges(variants: Partial<SqlVariant>[], add: (field: string, message: string) => void): void {
  const ranges: { i: number; lo: number; hi: number }[] = [];
  variants.forEach((v, i) => {
    if (typeof v !== 'object' || v === null) return;
    const lo = typeof v.min_version === 'number' ? v.min_version : 0;
    const hi = typeof v.max_version === 'number' ? v.max_version : Infinity;
    if (lo >= hi) add(`variants.${i}`, `min_version ${lo} is not below max_version ${hi}`);
    else ranges.push({ i, lo, hi });
  });
  ranges.sort((a, b) => a.lo - b.lo);
  for (let k = 1; k < ranges.length; k++) {
    const a = ranges[k - 1], b = ranges[k];
    if (b.lo < a.hi) add(`variants.${b.i}`, `version range [${b.lo}, ${b.hi}) overlaps variants.${a.i} [${a.lo}, ${a.hi})`);
  }
}

function checkMetricNamesUnique(defs: CollectorDef[], problems: CatalogProblem[]): void {
  const owner = new Map<string, CollectorDef>();
  for (const def of defs) {
    for (const [name, col] of Object.entries(def.columns)) {
      if (col.usage !== 'gauge' && col.usage !== 'counter') continue;
      const metric = `${def.prefix}.${name}`;
      const other = owner.get(metric);
      if (other) problems.push({ source: def.source, field: `columns.${name}`, message: `metric ${metric} is also produced by ${other.id} (${other.source})` });
      else owner.set(metric, def);
    }
  }
}

/** Presets are nested: a collector in minimal is in standard and exhaustive too. */
function expandPresets(listed: Preset[] | undefined): Preset[] {
  if (!listed) return ['standard', 'exhaustive'];
  const first = Math.min(...listed.map((p) => PRESETS.indexOf(p)));
  return listed.length ? PRESETS.slice(first) : [];
}

function toDef(f: CollectorFile, source: string): CollectorDef {
  const interval_ms = parseDuration(f.interval)!;
  const variants: SqlVariant[] = (f.variants ?? [])
    .map((v) => ({ ...v, sql: v.sql.trim() }))
    .sort((a, b) => (a.min_version ?? 0) - (b.min_version ?? 0));
  const def: CollectorDef = {
    id: f.id,
    description: f.description.trim(),
    prefix: f.prefix ?? f.id,
    interval_s: interval_ms / 1000,
    timeout_ms: f.timeout ? parseDuration(f.timeout)! : Math.min(DEFAULTS.timeout_ms, interval_ms),
    role: f.role ?? DEFAULTS.role,
    scope: f.scope ?? DEFAULTS.scope,
    presets: expandPresets(f.presets),
    variants,
    columns: f.columns,
    source,
  };
  if (f.requires) def.requires = f.requires;
  if (f.reader) def.reader = f.reader;
  return def;
}

/** `/columns/x/usage` → `columns.x.usage` */
function pathToField(path: string): string {
  return path.split('/').filter(Boolean).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~')).join('.');
}

/** TypeBox says "Expected union value" for an enum; say which values are allowed. */
function describe(schema: TSchema, message: string): string {
  const options = (schema.anyOf as TSchema[] | undefined)?.map((s) => s.const);
  if (options?.length && options.every((o) => typeof o === 'string')) return `must be one of ${options.join(', ')}`;
  if (message === 'Unexpected property') return 'unknown field';
  if (message === 'Expected required property') return 'required field is missing';
  return message;
}
