// The Prometheus text exposition format (version 0.0.4) of metric families: names and labels
// made valid, label values and help escaped, one TYPE and HELP per family.

export interface ExpositionSample {
  labels: Record<string, string>;
  value: number;
  /** ms since the epoch: the sample's own time (the values are what agents last sent, not "now"). */
  ts: number;
}

export interface ExpositionFamily {
  name: string;
  type: 'gauge' | 'counter';
  help?: string;
  samples: ExpositionSample[];
}

/** A metric name Prometheus accepts: `pg_stat_database.xact_commit` → `pg_stat_database_xact_commit`. */
export function promMetricName(name: string): string {
  const s = name.replace(/[^a-zA-Z0-9_:]/g, '_');
  return /^[0-9]/.test(s) ? `_${s}` : s;
}

/** A label name Prometheus accepts (no `:`; a leading `__` is reserved, so it is trimmed). */
export function promLabelName(name: string): string {
  let s = name.replace(/[^a-zA-Z0-9_]/g, '_').replace(/^__+/, '_');
  if (s === '' || /^[0-9]/.test(s)) s = `_${s}`;
  return s;
}

function escapeLabelValue(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');
}

function escapeHelp(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

function formatValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/** Labels that say whose a series is; a series' own label of the same name is renamed. */
export const TARGET_LABELS = ['instance', 'namespace', 'cluster', 'node'] as const;

/**
 * Labels of one sample in a stable order. The `target` labels (instance, cluster… or node) come
 * first; a series label that would clash with a target label (any of TARGET_LABELS, so a host
 * series' own `instance` is not read as an instance's) or with another after renaming is kept
 * as `exported_<name>`, as Prometheus does when it scrapes a clashing label.
 */
export function promLabels(target: Record<string, string>, own: Record<string, string>): [string, string][] {
  const out = new Map<string, string>();
  for (const [k, v] of Object.entries(target)) out.set(promLabelName(k), v);
  const taken = (name: string): boolean => out.has(name) || (TARGET_LABELS as readonly string[]).includes(name);
  for (const k of Object.keys(own).sort()) {
    let name = promLabelName(k);
    while (taken(name)) name = `exported_${name}`;
    out.set(name, own[k]);
  }
  return [...out];
}

/** The families as exposition text. Families with the same name after renaming are merged. */
export function formatExposition(families: ExpositionFamily[]): string {
  const merged = new Map<string, ExpositionFamily>();
  for (const f of families) {
    const name = promMetricName(f.name);
    const seen = merged.get(name);
    if (seen) seen.samples.push(...f.samples);
    else merged.set(name, { ...f, name, samples: [...f.samples] });
  }
  const lines: string[] = [];
  for (const f of [...merged.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
    if (f.help) lines.push(`# HELP ${f.name} ${escapeHelp(f.help)}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${escapeLabelValue(v)}"`).join(',');
      lines.push(`${f.name}${labels ? `{${labels}}` : ''} ${formatValue(s.value)} ${Math.round(s.ts)}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
