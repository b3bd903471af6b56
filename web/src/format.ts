// Number, size, time and version formatting shared by the pages and charts.

/** How the values of a chart are shown. */
// 'count': whole things (backends), whole-number ticks; 'sessions': an average number of sessions, fractions allowed.
export const VALUE_UNITS = ['count', 'sessions', 'perSec', 'bytes', 'bytesPerSec', 'percent', 'seconds'] as const;
export type ValueUnit = (typeof VALUE_UNITS)[number];

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** A number with at most 3 significant digits, thousands as k/M/G. */
export function formatNumber(v: number): string {
  const a = Math.abs(v);
  if (a >= 1e9) return `${trim(v / 1e9)}G`;
  if (a >= 1e6) return `${trim(v / 1e6)}M`;
  if (a >= 1e4) return `${trim(v / 1e3)}k`;
  return trim(v);
}

function trim(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0';
  if (a >= 100) return v.toFixed(0);
  if (a >= 10) return stripZeros(v.toFixed(1));
  if (a >= 0.01) return stripZeros(v.toFixed(2));
  return v.toPrecision(2);
}

function stripZeros(s: string): string {
  return s.includes('.') ? s.replace(/\.?0+$/, '') : s;
}

/** Bytes in binary units: 1536 → "1.5 KiB". */
export function formatBytes(v: number): string {
  let i = 0;
  let x = Math.abs(v);
  while (x >= 1024 && i < BYTE_UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${trim(x)} ${BYTE_UNITS[i]}`;
}

/** A size change per day, signed: 1536 → "+1.5 KiB/d"; null shows as an em dash. */
export function formatBytesPerDay(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${v > 0 ? '+' : ''}${formatBytes(v)}/d`;
}

/** A number of days: 0.4 → "0.4 d", 12.25 → "12 d", 400 → "400 d"; null shows as an em dash. */
export function formatDays(v: number | null | undefined): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  return `${Math.abs(v) >= 10 ? Math.round(v) : stripZeros(v.toFixed(1))} d`;
}

/** Seconds as a short duration: 0.25 → "250 ms", 90 → "1.5 min". */
export function formatSeconds(v: number): string {
  const a = Math.abs(v);
  if (a === 0) return '0 s';
  if (a < 1) return `${trim(v * 1000)} ms`;
  if (a < 120) return `${trim(v)} s`;
  if (a < 7200) return `${trim(v / 60)} min`;
  if (a < 172800) return `${trim(v / 3600)} h`;
  return `${trim(v / 86400)} d`;
}

/** A value in the given unit; null shows as an em dash. */
export function formatValue(v: number | null | undefined, unit: ValueUnit): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  switch (unit) {
    case 'bytes':
      return formatBytes(v);
    case 'bytesPerSec':
      return `${formatBytes(v)}/s`;
    case 'perSec':
      return `${formatNumber(v)}/s`;
    case 'percent':
      return `${trim(v)} %`;
    case 'seconds':
      return formatSeconds(v);
    default:
      return formatNumber(v);
  }
}

/** "5 s ago", "3 min ago", "2 h ago" — relative to `now`. */
export function formatAgo(ms: number | null | undefined, now: number): string {
  if (!ms) return 'never';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 172800) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86400)} d ago`;
}

/** An uptime: "3 d 4 h", "2 h 5 min", "40 s". */
export function formatUptime(startedAt: number | null | undefined, now: number): string {
  if (!startedAt) return '—';
  const s = Math.max(0, Math.floor((now - startedAt) / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/**
 * The short PostgreSQL version: server_version_num 180004 → "18.4", 90624 → "9.6.24";
 * falls back to the first number in the version string.
 */
export function shortVersion(version: string, versionNum: number): string {
  if (versionNum >= 100000) return `${Math.floor(versionNum / 10000)}.${versionNum % 10000}`;
  if (versionNum > 0) {
    return `${Math.floor(versionNum / 10000)}.${Math.floor(versionNum / 100) % 100}.${versionNum % 100}`;
  }
  const m = /(\d+(?:\.\d+)*)/.exec(version);
  return m ? m[1] : '—';
}

/**
 * An axis tick label: like formatValue, but with as many decimals as the tick increment needs,
 * so 99.5 % and 99.55 % do not both read "99.5 %".
 */
export function formatTick(v: number, unit: ValueUnit, incr: number): string {
  if (unit === 'bytes' || unit === 'bytesPerSec' || unit === 'seconds' || Math.abs(v) >= 1e4) return formatValue(v, unit);
  const decimals = incr > 0 ? Math.min(6, (String(+incr.toPrecision(6)).split('.')[1] ?? '').length) : 0;
  const text = v.toFixed(decimals);
  switch (unit) {
    case 'percent':
      return `${text} %`;
    case 'perSec':
      return `${text}/s`;
    default:
      return text;
  }
}
