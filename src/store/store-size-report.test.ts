import { test } from 'node:test';
import assert from 'node:assert/strict';
import { DAY_MS } from './partitions.ts';
import { STORE_KINDS, type SizeMeasurement } from './store-size-measure.ts';
import { buildSizeReport, type SnapshotRow } from './store-size-report.ts';

const now = Date.UTC(2026, 10, 23, 12);
/** Every kind 1000 bytes, raw holding half a day, events kept until deleted. */
const measurement: SizeMeasurement = {
  ts: now, databaseBytes: 10_000,
  kinds: STORE_KINDS.map((kind) => ({ kind, tables: [], bytes: 1000, partitions: null, oldest: null, daysHeld: kind === 'raw' ? 0.5 : null })),
};
const snapshot = (ts: number, bytes: (kind: string) => number, retention = true): SnapshotRow[] => [
  ...STORE_KINDS.map((kind) => ({ ts, kind, bytes: bytes(kind), retention_days: retention && kind === 'raw' ? 7 : null })),
  { ts, kind: 'total', bytes: STORE_KINDS.reduce((a, k) => a + bytes(k), 0), retention_days: null },
];

test('before any snapshot: sizes only, retention and growth unknown', () => {
  const r = buildSizeReport({ measurement, latest: [], recent: [], history: [] });
  assert.equal(r.retention_from, null);
  assert.equal(r.total.steady_state, null);
  assert.match(r.growth.reason!, /no size snapshot/);
  assert.deepEqual(r.history, { ts: [], total: [], kinds: Object.fromEntries(STORE_KINDS.map((k) => [k, []])) });
});

test('growth, forecast and history columns from two snapshots a day apart', () => {
  const older = snapshot(now - DAY_MS, (k) => (k === 'raw' ? 500 : 1000));
  const newer = snapshot(now, () => 1000);
  const r = buildSizeReport({ measurement, latest: newer, recent: [...older, ...newer], history: [...older, ...newer], diskFreeBytes: 100 });
  const raw = r.kinds.find((k) => k.kind === 'raw')!;
  // Raw holds about a day before compaction: filling for 0.54 more days at 500 a day.
  assert.equal(raw.growth_per_day, 500);
  assert.equal(raw.window_days, 1 + 1 / 24);
  assert.ok(Math.abs(raw.steady_state! - (1000 + 500 * (1 + 1 / 24 - 0.5))) < 1e-9);
  assert.equal(raw.forecast_30d, raw.steady_state);
  assert.equal(r.kinds.find((k) => k.kind === 'events')!.steady_state, null);
  assert.equal(r.total.growth_per_day, 500);
  assert.equal(r.total.forecast_30d, 9000 + raw.forecast_30d!);
  assert.equal(r.total.steady_state, 9000 + raw.steady_state!, 'unbounded kinds at their present size');
  assert.equal(r.retention_from, now);
  assert.ok(Math.abs(r.disk!.days_until_full! - 0.2) < 1e-9);
  assert.deepEqual(r.history.ts, [now - DAY_MS, now]);
  assert.deepEqual(r.history.kinds.raw, [500, 1000]);
  assert.deepEqual(r.history.total, [9500, 10000]);
});
