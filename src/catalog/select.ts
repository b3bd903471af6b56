import type { CollectorDef, MetricDef, Preset, SqlVariant } from './types.ts';

/** The variant whose [min_version, max_version) holds the server's server_version_num, if any. */
export function selectVariant(def: CollectorDef, serverVersionNum: number): SqlVariant | undefined {
  return def.variants.find((v) =>
    (v.min_version === undefined || serverVersionNum >= v.min_version) &&
    (v.max_version === undefined || serverVersionNum < v.max_version));
}

/** The collectors a preset runs (presets are nested: minimal ⊂ standard ⊂ exhaustive). */
export function collectorsForPreset(defs: CollectorDef[], preset: Preset): CollectorDef[] {
  return defs.filter((d) => d.presets.includes(preset));
}

/** The label columns a metric column's points carry: its own `labels`, else every label column. */
export function labelsOf(def: CollectorDef, column: string): string[] {
  const own = def.columns[column]?.labels;
  if (own) return own;
  return Object.entries(def.columns).filter(([, c]) => c.usage === 'label').map(([n]) => n);
}

/** Every metric of the catalog: one per gauge or counter column, named `${prefix}.${column}`. */
export function metricDefs(defs: CollectorDef[]): MetricDef[] {
  const out: MetricDef[] = [];
  for (const def of defs) {
    for (const [name, col] of Object.entries(def.columns)) {
      if (col.usage !== 'gauge' && col.usage !== 'counter') continue;
      const m: MetricDef = { name: `${def.prefix}.${name}`, kind: col.usage, collector: def.id, labels: labelsOf(def, name) };
      if (col.unit) m.unit = col.unit;
      if (col.description) m.description = col.description;
      out.push(m);
    }
  }
  return out;
}
