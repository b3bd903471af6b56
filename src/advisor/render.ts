// A draft value in the target major's terms: its unit, its bounds, its enum values; as PostgreSQL writes it.
import { MEMORY_UNITS } from './baseline.ts';
import type { SettingMeta } from './pg-settings.ts';
import type { Draft } from './types.ts';

const TIME_UNITS: Record<string, number> = { us: 0.001, ms: 1, s: 1000, min: 60_000, h: 3_600_000, d: 86_400_000 };

/** The value in the setting's own unit (what pg_settings' min_val/max_val are in), or the text. */
export function inSettingUnit(d: Draft, meta: SettingMeta): number | string {
  if (typeof d.value === 'string') return d.value;
  if (d.value < 0) return d.value; // -1 and the like mean "off" or "derive", whatever the unit
  if (d.kind === 'bytes') return Math.floor(d.value / (MEMORY_UNITS[meta.unit ?? 'B'] ?? 1));
  if (d.kind === 'ms') return meta.vartype === 'real' ? d.value / (TIME_UNITS[meta.unit ?? 'ms'] ?? 1) : Math.round(d.value / (TIME_UNITS[meta.unit ?? 'ms'] ?? 1));
  return d.value;
}

/** Memory in the largest unit that divides it: 4GB, 512MB, 64kB. */
export function formatBytes(bytes: number): string {
  for (const [u, n] of [['TB', MEMORY_UNITS.TB], ['GB', MEMORY_UNITS.GB], ['MB', MEMORY_UNITS.MB], ['kB', MEMORY_UNITS.kB]] as const) {
    if (bytes >= n && bytes % n === 0) return `${bytes / n}${u}`;
  }
  return `${Math.floor(bytes / 1024)}kB`;
}

/** Time in the largest unit that divides it: 15min, 30s, 250ms. */
export function formatMs(ms: number): string {
  if (ms > 0 && ms % 60_000 === 0) return `${ms / 60_000}min`;
  if (ms > 0 && ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}

/** The value as ALTER SYSTEM and postgresql.conf take it, from the value in the setting's unit. */
export function formatValue(d: Draft, meta: SettingMeta, unitValue: number | string): string {
  if (typeof unitValue === 'string') return unitValue;
  if (unitValue < 0 || unitValue === 0) return String(unitValue);
  if (d.kind === 'bytes') return formatBytes(unitValue * (MEMORY_UNITS[meta.unit ?? 'B'] ?? 1));
  if (d.kind === 'ms') return formatMs(Math.round(unitValue * (TIME_UNITS[meta.unit ?? 'ms'] ?? 1) * 1000) / 1000);
  return String(unitValue);
}

/** Why a value is not accepted by the setting, or undefined when it is. */
export function rejectReason(meta: SettingMeta, unitValue: number | string): string | undefined {
  if (meta.vartype === 'bool') return /^(on|off|true|false)$/.test(String(unitValue)) ? undefined : `${String(unitValue)} is not on or off`;
  if (meta.vartype === 'enum') return meta.enumvals?.includes(String(unitValue)) ? undefined : `${String(unitValue)} is not one of ${meta.enumvals?.join(', ')}`;
  if (meta.vartype === 'string') return undefined;
  if (typeof unitValue !== 'number' || !Number.isFinite(unitValue)) return `${String(unitValue)} is not a number`;
  if (meta.vartype === 'integer' && !Number.isInteger(unitValue)) return `${unitValue} is not an integer`;
  if (meta.min !== null && unitValue < meta.min) return `${unitValue}${meta.unit ?? ''} is below the minimum ${meta.min}`;
  if (meta.max !== null && unitValue > meta.max) return `${unitValue}${meta.unit ?? ''} is above the maximum ${meta.max}`;
  return undefined;
}

const SIZE_UNITS: Record<string, number> = { b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3, t: 1024 ** 4, tb: 1024 ** 4, tib: 1024 ** 4 };

/** '32GB', '512 MiB', '1.5T', '1073741824' → bytes (units are binary, as PostgreSQL's); undefined when it is not a size. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] || 'b').toLowerCase()];
  return unit === undefined ? undefined : Math.round(Number(m[1]) * unit);
}

/** A size for people: 31.5 GB, 922 MB, 64 kB. */
export function formatSize(bytes: number): string {
  const units = [['TB', 1024 ** 4], ['GB', 1024 ** 3], ['MB', 1024 ** 2], ['kB', 1024]] as const;
  for (const [u, n] of units) if (bytes >= n) return `${(bytes / n).toFixed(bytes / n >= 100 ? 0 : 1).replace(/\.0$/, '')} ${u}`;
  return `${bytes} B`;
}

/**
 * A pg_settings `setting` (in its unit) as the advisor writes values, so that the two compare as
 * strings: 1048576 with unit 8kB → 8GB, 900 with unit s → 15min.
 */
export function showValue(setting: string, unit: string | null | undefined): string {
  const n = Number(setting);
  if (!unit || !Number.isFinite(n) || n <= 0) return setting;
  if (MEMORY_UNITS[unit] !== undefined) return formatBytes(n * MEMORY_UNITS[unit]);
  if (TIME_UNITS[unit] !== undefined) return formatMs(Math.round(n * TIME_UNITS[unit] * 1000) / 1000);
  return setting;
}
