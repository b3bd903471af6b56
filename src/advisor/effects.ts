// After a configuration change: which measurements should move, and how to compare the same
// length of time before and after it. Pure: the caller reads the series.

/** A measurement: one counter's rate, or the ratio of two counters' rates. */
export interface EffectMeasure {
  key: string;
  label: string;
  unit: 'per_s' | 'bytes_per_s' | 'ratio';
  /** Counters summed over their labels: one (a rate), or numerator and the rest of the denominator (num / (num + rest)). */
  metrics: [string] | [string, string];
  /** Which direction is better, to say whether the change helped. */
  better: 'lower' | 'higher';
}

const TPS: EffectMeasure = { key: 'tps', label: 'transactions/s', unit: 'per_s', metrics: ['pg_stat_database.xact_commit'], better: 'higher' };
const TEMP: EffectMeasure = { key: 'temp_bytes', label: 'temporary file bytes/s', unit: 'bytes_per_s', metrics: ['pg_stat_database.temp_bytes'], better: 'lower' };
const CKPT_REQ: EffectMeasure = { key: 'checkpoints_req', label: 'requested checkpoints/s', unit: 'per_s', metrics: ['pg_checkpointer.checkpoints_req'], better: 'lower' };
// The miss ratio, not the hit ratio: near 1 a hit ratio barely moves in relative terms (0.95 → 0.99 is +4 %), its misses fall by 80 %.
const MISS: EffectMeasure = { key: 'cache_miss', label: 'buffer cache miss ratio', unit: 'ratio', metrics: ['pg_stat_database.blks_read', 'pg_stat_database.blks_hit'], better: 'lower' };
const WAL_FPI: EffectMeasure = { key: 'wal_fpi', label: 'full-page images/s', unit: 'per_s', metrics: ['pg_stat_wal.wal_fpi'], better: 'lower' };

/** The measurements a setting acts on (every change is also compared by transactions/s). */
const BY_SETTING: Record<string, EffectMeasure[]> = {
  work_mem: [TEMP], hash_mem_multiplier: [TEMP], maintenance_work_mem: [TEMP],
  max_wal_size: [CKPT_REQ, WAL_FPI], min_wal_size: [CKPT_REQ], checkpoint_timeout: [CKPT_REQ, WAL_FPI], checkpoint_completion_target: [CKPT_REQ],
  wal_compression: [WAL_FPI],
  shared_buffers: [MISS], effective_cache_size: [MISS], random_page_cost: [MISS], effective_io_concurrency: [MISS],
};

/** What to compare after a change of these settings. */
export function effectMeasures(settings: string[]): EffectMeasure[] {
  const out = new Map<string, EffectMeasure>([[TPS.key, TPS]]);
  for (const s of settings) for (const m of BY_SETTING[s] ?? []) out.set(m.key, m);
  return [...out.values()];
}

/** The mean of a window's points (rates per bucket), null without any. */
export function meanOf(points: (number | null)[]): number | null {
  const v = points.filter((p): p is number => p !== null && Number.isFinite(p));
  return v.length ? v.reduce((a, b) => a + b, 0) / v.length : null;
}

export interface EffectComparison { key: string; label: string; unit: EffectMeasure['unit']; before: number | null; after: number | null; change: number | null; verdict: 'better' | 'worse' | 'same' | 'unknown' }

/**
 * Before and after, as the relative change ((after − before) / before); a change within ±5 % is
 * "same" (noise of a busy server), a measure without data on either side is "unknown".
 */
export function compareEffect(m: EffectMeasure, before: number | null, after: number | null): EffectComparison {
  const base = { key: m.key, label: m.label, unit: m.unit, before, after };
  if (before === null || after === null) return { ...base, change: null, verdict: 'unknown' };
  // From nothing to something has no relative size: a few temp bytes after none is not a verdict.
  if (before === 0) return { ...base, change: after === 0 ? 0 : null, verdict: after === 0 ? 'same' : 'unknown' };
  const change = (after - before) / Math.abs(before);
  if (Math.abs(change) < 0.05) return { ...base, change, verdict: 'same' };
  return { ...base, change, verdict: (change < 0) === (m.better === 'lower') ? 'better' : 'worse' };
}
