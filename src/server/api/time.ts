import { ApiError } from './errors.ts';

/** The largest time a JavaScript Date holds. */
const MAX_TIME_MS = 8.64e15;

const UNIT_MS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/** Parses `now`, `now-15m`, ms since the epoch, or an ISO 8601 time. */
export function parseTime(param: string, text: string, now: number): number {
  const t = text.trim();
  if (t === 'now') return now;
  const rel = /^now-(\d{1,12})([smhdw])$/.exec(t);
  let ms: number | undefined;
  if (rel) ms = now - Number(rel[1]) * UNIT_MS[rel[2]];
  else if (/^\d{1,15}$/.test(t)) ms = Number(t);
  else if (/^\d{4}-\d{2}-\d{2}/.test(t) && !Number.isNaN(Date.parse(t))) ms = Date.parse(t);
  if (ms !== undefined) {
    if (ms < 0 || ms > MAX_TIME_MS) throw new ApiError('PGFLEET_API_BAD_PARAM', `${param}: "${text.slice(0, 60)}" is outside 1970-01-01 … 275760-09-13`);
    return ms;
  }
  throw new ApiError('PGFLEET_API_BAD_PARAM', `${param}: expected ms since the epoch, an ISO 8601 time, "now" or "now-<n><s|m|h|d|w>", got "${text.slice(0, 60)}"`);
}

/** Parses a duration `<n><s|m|h|d|w>` (at most 400 days) into ms. */
export function parseDuration(param: string, text: string): number {
  const m = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  const ms = m ? Number(m[1]) * UNIT_MS[m[2]] : NaN;
  if (!m || ms > 400 * 86_400_000) throw new ApiError('PGFLEET_API_BAD_PARAM', `${param}: expected a duration such as 1d, 7d or 2h (at most 400 days), got "${text.slice(0, 60)}"`);
  return ms;
}

/** Checks a from..to window: from before to, at most 400 days. */
export function checkWindow(from: number, to: number): void {
  if (to <= from) throw new ApiError('PGFLEET_API_BAD_PARAM', `from (${new Date(from).toISOString()}) must be before to (${new Date(to).toISOString()})`);
  if (to - from > 400 * 86_400_000) throw new ApiError('PGFLEET_API_BAD_PARAM', 'the range from..to is longer than 400 days');
}

/** Steps a range can be cut into; aligned steps make results cacheable. */
export const NICE_STEPS_MS = [
  1_000, 2_000, 5_000, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
  3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
];

/** Buckets aligned to multiples of `step` that cover [from, to). */
export function alignedBuckets(from: number, to: number, step: number): number {
  return Math.ceil((to - Math.floor(from / step) * step) / step);
}

/**
 * The smallest nice step whose aligned buckets over [from, to) are at most
 * maxPoints, and no finer than the data (`minStepMs`). Past a day: whole days.
 */
export function chooseStep(from: number, to: number, maxPoints: number, minStepMs = 1000): number {
  const nice = NICE_STEPS_MS.find((s) => s >= minStepMs && alignedBuckets(from, to, s) <= maxPoints);
  if (nice !== undefined) return nice;
  const day = 86_400_000;
  let step = Math.max(2 * day, Math.ceil(Math.max(minStepMs, (to - from) / maxPoints) / day) * day);
  while (alignedBuckets(from, to, step) > maxPoints) step += day;
  return step;
}
