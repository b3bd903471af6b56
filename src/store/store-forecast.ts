// Growth and forecast of the store's size: pure arithmetic over size snapshots, no I/O.

export const DAY = 86_400_000;

/** One measured size. */
export interface SizePoint { ts: number; bytes: number }

/** Growth per day, or null and why. */
export interface Growth { bytesPerDay: number | null; points: number; reason: string | null }

/**
 * Least-squares slope of the sizes in (now − windowDays, now], in bytes per day. Needs two
 * snapshots at least an hour apart: one alone, or a burst, says nothing about a trend.
 */
export function growthPerDay(points: readonly SizePoint[], now: number, windowDays = 7): Growth {
  const pts = points.filter((p) => p.ts > now - windowDays * DAY && p.ts <= now && Number.isFinite(p.bytes));
  const n = pts.length;
  if (n === 0) return { bytesPerDay: null, points: 0, reason: `no size snapshot in the last ${windowDays} days` };
  if (n === 1) return { bytesPerDay: null, points: 1, reason: `one size snapshot in the last ${windowDays} days: growth needs two` };
  const t0 = pts[0].ts;
  // Days from the first point keep the sums small, so the subtraction below loses no precision.
  const xs = pts.map((p) => (p.ts - t0) / DAY);
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = pts.reduce((a, p) => a + p.bytes, 0) / n;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    sxx += (xs[i] - mx) ** 2;
    sxy += (xs[i] - mx) * (pts[i].bytes - my);
  }
  const span = Math.max(...xs) - Math.min(...xs);
  if (span < 1 / 24) return { bytesPerDay: null, points: n, reason: 'the size snapshots span less than an hour' };
  return { bytesPerDay: sxy / sxx, points: n, reason: null };
}

/** What the forecast of one kind of data needs. */
export interface KindState {
  bytes: number;
  growthPerDay: number | null;
  /** Days of data held now (from the oldest partition holding data); null when unknown. */
  daysHeld: number | null;
  /** Days of data the kind holds once full; null when nothing removes it (kept until deleted). */
  windowDays: number | null;
}

/** Forecast of one kind. */
export interface KindForecast {
  /** Size in `horizon` days; null without growth. */
  inDays: number | null;
  /** Size once the data covers the whole window; null when unbounded or unknown. */
  steadyState: number | null;
}

/** Days a kind still fills before retention starts dropping as much as arrives. */
function remainingDays(k: KindState): number | null {
  if (k.windowDays === null || k.daysHeld === null) return null;
  return Math.max(0, k.windowDays - k.daysHeld);
}

/**
 * Size of a kind `days` from now. While a kind fills its window, its growth is taken as the
 * volume of a day of data and stops once the window is full; a full or unbounded kind keeps
 * its measured trend (a growing fleet). Never below zero.
 */
export function sizeAt(k: KindState, days: number): number | null {
  if (k.growthPerDay === null) return null;
  const rest = remainingDays(k);
  const d = rest !== null && rest > 0 ? Math.min(days, rest) : days;
  return Math.max(0, k.bytes + k.growthPerDay * d);
}

/** Size in `horizon` days, and the steady state: the data held for the whole window. */
export function forecastKind(k: KindState, horizon = 30): KindForecast {
  const rest = remainingDays(k);
  let steadyState: number | null = null;
  if (rest === 0) steadyState = k.bytes;
  else if (rest !== null && k.growthPerDay !== null) steadyState = k.bytes + Math.max(0, k.growthPerDay) * rest;
  return { inDays: sizeAt(k, horizon), steadyState };
}

/** When a disk with `freeBytes` free fills up, or null and why; `reason` also says when some kinds were left out. */
export interface DiskForecast { daysUntilFull: number | null; reason: string | null }

/**
 * Days until the kinds together have grown by `freeBytes`, searched up to `horizonDays`.
 * Growth is piecewise linear (each kind stops filling at its window, or at zero), so the
 * answer is exact between breakpoints.
 */
export function daysUntilFull(kinds: readonly KindState[], freeBytes: number, horizonDays = 3650): DiskForecast {
  const known = kinds.filter((k) => k.growthPerDay !== null);
  if (known.length === 0) return { daysUntilFull: null, reason: 'growth is not known yet' };
  if (freeBytes <= 0) return { daysUntilFull: 0, reason: null };
  const extra = (t: number) => known.reduce((a, k) => a + (sizeAt(k, t)! - k.bytes), 0);
  const breaks = new Set<number>([horizonDays]);
  for (const k of known) {
    const rest = remainingDays(k);
    if (rest !== null && rest > 0 && rest < horizonDays) breaks.add(rest);
    if (k.growthPerDay! < 0) breaks.add(Math.min(horizonDays, k.bytes / -k.growthPerDay!));
  }
  const partial = known.length < kinds.length ? `counting only the ${known.length} kinds of ${kinds.length} whose growth is known` : null;
  let t0 = 0;
  let e0 = 0;
  for (const t1 of [...breaks].sort((a, b) => a - b)) {
    const e1 = extra(t1);
    if (e1 >= freeBytes) return { daysUntilFull: t0 + ((freeBytes - e0) / (e1 - e0)) * (t1 - t0), reason: partial };
    [t0, e0] = [t1, e1];
  }
  return { daysUntilFull: null, reason: `the free space lasts beyond ${Math.round(horizonDays / 365)} years at the measured growth` };
}
