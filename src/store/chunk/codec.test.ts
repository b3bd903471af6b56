import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkCodecError, chunkInfo, decodeChunk, encodeChunk } from './index.ts';

const DAY0 = Date.UTC(2024, 4, 1);
const MAX_DATE = 8.64e15;

/** mulberry32: a small seeded PRNG, so every run sees the same data. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n timestamps every stepMs from DAY0, each off its schedule by up to ±jitterMs. */
function schedule(rnd: () => number, n: number, stepMs: number, jitterMs: number): number[] {
  return Array.from({ length: n }, (_, i) => DAY0 + i * stepMs + Math.round((rnd() * 2 - 1) * jitterMs));
}

/** A counter with a rate that drifts over the day, noise per interval, resets and rare NaN. */
function counter(rnd: () => number, n: number): number[] {
  let c = 48_213_377;
  return Array.from({ length: n }, (_, i) => {
    c += Math.round(1500 * (1 + 0.5 * Math.sin((i / n) * 2 * Math.PI)) * (0.8 + 0.4 * rnd()));
    if (rnd() < 0.0005) c = Math.floor(rnd() * 50);
    return rnd() < 0.001 ? NaN : c;
  });
}

/** A random walk rounded to 2 decimals, as a float gauge read from PostgreSQL's text output. */
function walk2(rnd: () => number, n: number): number[] {
  let w = 50;
  return Array.from({ length: n }, () => {
    w += (rnd() - 0.5) * 0.2;
    return Math.round(w * 100) / 100;
  });
}

function roundTrip(ts: ArrayLike<number>, values: ArrayLike<number>): Uint8Array {
  const bytes = encodeChunk(ts, values);
  const out = decodeChunk(bytes);
  assert.equal(out.ts.length, ts.length, 'sample count');
  assert.equal(out.values.length, values.length, 'sample count');
  for (let i = 0; i < ts.length; i++) {
    if (out.ts[i] !== ts[i]) assert.fail(`ts[${i}]: ${out.ts[i]} instead of ${ts[i]}`);
    if (!Object.is(out.values[i], values[i])) assert.fail(`values[${i}]: ${out.values[i]} instead of ${values[i]}`);
  }
  const info = chunkInfo(bytes);
  assert.equal(info.count, ts.length);
  if (ts.length > 0) assert.deepEqual(info, { count: ts.length, first: ts[0], last: ts[ts.length - 1] });
  return bytes;
}

function assertChunkError(fn: () => unknown, message?: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof ChunkCodecError, `expected a ChunkCodecError, got ${String(err)}`);
    assert.equal(err.code, 'PGFLEET_STORE_CHUNK');
    assert.equal(err.name, 'ChunkCodecError');
    return true;
  }, message);
}

function bitsOf(a: Float64Array): BigUint64Array {
  return new BigUint64Array(a.buffer, a.byteOffset, a.length);
}

const n = 5760;

test('round trip: constant gauge, counter, 2-decimal gauge, integer gauge, noisy float gauge', () => {
  const rnd = prng(1);
  const ts = schedule(rnd, n, 15_000, 5);
  roundTrip(ts, new Array<number>(n).fill(100));
  roundTrip(ts, counter(rnd, n));
  roundTrip(ts, walk2(rnd, n));
  roundTrip(ts, Array.from({ length: n }, () => Math.floor(40 + rnd() * 20)));
  roundTrip(ts, Array.from({ length: n }, (_, i) => Math.sin(i / 100) * 1000 + rnd()));
  roundTrip(schedule(rnd, 1440, 60_000, 3), counter(rnd, 1440));
  roundTrip(schedule(rnd, 100_000, 1000, 5), walk2(rnd, 100_000));
});

test('round trip keeps every float64 bit for bit: NaN payloads, -0, infinities, subnormals, extremes', () => {
  const special = new Float64Array([
    NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, -Number.MIN_VALUE, 2.2250738585072014e-308 / 3,
    Number.MAX_VALUE, -Number.MAX_VALUE, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER, 2 ** 53 + 2, 2 ** 50, -(2 ** 50), 2 ** 50 + 1,
    0.1, 0.1 + 0.2, 1 / 3, 1e-300, 123.45, -0.001, 5, -5,
  ]);
  const payloads = new Float64Array(8);
  const words = new Uint32Array(payloads.buffer);
  const nanWords = [[0x7ff00000, 1], [0x7ff80000, 0xdeadbeef], [0xfff80000, 0], [0xffffffff, 0xffffffff], [0x7ff7ffff, 0xffffffff], [0xfff00000, 2], [0x7ff80001, 0], [0x7fffffff, 0]];
  nanWords.forEach(([hi, lo], i) => {
    words[2 * i + 1] = hi;
    words[2 * i] = lo;
  });
  for (const values of [special, payloads, Float64Array.from([...special, ...payloads, ...special].reverse())]) {
    const ts = Array.from({ length: values.length }, (_, i) => DAY0 + i * 15_000);
    const out = decodeChunk(encodeChunk(ts, values));
    assert.deepEqual(bitsOf(out.values), bitsOf(values));
  }
});

test('NaN payloads survive inside an otherwise integer series', () => {
  const values = Float64Array.from({ length: 200 }, (_, i) => i * 10);
  const words = new Uint32Array(values.buffer);
  words[2 * 50 + 1] = 0x7ff00000;
  words[2 * 50] = 12345;
  values[70] = -0;
  const ts = Array.from({ length: 200 }, (_, i) => DAY0 + i * 1000);
  assert.deepEqual(bitsOf(decodeChunk(encodeChunk(ts, values)).values), bitsOf(values));
});

test('empty chunk and single sample', () => {
  const empty = roundTrip([], []);
  assert.deepEqual(chunkInfo(empty), { count: 0, first: NaN, last: NaN });
  for (const v of [0, -0, NaN, 1.5, 42, 2 ** 60, -Infinity, 0.1 + 0.2]) roundTrip([DAY0], [v]);
  roundTrip([-MAX_DATE], [1]);
  roundTrip([MAX_DATE], [1]);
});

test('equal timestamps', () => {
  const rnd = prng(2);
  roundTrip(new Array<number>(1000).fill(DAY0), counter(rnd, 1000));
  const ts = schedule(rnd, 1000, 15_000, 5).flatMap((t) => [t, t, t]);
  roundTrip(ts, walk2(rnd, ts.length));
});

test('big gaps, irregular steps and timestamps across the whole range of dates', () => {
  const rnd = prng(3);
  const gaps = schedule(rnd, 2000, 15_000, 5).map((t, i) => t + (i >= 700 ? 3 * 86_400_000 : 0) + (i >= 1500 ? 40 * 86_400_000 : 0));
  roundTrip(gaps, counter(rnd, gaps.length));
  let t = DAY0;
  const irregular = Array.from({ length: 3000 }, () => (t += Math.floor(rnd() ** 4 * 600_000)));
  roundTrip(irregular, walk2(rnd, irregular.length));
  const changing = Array.from({ length: 3000 }, (_, i) => DAY0 + (i < 1000 ? i * 15_000 : i < 2000 ? 15_000_000 + (i - 1000) * 60_000 : 80_000_000 + (i - 2000) * 1_000));
  roundTrip(changing, counter(rnd, changing.length));
  roundTrip([-MAX_DATE, -MAX_DATE + 1, -1, 0, 1, DAY0, MAX_DATE - 1, MAX_DATE], [1, 2, 3, 4, 5, 6, 7, 8]);
  roundTrip([-MAX_DATE, MAX_DATE, MAX_DATE], [1, 2, 3]);
  roundTrip([-MAX_DATE, -MAX_DATE + 15_000, -MAX_DATE + 30_000, MAX_DATE - 15_000, MAX_DATE], [1, 2, 3, 4, 5]);
});

test('jitter of every size around a schedule, and a schedule that drifts', () => {
  const rnd = prng(4);
  for (const jitter of [0, 1, 5, 50, 250, 2000]) roundTrip(schedule(rnd, 3000, 15_000, jitter), counter(rnd, 3000));
  let t = DAY0;
  const drifting = Array.from({ length: 3000 }, () => (t += 15_000 + Math.floor(rnd() * 4)));
  roundTrip(drifting, walk2(rnd, drifting.length));
  const restarted = schedule(rnd, 3000, 15_000, 5).map((x, i) => (i >= 1234 ? x + 7_321 : x));
  roundTrip(restarted, counter(rnd, restarted.length));
});

test('plain arrays, typed arrays and Buffers at an offset are accepted', () => {
  const rnd = prng(5);
  const ts = schedule(rnd, 500, 15_000, 5);
  const values = counter(rnd, 500);
  const bytes = roundTrip(Float64Array.from(ts), Float64Array.from(values));
  assert.deepEqual(bytes, encodeChunk(ts, values));
  const pooled = Buffer.alloc(bytes.length + 7);
  pooled.set(bytes, 3);
  const out = decodeChunk(pooled.subarray(3, 3 + bytes.length));
  assert.deepEqual(Array.from(out.ts), ts);
  assert.deepEqual(chunkInfo(pooled.subarray(3, 3 + bytes.length)), chunkInfo(bytes));
});

test('decreasing timestamps are rejected', () => {
  assertChunkError(() => encodeChunk([DAY0, DAY0 + 1, DAY0], [1, 2, 3]));
  assertChunkError(() => encodeChunk([1, 0], [1, 2]));
});

test('non-integer, non-finite and out-of-range timestamps, values that are not numbers, and mismatched lengths are rejected', () => {
  for (const bad of [1.5, NaN, Infinity, -Infinity, MAX_DATE + 1, -MAX_DATE - 1, 2 ** 53]) {
    assertChunkError(() => encodeChunk([DAY0, bad], [1, 2]), String(bad));
    assertChunkError(() => encodeChunk([bad], [1]), String(bad));
  }
  assertChunkError(() => encodeChunk([DAY0, DAY0 + 1], [1]));
  assertChunkError(() => encodeChunk([DAY0], [1, 2]));
  assertChunkError(() => encodeChunk([DAY0, DAY0 + 1], [1, null as unknown as number]), 'a NULL value');
  assertChunkError(() => encodeChunk([DAY0], ['1' as unknown as number]), 'a string value');
  const tooMany = { length: 2 ** 24 + 1 } as ArrayLike<number>;
  assertChunkError(() => encodeChunk(tooMany, tooMany), 'more than 2^24 samples');
});

/** One chunk of each coding: integer residuals, decimal-scaled, XOR, raw, absolute timestamps, exceptions. */
function sampleChunks(): Uint8Array[] {
  const rnd = prng(6);
  const ts = schedule(rnd, 300, 15_000, 5);
  return [
    encodeChunk(ts, counter(rnd, 300)),
    encodeChunk(ts, walk2(rnd, 300)),
    encodeChunk(ts, Array.from({ length: 300 }, () => rnd() * 1e6)),
    encodeChunk(ts, Array.from({ length: 300 }, (_, i) => 1 / (i + 3))),
    encodeChunk(ts, Array.from({ length: 300 }, (_, i) => (i % 50 === 7 ? NaN : i % 61 === 0 ? -0 : i * 3))),
    encodeChunk(ts, new Array<number>(300).fill(7)),
    encodeChunk([-MAX_DATE, 0, MAX_DATE], [NaN, -0, 1]),
    encodeChunk([DAY0], [0.1 + 0.2]),
    encodeChunk([], []),
  ];
}

test('every prefix of a chunk, and a chunk with bytes appended, is rejected', () => {
  for (const bytes of sampleChunks()) {
    for (let len = 0; len < bytes.length; len++) assertChunkError(() => decodeChunk(bytes.subarray(0, len)), `prefix of ${len} of ${bytes.length} bytes`);
    const longer = new Uint8Array(bytes.length + 1);
    longer.set(bytes);
    assertChunkError(() => decodeChunk(longer));
    const padded = new Uint8Array(bytes.length + 4);
    padded.set(bytes);
    assertChunkError(() => decodeChunk(padded));
  }
});

test('every flipped bit is detected', () => {
  for (const bytes of sampleChunks()) {
    const copy = bytes.slice();
    for (let i = 0; i < copy.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        copy[i] ^= 1 << bit;
        assertChunkError(() => decodeChunk(copy), `byte ${i} bit ${bit} of ${bytes.length}`);
        copy[i] ^= 1 << bit;
      }
    }
    decodeChunk(copy);
  }
});

test('garbage and wrong types are rejected, and chunkInfo rejects what it cannot read', () => {
  const rnd = prng(7);
  for (let k = 0; k < 200; k++) {
    const junk = Uint8Array.from({ length: Math.floor(rnd() * 64) }, () => Math.floor(rnd() * 256));
    if (k % 2 === 0 && junk.length > 0) junk[0] = 1;
    assertChunkError(() => decodeChunk(junk));
  }
  assertChunkError(() => decodeChunk([1, 0, 0] as unknown as Uint8Array));
  assertChunkError(() => chunkInfo(new Uint8Array(0)));
  assertChunkError(() => chunkInfo(Uint8Array.of(2, 0, 0, 0, 0, 0, 0)));
});

test('chunkInfo reads count, first and last timestamp', () => {
  const rnd = prng(8);
  const ts = schedule(rnd, 1234, 60_000, 3);
  const bytes = encodeChunk(ts, walk2(rnd, 1234));
  assert.deepEqual(chunkInfo(bytes), { count: 1234, first: ts[0], last: ts[1233] });
  assert.deepEqual(chunkInfo(encodeChunk([-5, -5], [1, 1])), { count: 2, first: -5, last: -5 });
});

test('bytes per sample on a realistic day (5,760 samples at 15 s with ±5 ms jitter)', (t) => {
  const rnd = prng(9);
  const ts = schedule(rnd, n, 15_000, 5);
  const perSample = (values: number[]) => roundTrip(ts, values).length / n;
  const figures = {
    counter: perSample(counter(rnd, n)),
    constant: perSample(new Array<number>(n).fill(1)),
    gauge2decimals: perSample(walk2(rnd, n)),
    integerGauge: perSample(Array.from({ length: n }, () => Math.floor(40 + rnd() * 20))),
    noisyFloat: perSample(Array.from({ length: n }, (_, i) => Math.sin(i / 100) * 1000 + rnd())),
    timestampsOnly: perSample(new Array<number>(n).fill(0)),
  };
  t.diagnostic(`bytes/sample ${JSON.stringify(figures, (_, v: unknown) => (typeof v === 'number' ? Number(v.toFixed(3)) : v))}`);
  assert.ok(figures.counter <= 3, `counter: ${figures.counter} B/sample`);
  assert.ok(figures.constant <= 0.5, `constant gauge: ${figures.constant} B/sample`);
});

test('property: a few hundred random series round-trip exactly', () => {
  const rnd = prng(10);
  // Byte 1 of a non-empty chunk holds the timestamp predictor (low nibble) and the value coding (high nibble).
  const codings = new Set<number>();
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)];
  const specials = [NaN, -0, 0, Infinity, -Infinity, Number.MIN_VALUE, 2 ** 53, -(2 ** 52) - 0.5];
  for (let k = 0; k < 300; k++) {
    const len = pick([0, 1, 2, 3, 10, 100, 1000, Math.floor(rnd() * 3000)]);
    let t = Math.floor((rnd() * 2 - 1) * (rnd() < 0.1 ? MAX_DATE : 2e12));
    const step = pick([0, 1, 1000, 15_000, 60_000, Math.floor(rnd() * 1e9)]);
    const jitter = pick([0, 0, 2, 5, 100]);
    const ts: number[] = [];
    for (let i = 0; i < len; i++) {
      t += step + Math.floor(rnd() * (jitter + 1));
      if (rnd() < 0.01) t += Math.floor(rnd() * 1e10);
      if (t > MAX_DATE) t = MAX_DATE;
      ts.push(t);
    }
    const kind = pick(['counter', 'walk2', 'int', 'float', 'decimals', 'mixed', 'big']);
    const values = Array.from({ length: len }, (_, i): number => {
      switch (kind) {
        case 'counter': return i * 1000 + Math.floor(rnd() * 100);
        case 'walk2': return Math.round(Math.sin(i / 50) * 10000 + rnd() * 100) / 100;
        case 'int': return Math.floor((rnd() - 0.5) * 2 ** (rnd() * 60));
        case 'float': return (rnd() - 0.5) * 10 ** (rnd() * 40 - 20);
        case 'decimals': return Math.round(rnd() * 1e6) / 10 ** Math.floor(rnd() * 8);
        case 'big': return (rnd() < 0.5 ? -1 : 1) * 2 ** 50 + Math.floor(rnd() * 5);
        default: return rnd() < 0.1 ? pick(specials) : Math.floor(rnd() * 10);
      }
    }).map((v) => (rnd() < 0.01 ? pick(specials) : v));
    try {
      const bytes = roundTrip(ts, values);
      if (len > 1) codings.add(bytes[1]);
    } catch (err) {
      assert.fail(`series ${k} (${kind}, ${len} samples, step ${step}): ${(err as Error).message}`);
    }
  }
  assert.deepEqual(new Set([...codings].map((m) => m & 15)), new Set([0, 1]), 'both timestamp predictors');
  assert.deepEqual(new Set([...codings].map((m) => m >> 4)), new Set([0, 1, 2, 3]), 'all four value codings');
});

test('a chunk does not depend on what was encoded or decoded before', () => {
  const rnd = prng(11);
  const series = [
    [schedule(rnd, 3000, 15_000, 5), counter(rnd, 3000)],
    [schedule(rnd, 300, 15_000, 5), Array.from({ length: 300 }, () => Math.floor(rnd() * 1000))],
    [schedule(rnd, 2, 15_000, 5), [0.3, 2.92]],
    [schedule(rnd, 2, 15_000, 5), [10.01, 13.07]],
    [schedule(rnd, 500, 60_000, 0), walk2(rnd, 500)],
    [schedule(rnd, 50, 1000, 100), Array.from({ length: 50 }, () => rnd() * 1e9)],
    [[1, 2], [3, 4]],
  ];
  const first = series.map(([ts, values]) => roundTrip(ts, values));
  const again = series.slice().reverse().map(([ts, values]) => {
    decodeChunk(first[0]);
    return roundTrip(ts, values);
  }).reverse();
  assert.deepEqual(again, first);
});
