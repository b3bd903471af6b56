import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StoreKind, StoreSize } from './api.ts';
import { sharePercent, storeChartData } from './store-size.ts';

function answer(history: { ts: number[]; kinds: Partial<Record<StoreKind, (number | null)[]>> }, now: Partial<Record<StoreKind, number>>, at: number): StoreSize {
  const kinds = (Object.keys(now) as StoreKind[]).map((kind) => ({
    kind, tables: [], bytes: now[kind]!, partitions: null, oldest: null, days_held: null, retention_days: null, window_days: null,
    growth_per_day: null, forecast_30d: null, steady_state: null,
  }));
  return {
    measured_at: at, total: { bytes: 0, growth_per_day: null, forecast_30d: null, steady_state: null }, kinds, retention_from: null,
    growth: { window_days: 7, snapshots: history.ts.length, reason: null }, disk: null,
    history: { ts: history.ts, total: [], kinds: history.kinds as Record<StoreKind, (number | null)[]> },
  };
}

test('the chart ends with the measurement, drops kinds that never held data, smallest first', () => {
  const d = storeChartData(answer({ ts: [1000, 2000], kinds: { raw: [10, 20], other: [500, 500], chunks: [0, 0] } }, { raw: 30, other: 510, chunks: 0 }, 3000));
  assert.deepEqual(d.x, [1000, 2000, 3000]);
  assert.deepEqual(d.series.map((s) => s.label), ['Raw samples', 'Everything else']);
  assert.deepEqual(d.series[0].values, [10, 20, 30]);
});

test('a kind missing from the snapshots is null there; a measurement as old as the last snapshot is not repeated', () => {
  const d = storeChartData(answer({ ts: [1000], kinds: {} }, { events: 7 }, 1000));
  assert.deepEqual(d.x, [1000]);
  assert.deepEqual(d.series, []);
  const e = storeChartData(answer({ ts: [1000], kinds: {} }, { events: 7 }, 2000));
  assert.deepEqual(e.series[0].values, [null, 7]);
});

test('share of the total', () => {
  assert.equal(sharePercent(25, 100), 25);
  assert.equal(sharePercent(1, 0), null);
});
