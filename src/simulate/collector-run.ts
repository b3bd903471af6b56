import type { MetricFamily } from '../protocol/index.ts';
import { labelsOf, selectVariant, type CollectorDef } from '../catalog/index.ts';
import type { SimInstance } from './instance.ts';
import { tuplesFor, type Tuple } from './label-tuples.ts';
import { isClusterWide, modelFor } from './models.ts';
import { hashString, mix, unit } from './prng.ts';
import { valueOf, type Model, type ValueContext } from './values.ts';

interface Column { name: string; metric: string; model: Model; unit?: string; kind: 'gauge' | 'counter'; hash: number; clusterWide: boolean; wal: boolean }
/** Columns that carry the same labels come from the same rows. */
interface Group { labels: string[]; columns: Column[] }
interface Shape { sql: string; groups: Group[]; order: string[] }

const shapes = new WeakMap<CollectorDef, Map<number, Shape | null>>();

/**
 * The gauge and counter columns a collector returns on this server version: for SQL
 * collectors, those its SQL variant names (a column added in a later major is not in
 * the older variants' SELECT list, and the agent sends no family for a column the rows
 * lack); every declared column for node collectors. Empty when no variant fits.
 */
export function simulatedColumns(def: CollectorDef, versionNum: number): string[] {
  return shapeOf(def, versionNum)?.order ?? [];
}

function shapeOf(def: CollectorDef, versionNum: number): Shape | null {
  let byVersion = shapes.get(def);
  if (!byVersion) shapes.set(def, byVersion = new Map());
  let shape = byVersion.get(versionNum);
  if (shape !== undefined) return shape;
  const sql = def.scope === 'node' ? '' : selectVariant(def, versionNum)?.sql;
  if (sql === undefined) {
    shape = null;
  } else {
    const groups = new Map<string, Group>();
    const order: string[] = [];
    for (const [name, col] of Object.entries(def.columns)) {
      if (col.usage !== 'gauge' && col.usage !== 'counter') continue;
      if (def.scope !== 'node' && !new RegExp(`\\b${name}\\b`).test(sql)) continue;
      const labels = labelsOf(def, name);
      const key = labels.join(',');
      if (!groups.has(key)) groups.set(key, { labels, columns: [] });
      const metric = `${def.prefix}.${name}`;
      const model = modelFor(metric, name, col);
      groups.get(key)!.columns.push({
        name, metric, model, kind: col.usage, ...(col.unit ? { unit: col.unit } : {}), hash: hashString(metric),
        clusterWide: isClusterWide(metric, model), wal: model.m === 'counter' && model.noReset === true && /lsn$/.test(name),
      });
      order.push(name);
    }
    shape = { sql, groups: [...groups.values()], order };
  }
  byVersion.set(versionNum, shape);
  return shape;
}

/** Called for each value of a run: the row's labels (as the agent builds them), the column, the value (null: SQL NULL). */
type Visit = (labels: Record<string, string>, column: Column, value: number | null, datname: string | undefined) => void;

/**
 * Walks one run of a collector on a simulated instance at `t`: the rows its label
 * tuples give, each column's value from its model (or the tuple's own). Series are
 * keyed by instance (or cluster, for WAL positions and XIDs), collector, column and labels.
 */
function walkRun(def: CollectorDef, shape: Shape, inst: SimInstance, t: number, intervalMs: number, ctx: ValueContext, visit: Visit): void {
  const run = Math.floor(t / intervalMs);
  const wal = hashString('wal', inst.clusterHash);
  for (const db of def.scope === 'database' ? inst.databases : [undefined]) {
    for (const g of shape.groups) {
      for (const tuple of tuplesFor(def, g.labels, inst, shape.sql, db) as Tuple[]) {
        const th = hashString(`${def.id}|${db ?? ''}|${Object.values(tuple.l).join('|')}`);
        if (tuple.p !== undefined && unit(mix(inst.hash, th), run) >= tuple.p) continue;
        // Label values as rowsToFamilies makes them: every label of the column, '' when the row has none.
        const labels: Record<string, string> = {};
        if (db !== undefined) labels.datname = db;
        for (const l of g.labels) if (l !== 'datname' || db === undefined) labels[l] = tuple.l[l] ?? '';
        for (const c of g.columns) {
          const own = tuple.m?.[c.name];
          if (typeof own === 'number') { visit(labels, c, own, db); continue; }
          const model = own ?? (tuple.only ? undefined : c.model);
          if (!model) { visit(labels, c, null, db); continue; }
          const sh = c.wal ? wal : mix(mix(c.clusterWide ? inst.clusterHash : inst.hash, c.hash), th);
          visit(labels, c, valueOf(model, sh, t, intervalMs, ctx) ?? null, db);
        }
      }
    }
  }
}

/**
 * One run of a collector on a simulated instance at `t` (ms): the families the agent
 * would send for rows of these values (src/catalog/rows.ts rowsToFamilies, then one
 * family per name over the databases of a database-scope collector, datname first).
 */
export function collectorFamilies(def: CollectorDef, inst: SimInstance, t: number, intervalMs: number, ctx: ValueContext): MetricFamily[] {
  const shape = shapeOf(def, inst.version_num);
  if (!shape) return [];
  const byName = new Map<string, MetricFamily>();
  const fresh = new Map<string, MetricFamily>();
  const rank = new Map(shape.order.map((n, i) => [`${def.prefix}.${n}`, i]));
  let db: string | undefined;
  // Per database, rowsToFamilies gives its families in column order; the agent then keeps each name's first place.
  const flush = () => {
    for (const f of [...fresh.values()].sort((a, b) => rank.get(a.name)! - rank.get(b.name)!)) if (f.points.length) byName.set(f.name, f);
    fresh.clear();
  };
  walkRun(def, shape, inst, t, intervalMs, ctx, (labels, c, v, datname) => {
    if (datname !== db) { flush(); db = datname; }
    let f = byName.get(c.metric) ?? fresh.get(c.metric);
    if (!f) fresh.set(c.metric, f = { name: c.metric, kind: c.kind, ...(c.unit ? { unit: c.unit } : {}), points: [] });
    if (v !== null && Number.isFinite(v)) f.points.push(Object.keys(labels).length ? { l: labels, v } : { v });
  });
  flush();
  return [...byName.values()];
}

/** The same run as result rows per database (what the SQL would have returned), for tests that compare with rowsToFamilies. */
export function collectorRows(def: CollectorDef, inst: SimInstance, t: number, intervalMs: number, ctx: ValueContext): Map<string | undefined, Record<string, unknown>[]> {
  const out = new Map<string | undefined, Record<string, unknown>[]>();
  const shape = shapeOf(def, inst.version_num);
  if (!shape) return out;
  let last: Record<string, string> | undefined;
  walkRun(def, shape, inst, t, intervalMs, ctx, (labels, c, v, db) => {
    if (!out.has(db)) out.set(db, []);
    const rows = out.get(db)!;
    if (labels !== last) { rows.push({ ...labels }); last = labels; }
    rows[rows.length - 1][c.name] = v;
  });
  return out;
}
