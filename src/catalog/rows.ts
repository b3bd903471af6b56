import type { MetricFamily } from '../protocol/index.ts';
import { labelsOf } from './select.ts';
import type { CollectorDef } from './types.ts';

/**
 * Result rows of a collector's SQL to metric families, one per gauge or
 * counter column present in the rows. Label columns become labels (text; null
 * → ''); values become numbers: numeric strings (how drivers return bigint and
 * numeric) are parsed, booleans are 0/1, timestamps are epoch seconds; null
 * and non-numeric values are skipped, never turned into zeros. Columns the
 * rows have but the collector does not declare are ignored.
 */
export function rowsToFamilies(def: CollectorDef, rows: Record<string, unknown>[]): MetricFamily[] {
  const families: MetricFamily[] = [];
  for (const [column, col] of Object.entries(def.columns)) {
    if (col.usage !== 'gauge' && col.usage !== 'counter') continue;
    const labels = labelsOf(def, column);
    const points: MetricFamily['points'] = [];
    let present = false;
    for (const row of rows) {
      if (!(column in row)) continue;
      present = true;
      const v = toNumber(row[column]);
      if (v === undefined) continue;
      if (!labels.length) { points.push({ v }); continue; }
      const l: Record<string, string> = {};
      for (const name of labels) l[name] = toLabel(row[name]);
      points.push({ l, v });
    }
    if (!present || !points.length) continue;
    const family: MetricFamily = { name: `${def.prefix}.${column}`, kind: col.usage, points };
    if (col.unit) family.unit = col.unit;
    families.push(family);
  }
  return families;
}

/** A finite number, or undefined when the value is not one (NaN and ±Infinity cannot travel in JSON). */
export function toNumber(value: unknown): number | undefined {
  let n: number;
  switch (typeof value) {
    case 'number': n = value; break;
    case 'bigint': n = Number(value); break;
    case 'boolean': return value ? 1 : 0;
    case 'string': n = value.trim() === '' ? NaN : Number(value); break;
    case 'object':
      if (value instanceof Date) { n = value.getTime() / 1000; break; }
      return undefined;
    default: return undefined;
  }
  return Number.isFinite(n) ? n : undefined;
}

/** The protocol caps label values at 2000 characters. */
const MAX_LABEL = 2000;

function toLabel(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  const s = typeof value === 'object' ? JSON.stringify(value) : String(value);
  return s.length > MAX_LABEL ? s.slice(0, MAX_LABEL) : s;
}
