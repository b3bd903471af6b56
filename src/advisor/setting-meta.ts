/** A setting's row in pg_settings: bounds are in its unit (8kB blocks, kB, MB, ms, s…). */
export interface SettingMeta {
  vartype: 'bool' | 'integer' | 'real' | 'string' | 'enum';
  unit: string | null;
  min: number | null;
  max: number | null;
  enumvals: string[] | null;
  /** postmaster: a restart; sighup: a reload; superuser/user: per session too. */
  context: string;
  /** The built-in default, in the setting's unit. */
  boot: string;
}

/**
 * The settings of each major from the first major's and, for each later one, what changed
 * (a setting added or changed; null where it went away): most rows are the same in every major.
 */
export function expandSettings(first: number, base: Record<string, SettingMeta>, changes: Record<number, Record<string, SettingMeta | null>>): Record<number, Record<string, SettingMeta>> {
  const out: Record<number, Record<string, SettingMeta>> = { [first]: base };
  let prev = base;
  for (const major of Object.keys(changes).map(Number).sort((a, b) => a - b)) {
    const next = { ...prev };
    for (const [name, meta] of Object.entries(changes[major])) {
      if (meta === null) delete next[name];
      else next[name] = meta;
    }
    out[major] = next;
    prev = next;
  }
  return out;
}
