import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignSeries, bridgeSingleGaps, combine, countPoints, hitRatioPercent, lastValue, nonNullCount, seriesLabel, stackValues, withEarlier } from './series-math.ts';

test('alignSeries puts every series on the union of timestamps', () => {
  const d = alignSeries([
    { label: 'a', points: [[1000, 1], [2000, 2]] },
    { label: 'b', points: [[2000, 5], [3000, null]] },
  ]);
  assert.deepEqual(d.x, [1000, 2000, 3000]);
  assert.deepEqual(d.series[0].values, [1, 2, null]);
  assert.deepEqual(d.series[1].values, [null, 5, null]);
  assert.equal(countPoints(d), 3);
});

test('hit ratio is null when both rates are 0 or null', () => {
  assert.deepEqual(hitRatioPercent([99, 0, null, 5], [1, 0, null, null]), [99, null, null, 100]);
});

test('combine and lastValue skip nulls', () => {
  assert.deepEqual(combine([10, null, 8], [4, 1, null], (a, b) => a - b), [6, null, null]);
  assert.equal(lastValue([[1, 3], [2, null]]), 3);
  assert.equal(lastValue([]), null);
});

test('stackValues accumulates; a missing value is 0 unless all are missing', () => {
  const stacked = stackValues([
    { label: 'a', values: [1, 2, null, null] },
    { label: 'b', values: [3, null, 4, null] },
  ]);
  assert.deepEqual(stacked, [[1, 2, 0, null], [4, 2, 4, null]]);
});

test('seriesLabel joins label values', () => {
  assert.equal(seriesLabel({ application_name: 'r1', client_addr: '10.0.0.2' }, 'x'), 'r1 / 10.0.0.2');
  assert.equal(seriesLabel({}, 'standby'), 'standby');
});

test('bridgeSingleGaps: one empty bucket between values is drawn through, longer gaps stay', () => {
  assert.deepEqual(bridgeSingleGaps([1, null, 3, null, null, 6, null]), [1, undefined, 3, null, null, 6, null]);
  assert.deepEqual(bridgeSingleGaps([null, 2, null]), [null, 2, null]);
  assert.equal(nonNullCount([1, null, undefined, 0]), 2);
});

test('withEarlier: the earlier window joins on the union of times, after the current lines, marked and labelled', () => {
  const now = { x: [10, 20], series: [{ label: 'a', values: [1, 2] }] };
  const before = { x: [20, 30], series: [{ label: 'a', values: [5, 6] }] };
  assert.deepEqual(withEarlier(now, before, '(1d ago)'), {
    x: [10, 20, 30],
    series: [{ label: 'a', values: [1, 2, null] }, { label: 'a (1d ago)', values: [null, 5, 6], earlier: true }],
  });
});

test("alignSeries 'sum' adds the points of one time; a null adds nothing", () => {
  const d = alignSeries([{ label: 'x', points: [[1, 2], [2, null], [1, 3], [2, 4]] }], 'sum');
  assert.deepEqual(d, { x: [1, 2], series: [{ label: 'x', values: [5, 4] }] });
});
