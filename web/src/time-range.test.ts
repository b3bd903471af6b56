import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialRange, rangeFromSearch, rangeReducer, rangeToSearch, windowOf } from './time-range.ts';

const H = 3_600_000;

test('live by default over the last hour, sliding on ticks', () => {
  let s = initialRange(10 * H);
  assert.deepEqual(windowOf(s), { from: 9 * H, to: 10 * H });
  s = rangeReducer(s, { type: 'tick', now: 11 * H });
  assert.deepEqual(windowOf(s), { from: 10 * H, to: 11 * H });
});

test('zoom leaves live mode; reset returns to the picker range and live', () => {
  let s = initialRange(10 * H);
  s = rangeReducer(s, { type: 'zoom', from: 9.5 * H, to: 9.6 * H });
  assert.equal(s.live, false);
  assert.deepEqual(windowOf(s), { from: 9.5 * H, to: 9.6 * H });
  s = rangeReducer(s, { type: 'tick', now: 12 * H });
  assert.deepEqual(windowOf(s), { from: 9.5 * H, to: 9.6 * H });
  s = rangeReducer(s, { type: 'reset', now: 12 * H });
  assert.equal(s.live, true);
  assert.deepEqual(windowOf(s), { from: 11 * H, to: 12 * H });
});

test('a preset clears the zoom and keeps a frozen window frozen', () => {
  let s = rangeReducer(initialRange(10 * H), { type: 'live', live: false, now: 10 * H });
  s = rangeReducer(s, { type: 'preset', preset: '6h', now: 10 * H });
  assert.deepEqual(windowOf(s), { from: 4 * H, to: 10 * H });
  s = rangeReducer(s, { type: 'tick', now: 11 * H });
  assert.equal(windowOf(s).to, 10 * H);
});

test('live ticks slide the window only by a useful amount', () => {
  const s = rangeReducer(initialRange(10 * H), { type: 'preset', preset: '7d', now: 10 * H });
  assert.equal(rangeReducer(s, { type: 'tick', now: 10 * H + 60_000 }), s);
  assert.equal(windowOf(rangeReducer(s, { type: 'tick', now: 11 * H })).to, 11 * H);
});

test('a window survives its URL: live, frozen and zoomed', () => {
  const now = 10 * H;
  let s = rangeReducer(initialRange(now), { type: 'preset', preset: '6h', now });
  assert.equal(rangeToSearch(s), 'range=6h');
  assert.deepEqual(windowOf(rangeFromSearch(rangeToSearch(s), now + H)), { from: now + H - 6 * H, to: now + H });
  s = rangeReducer(s, { type: 'live', live: false, now });
  assert.deepEqual(windowOf(rangeFromSearch(rangeToSearch(s), now + H)), { from: now - 6 * H, to: now });
  s = rangeReducer(s, { type: 'zoom', from: 9.5 * H, to: 9.6 * H });
  const back = rangeFromSearch(rangeToSearch(s), now + H);
  assert.deepEqual(windowOf(back), { from: 9.5 * H, to: 9.6 * H });
  assert.equal(back.preset, '6h');
});

test('a URL with a wrong window falls back to the last hour, live', () => {
  for (const search of ['', 'range=2y', 'from=abc', 'from=5', 'to=-4', 'to=1e20', 'to=12345678901234567']) {
    const s = rangeFromSearch(search, 10 * H);
    assert.deepEqual(windowOf(s), { from: 9 * H, to: 10 * H }, search);
    assert.equal(s.live, true, search);
  }
  // `from` after `to` is no zoom; `to` alone still freezes the window there.
  assert.deepEqual(windowOf(rangeFromSearch('from=9&to=3', 10 * H)), { from: 3 - H, to: 3 });
});
