import { Type, type Static } from '@sinclair/typebox';
import { relative } from 'node:path';
import { BUILTIN_CATALOG_DIR, collectorsForPreset, loadCatalog, PRESETS, type CollectorDef } from '../catalog/index.ts';
import { PG_MAJORS } from '../pg-embedded/index.ts';
import type { FieldSpec } from './config.ts';

export const CatalogListConfig = Type.Object({
  preset: Type.Union([Type.Literal('all'), ...PRESETS.map((p) => Type.Literal(p))], { default: 'all' }),
  catalog_dir: Type.Array(Type.String(), { default: [] }),
  json: Type.Boolean({ default: false }),
}, { additionalProperties: false });
export type CatalogListConfig = Static<typeof CatalogListConfig>;

export const CATALOG_LIST_FIELDS: FieldSpec[] = [
  { key: 'preset', flag: 'preset', type: 'string', description: 'all | minimal | standard | exhaustive: only the collectors of a preset' },
  { key: 'catalog_dir', flag: 'catalog-dir', env: 'PGFLEET_CATALOG_DIR', type: 'list', description: 'folders of extra collector YAML files, as for the agent' },
  { key: 'json', flag: 'json', type: 'boolean', description: 'one JSON object per line instead of a table' },
];

/**
 * The supported majors a SQL collector has a variant for, as ranges: `13+`, `16–17`, `14, 16+`
 * (`+`: up to the newest and beyond, its newest variant having no upper bound). Node collectors: `reader <name>`.
 */
export function versionsOf(def: CollectorDef): string {
  if (def.scope === 'node') return `reader ${def.reader ?? '?'}`;
  const open = def.variants.some((v) => v.max_version === undefined);
  const newest = PG_MAJORS[PG_MAJORS.length - 1];
  const covered = PG_MAJORS.filter((m) => def.variants.some((v) => (v.min_version ?? 0) <= m * 10000 + 9999 && (v.max_version ?? Infinity) > m * 10000));
  const runs: string[] = [];
  for (let i = 0; i < covered.length;) {
    let j = i;
    while (j + 1 < covered.length && covered[j + 1] === covered[j] + 1) j++;
    if (open && covered[j] === newest) runs.push(`${covered[i]}+`);
    else runs.push(i === j ? `${covered[i]}` : `${covered[i]}–${covered[j]}`);
    i = j + 1;
  }
  return runs.join(', ') || 'none';
}

/** `pgfleet catalog list`: the collectors with their scope, role, interval, presets and PostgreSQL versions. */
export async function runCatalogList(cfg: CatalogListConfig): Promise<number> {
  const all = loadCatalog(cfg.catalog_dir);
  const defs = cfg.preset === 'all' ? all : collectorsForPreset(all, cfg.preset);
  const rows = defs.map((d) => ({
    id: d.id, scope: d.scope, role: d.role, interval_s: d.interval_s, presets: d.presets, versions: versionsOf(d),
    source: d.source.startsWith(BUILTIN_CATALOG_DIR) ? 'built-in' : d.source,
  }));
  if (cfg.json) {
    for (const r of rows) process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  const table = [['collector', 'scope', 'role', 'interval', 'presets', 'PostgreSQL', 'source'],
    ...rows.map((r) => [r.id, r.scope, r.role, `${r.interval_s}s`, r.presets.join(',') || '-', r.versions,
      r.source === 'built-in' ? r.source : relative(process.cwd(), r.source) || r.source])];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  for (const row of table) process.stdout.write(`${row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()}\n`);
  process.stdout.write(`${rows.length} collectors\n`);
  return 0;
}
