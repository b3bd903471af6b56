import { spread, unit } from './prng.ts';

/**
 * How one series moves over time. Every value is a pure function of the series'
 * hash and the collection time: nothing is kept between runs, so a fleet of
 * thousands of instances costs no memory per series, and a time range gives the
 * same values however it is cut into ticks.
 */
export type Model =
  /** Non-decreasing, at a rate per second drawn in [lo, hi] (log-uniform), `idle` of the series never move; `dp` decimals. */
  | { m: 'counter'; lo: number; hi: number; idle?: number; dp?: number; noReset?: boolean }
  /** A constant drawn in [lo, hi]. */
  | { m: 'const'; lo: number; hi: number; dp?: number }
  /** An integer drawn in [lo, hi] that, for a quarter of its 10-minute segments, is off by up to a quarter. */
  | { m: 'level'; lo: number; hi: number }
  /** Wanders smoothly (±amp, default 20 %) around a base drawn in [lo, hi]; rounded to `q` or `dp` decimals. */
  | { m: 'walk'; lo: number; hi: number; dp?: number; q?: number; amp?: number }
  /** A size: a base in [lo, hi] growing at a rate in `rate` per second (40 % do not grow), in multiples of q. */
  | { m: 'grow'; lo: number; hi: number; rate: [number, number]; q: number }
  /** Seconds since a periodic event, the period drawn in [lo, hi] s (a sawtooth). */
  | { m: 'age'; lo: number; hi: number; dp?: number }
  /** A transaction-ID age: a base in [lo, hi] that grows with the XID rate and falls back at each freeze. */
  | { m: 'xidage'; lo: number; hi: number }
  /** 0, except in a fraction p of the runs, then a value in [lo, hi]. */
  | { m: 'spike'; p: number; lo: number; hi: number; dp?: number }
  /** Seconds since the server started; the start time in Unix seconds. */
  | { m: 'uptime' } | { m: 'started' }
  | { m: 'role'; primary: Model; replica: Model };

/** What a value may depend on besides its series and time. */
export interface ValueContext {
  role: 'primary' | 'replica';
  /** Postmaster start time, ms. */
  startedAt: number;
  /** Counted when a counter reset shows at this run. */
  onReset?: () => void;
}

/** Counters and sizes count from here: values stay below 2^53 for centuries. */
const ORIGIN_MS = Date.UTC(2020, 0, 1);
/** A counter resets at a random moment of 2 % of these epochs, and in one of every FORCED_EVERY for sure. */
const EPOCH_MS = 3 * 86_400_000;
const P_RESET = 0.02;
const FORCED_EVERY = 64;
const SEGMENT_MS = 600_000;
const KNOT_MS = 600_000;

const round = (v: number, dp = 0) => { const s = 10 ** dp; return Math.round(v * s) / s; };

/** The value of a series at a run due at `t` (ms) of a job with interval `intervalMs`; undefined for none. */
export function valueOf(model: Model, sh: number, t: number, intervalMs: number, ctx: ValueContext): number | undefined {
  switch (model.m) {
    case 'counter': return counterValue(model, sh, t, intervalMs, ctx);
    case 'const': return round(spread(unit(sh, 3), model.lo, model.hi), model.dp ?? 0);
    case 'level': {
      const base = Math.round(spread(unit(sh, 3), model.lo, model.hi));
      const seg = Math.floor(t / SEGMENT_MS);
      if (unit(sh ^ 0x1b873593, seg) >= 0.25) return base;
      const d = Math.round((unit(sh ^ 0x2c1b3c6d, seg) * 2 - 1) * Math.max(1, base * 0.25));
      return Math.max(model.lo, base + d);
    }
    case 'walk': {
      const base = spread(unit(sh, 3), model.lo, model.hi);
      const kn = Math.floor(t / KNOT_MS);
      const f = (t - kn * KNOT_MS) / KNOT_MS;
      const a = unit(sh ^ 0x297a2d39, kn);
      const n = a + (unit(sh ^ 0x297a2d39, kn + 1) - a) * f;
      const v = Math.max(0, base * (1 + (model.amp ?? 0.2) * (2 * n - 1)));
      return model.q ? Math.round(v / model.q) * model.q : round(v, model.dp ?? 0);
    }
    case 'grow': {
      const rate = unit(sh, 4) < 0.4 ? 0 : spread(unit(sh, 5), model.rate[0], model.rate[1]);
      const v = spread(unit(sh, 3), model.lo, model.hi) + rate * Math.max(0, t - ORIGIN_MS) / 1000;
      return Math.floor(v / model.q) * model.q;
    }
    case 'age': return round(sawtoothS(sh, t, model.lo, model.hi), model.dp ?? 3);
    case 'xidage': return Math.floor(spread(unit(sh, 3), model.lo, model.hi) + spread(unit(sh, 6), 0.1, 100) * sawtoothS(sh, t, 86_400, 864_000));
    case 'spike': {
      const run = Math.floor(t / intervalMs);
      return unit(sh ^ 0x3c6ef372, run) < model.p ? round(spread(unit(sh ^ 0x78dde6e4, run), model.lo, model.hi), model.dp ?? 3) : 0;
    }
    case 'uptime': return round((t - ctx.startedAt) / 1000, 3);
    case 'started': return round(ctx.startedAt / 1000, 3);
    case 'role': return valueOf(ctx.role === 'primary' ? model.primary : model.replica, sh, t, intervalMs, ctx);
  }
}

/** Seconds since the last of events every P s (P drawn in [lo, hi]), at a phase of the series. */
function sawtoothS(sh: number, t: number, lo: number, hi: number): number {
  const period = spread(unit(sh, 4), lo, hi);
  const s = t / 1000 - unit(sh, 5) * period;
  return s - Math.floor(s / period) * period;
}

/**
 * A counter: c0 + ticks(T) − ticks(T at the last reset), where ticks(T) = ⌊rate·T⌋
 * and T is the run's due time plus a per-run offset below one interval, in whole ms.
 * T strictly grows from run to run, so the counter never decreases between resets;
 * its increments vary between 0 and twice the mean. Integer ms keep it exact.
 */
function counterValue(model: Extract<Model, { m: 'counter' }>, sh: number, t: number, intervalMs: number, ctx: ValueContext): number {
  const scale = 10 ** (model.dp ?? 0);
  const rate = unit(sh, 1) < (model.idle ?? 0) ? 0 : spread(unit(sh, 2), model.lo, model.hi) * scale / 1000;
  if (model.noReset) return (Math.floor(spread(unit(sh, 7), 1e3, 1e9) * scale) + ticks(rate, sh, t, intervalMs)) / scale;
  // The last reset at or before t: the forced one bounds the search.
  const e = Math.floor(t / EPOCH_MS);
  for (let ee = e; ee > e - FORCED_EVERY - 1; ee--) {
    const forced = ((ee % FORCED_EVERY) + FORCED_EVERY) % FORCED_EVERY === sh % FORCED_EVERY;
    if (!forced && unit(sh ^ 0x68e31da4, ee) >= P_RESET) continue;
    const at = ee * EPOCH_MS + Math.floor(unit(sh ^ 0x1b56c4e9, ee) * EPOCH_MS);
    if (at > t) continue;
    // The first run at or after the reset moment sees the reset.
    const phase = ((t % intervalMs) + intervalMs) % intervalMs;
    const first = Math.ceil((at - phase) / intervalMs) * intervalMs + phase;
    if (first === t) ctx.onReset?.();
    const c0 = Math.floor(unit(sh ^ 0x7f4a7c15, ee) * 3 * scale);
    return (c0 + ticks(rate, sh, t, intervalMs) - ticks(rate, sh, first, intervalMs)) / scale;
  }
  return ticks(rate, sh, t, intervalMs) / scale;
}

/** ⌊rate · T⌋, T = ms since the origin up to the run due at `due`, plus the run's offset below one interval. */
function ticks(rate: number, sh: number, due: number, intervalMs: number): number {
  return Math.floor(rate * (Math.max(0, due - ORIGIN_MS) + Math.floor(intervalMs * unit(sh ^ 0x5bd1e995, Math.floor(due / intervalMs)))));
}
