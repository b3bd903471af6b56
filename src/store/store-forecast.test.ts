import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY, daysUntilFull, forecastKind, growthPerDay, sizeAt, type KindState } from './store-forecast.ts';

const now = Date.UTC(2026, 10, 23);
const close = (a: number | null, b: number, what: string) => assert.ok(a !== null && Math.abs(a - b) < 1e-6 * Math.max(1, Math.abs(b)), `${what}: ${a} ≠ ${b}`);

test('growth is the least-squares slope per day over the window', () => {
  // 1000 bytes a day, hourly, with noise that cancels out: +50 / −50 alternately.
  const pts = Array.from({ length: 48 }, (_, i) => ({ ts: now - (47 - i) * 3_600_000, bytes: 5000 + (1000 * i) / 24 + (i % 2 ? 50 : -50) }));
  const g = growthPerDay(pts, now);
  assert.equal(g.reason, null);
  assert.equal(g.points, 48);
  assert.ok(Math.abs(g.bytesPerDay! - 1000) < 60, `${g.bytesPerDay}`);
  close(growthPerDay([{ ts: now - 2 * DAY, bytes: 100 }, { ts: now, bytes: 300 }], now).bytesPerDay, 100, 'two points');
});

test('points outside the window are left out', () => {
  const pts = [{ ts: now - 30 * DAY, bytes: 1e12 }, { ts: now - DAY, bytes: 10 }, { ts: now, bytes: 20 }];
  close(growthPerDay(pts, now).bytesPerDay, 10, 'slope of the last two');
});

test('one snapshot, none, or a burst under an hour: growth is null and says why', () => {
  assert.match(growthPerDay([], now).reason!, /no size snapshot/);
  const one = growthPerDay([{ ts: now, bytes: 1 }], now);
  assert.equal(one.bytesPerDay, null);
  assert.match(one.reason!, /one size snapshot/);
  const burst = growthPerDay([{ ts: now - 60_000, bytes: 1 }, { ts: now, bytes: 5 }], now);
  assert.equal(burst.bytesPerDay, null);
  assert.match(burst.reason!, /less than an hour/);
});

test('a kind filling its window grows until full, then holds', () => {
  const k: KindState = { bytes: 3000, growthPerDay: 1000, daysHeld: 3, windowDays: 7 };
  assert.equal(sizeAt(k, 2), 5000);
  assert.deepEqual(forecastKind(k, 30), { inDays: 7000, steadyState: 7000 });
});

test('a full kind keeps its trend; its steady state is its size', () => {
  const k: KindState = { bytes: 7000, growthPerDay: 10, daysHeld: 8, windowDays: 7 };
  assert.deepEqual(forecastKind(k, 30), { inDays: 7300, steadyState: 7000 });
  assert.deepEqual(forecastKind({ ...k, growthPerDay: null }), { inDays: null, steadyState: 7000 });
});

test('an unbounded kind has no steady state; shrinking never goes below zero', () => {
  assert.deepEqual(forecastKind({ bytes: 100, growthPerDay: 5, daysHeld: null, windowDays: null }), { inDays: 250, steadyState: null });
  assert.equal(sizeAt({ bytes: 100, growthPerDay: -50, daysHeld: null, windowDays: null }, 30), 0);
  assert.deepEqual(forecastKind({ bytes: 100, growthPerDay: null, daysHeld: 1, windowDays: 7 }), { inDays: null, steadyState: null });
});

test('days until a disk is full follow the piecewise growth', () => {
  const filling: KindState = { bytes: 0, growthPerDay: 100, daysHeld: 0, windowDays: 10 };
  const forever: KindState = { bytes: 0, growthPerDay: 10, daysHeld: null, windowDays: null };
  // 110 a day for 10 days (1100), then 10 a day.
  close(daysUntilFull([filling, forever], 550).daysUntilFull, 5, 'within the filling');
  close(daysUntilFull([filling, forever], 1200).daysUntilFull, 20, 'after the window is full');
  const never = daysUntilFull([filling], 5000);
  assert.equal(never.daysUntilFull, null);
  assert.match(never.reason!, /beyond 10 years/);
  assert.match(daysUntilFull([{ ...forever, growthPerDay: null }], 1).reason!, /not known/);
  const partial = daysUntilFull([forever, { ...forever, growthPerDay: null }], 100);
  assert.equal(partial.daysUntilFull, 10);
  assert.match(partial.reason!, /only the 1 kinds of 2/);
  // A shrinking kind offsets growth until it is empty.
  const shrinking: KindState = { bytes: 100, growthPerDay: -10, daysHeld: null, windowDays: null };
  close(daysUntilFull([forever, shrinking], 100).daysUntilFull, 20, 'after the shrinking kind reached zero at day 10');
});
