import { metricDefs } from './select.ts';
import type { CollectorDef } from './types.ts';

const cell = (s: string | undefined) => (s ?? '').replace(/\|/g, '\\|').replace(/\s*\n\s*/g, ' ');

/** The PostgreSQL majors a SQL collector has a variant for: `all`, `14+`, `16–17`, `up to 16`. */
function versions(def: CollectorDef): string {
  if (!def.variants.length) return '';
  const major = (n: number) => Math.floor(n / 10000);
  const lo = def.variants[0].min_version;
  const hi = def.variants[def.variants.length - 1].max_version;
  if (lo === undefined && hi === undefined) return 'all';
  if (hi === undefined) return `${major(lo!)}+`;
  if (lo === undefined) return `up to ${major(hi - 1)}`;
  return `${major(lo)}–${major(hi - 1)}`;
}

/**
 * The Markdown tables of docs/catalog.md (collectors, then every metric),
 * generated from the catalog by scripts/gen-metric-docs.ts so they stay true.
 */
export function renderMetricTable(defs: CollectorDef[]): string {
  const out: string[] = [];
  out.push('| collector | scope | role | interval | presets | PostgreSQL | description |');
  out.push('|---|---|---|---|---|---|---|');
  for (const d of defs) {
    const source = d.reader ? `reader \`${d.reader}\`` : versions(d);
    out.push(`| \`${d.id}\` | ${d.scope} | ${d.role} | ${d.interval_s}s | ${d.presets.join(', ') || '—'} | ${source} | ${cell(d.description)} |`);
  }
  out.push('');
  out.push('| metric | kind | unit | labels | description |');
  out.push('|---|---|---|---|---|');
  for (const m of metricDefs(defs)) {
    out.push(`| \`${m.name}\` | ${m.kind} | ${m.unit ?? ''} | ${m.labels.join(', ')} | ${cell(m.description)} |`);
  }
  return out.join('\n') + '\n';
}
