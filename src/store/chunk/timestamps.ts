/**
 * Timestamp predictors: DOD (delta-of-delta) and GRID (a fixed schedule with a jitter
 * tolerance), their residuals, and the choice between them.
 */

import { resT } from './bits.ts';
import { NSYM, entropyBits, symbolOf } from './huffman.ts';

/** Timestamp predictor in bits 0-3 of the modes byte: the previous delta. */
export const TS_DOD = 0;
/** Timestamp predictor in bits 0-3 of the modes byte: the previous grid point plus the step. */
export const TS_GRID = 1;
/** Larger timestamp residuals (only spans beyond 35,000 years have them) are written as absolute timestamps. */
const MAX_TS_RESIDUAL = 2 ** 50;
/** Below 2^32, so grid + step stays exact for every valid timestamp. */
export const MAX_STEP = 2 ** 32;

/** Estimates the regular step: the mean of the deltas near the median of a sample of them. */
export function estimateStep(t: Float64Array, n: number): number {
  if (n < 2) return 0;
  const m = Math.min(n - 1, 63);
  const sample = new Float64Array(m);
  for (let k = 0; k < m; k++) {
    const i = 1 + Math.floor((k * (n - 1)) / m);
    sample[k] = t[i] - t[i - 1];
  }
  sample.sort();
  const med = sample[m >> 1];
  if (!(med > 0 && med < MAX_STEP)) return 0;
  let sum = 0;
  let cnt = 0;
  for (let i = 1; i < n; i++) {
    const d = t[i] - t[i - 1];
    if (d >= med - med / 8 && d <= med + med / 8) {
      sum += d;
      cnt++;
    }
  }
  return Math.min(Math.round(sum / cnt), MAX_STEP - 1);
}

/**
 * Timestamp residuals of t[from..to) into res, NaN where an absolute timestamp is needed.
 * DOD predicts the previous delta; GRID predicts the previous grid point plus D and keeps the
 * grid while residuals stay within ±R, so jitter around a fixed schedule does not accumulate.
 */
export function tsResiduals(t: Float64Array, from: number, to: number, mode: number, D: number, R: number, res: Float64Array): void {
  let prevDelta = D;
  let grid = t[from];
  for (let i = from + 1; i < to; i++) {
    const cur = t[i];
    let r: number;
    if (mode === TS_DOD) {
      const delta = cur - t[i - 1];
      r = delta - prevDelta;
      prevDelta = delta;
    } else {
      const pred = grid + D;
      r = cur - pred;
      grid = r > R || r < -R ? cur : pred;
    }
    if (r > MAX_TS_RESIDUAL || r < -MAX_TS_RESIDUAL || prevDelta > MAX_TS_RESIDUAL) {
      r = NaN;
      prevDelta = D;
      grid = cur;
    }
    res[i] = r;
  }
}

/**
 * Rebuilds timestamps in place from the residuals in out[1..n), out[0] holding the first;
 * indexes in absAt hold absolute timestamps, after which each predictor starts afresh.
 */
export function tsFromResiduals(out: Float64Array, n: number, mode: number, D: number, R: number, absAt: number[]): void {
  let prevDelta = D;
  let grid = out[0];
  let nextAbs = absAt.length > 0 ? absAt[0] : n;
  for (let i = 1, k = 0; i < n; i++) {
    const r = out[i];
    if (i === nextAbs) {
      prevDelta = D;
      grid = r;
      nextAbs = ++k < absAt.length ? absAt[k] : n;
    } else if (mode === TS_DOD) {
      prevDelta += r;
      out[i] = out[i - 1] + prevDelta;
    } else {
      const pred = grid + D;
      out[i] = pred + r;
      grid = r > R || r < -R ? out[i] : pred;
    }
  }
}

const blockHist = new Uint32Array(NSYM);

/**
 * Picks the timestamp predictor by its estimated size on up to four blocks of 256 samples, each
 * block counted on its own as each starts a grid of its own.
 */
export function chooseTsPredictor(t: Float64Array, n: number, D: number): { mode: number; R: number } {
  const blocks = Math.min(4, Math.ceil(n / 256));
  let best = { mode: TS_DOD, R: 0 };
  let bestBits = Infinity;
  for (const c of [-1, 0, 8, Math.max(8, Math.min(MAX_STEP - 1, Math.floor(D / 4)))]) {
    const mode = c < 0 ? TS_DOD : TS_GRID;
    let bits = 0;
    for (let b = 0; b < blocks; b++) {
      const from = blocks === 1 ? 0 : Math.floor((b * (n - 256)) / (blocks - 1));
      const to = Math.min(n, from + 256);
      tsResiduals(t, from, to, mode, D, c, resT);
      blockHist.fill(0);
      for (let i = from + 1; i < to; i++) blockHist[symbolOf(resT[i])]++;
      bits += entropyBits(blockHist);
    }
    if (bits < bestBits) {
      bestBits = bits;
      best = { mode, R: Math.max(c, 0) };
    }
  }
  return best;
}
