// How a DBA reads a setting: sizes and times in their own units (shared_buffers 16384 × 8kB is
// 128 MiB), when a change takes effect, and whether it differs from PostgreSQL's default.
import type { Setting } from './api.ts';
import { formatBytes, formatSeconds } from './format.ts';

const BYTES: Record<string, number> = { B: 1, kB: 1024, '8kB': 8192, '16kB': 16_384, '32kB': 32_768, '16MB': 16 * 2 ** 20, MB: 2 ** 20, GB: 2 ** 30, TB: 2 ** 40 };
const SECONDS: Record<string, number> = { us: 1e-6, ms: 1e-3, s: 1, min: 60, h: 3600, d: 86_400 };

/** A value of the setting (its `setting`, `boot_val` or `reset_val`) with its unit, readable. */
export function formatSettingValue(s: Pick<Setting, 'unit' | 'vartype'>, raw: string | undefined): string {
  if (raw === undefined) return '—';
  const n = Number(raw);
  const numeric = (s.vartype === 'integer' || s.vartype === 'real') && raw.trim() !== '' && Number.isFinite(n);
  // -1 and 0 usually mean "off", "unlimited" or "use the other setting": shown as they are.
  if (!numeric || !s.unit || n <= 0) return raw === '' ? '""' : raw;
  if (s.unit in BYTES) return formatBytes(n * BYTES[s.unit]);
  const m = /^(\d*)(B|kB|MB|GB|TB)$/.exec(s.unit);
  if (m) return formatBytes(n * (Number(m[1] || 1)) * BYTES[m[2]]);
  if (s.unit in SECONDS) return formatSeconds(n * SECONDS[s.unit]);
  return `${raw} ${s.unit}`;
}

/** When a change of the setting takes effect, from pg_settings.context. */
export function settingContext(context: string): { label: string; title: string } {
  switch (context) {
    case 'postmaster': return { label: 'restart', title: 'takes effect when the server restarts' };
    case 'sighup': return { label: 'reload', title: 'takes effect on pg_reload_conf() (SIGHUP)' };
    case 'superuser-backend': case 'backend': return { label: 'new sessions', title: 'read when a session starts' };
    case 'superuser': return { label: 'SET (superuser)', title: 'a superuser can change it per session with SET' };
    case 'user': return { label: 'SET', title: 'any session can change it with SET' };
    case 'internal': return { label: 'fixed', title: 'set when PostgreSQL was built or initdb ran; cannot be changed' };
    default: return { label: context, title: context };
  }
}

/** Whether the value comes from anywhere but PostgreSQL's built-in default. */
export function isNonDefault(s: Setting): boolean {
  return s.source !== 'default' && s.source !== 'override';
}

/** Where the value comes from: the file and line when known. */
export function settingSource(s: Setting): string {
  return s.sourcefile ? `${s.source} (${s.sourcefile.replace(/^.*\//, '')}:${s.sourceline ?? '?'})` : s.source;
}
