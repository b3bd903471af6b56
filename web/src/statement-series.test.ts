import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { StatementHistory } from './api.ts';
import { statementSeries } from './statement-series.ts';

const point = (t: number, calls: number, time: number, extra: Record<string, number> = {}) =>
  ({ t, counters: { calls, total_exec_time: time, total_plan_time: 0, rows: calls * 2, wal_bytes: 0, ...extra }, mean_exec_time: calls ? time / calls : 0 });

const history: StatementHistory = {
  instance: 'i', queryid: '1', text: 'select 1', from: 0, to: 600_000, step_ms: 60_000,
  points: [point(60_000, 120, 6000), point(180_000, 60, 60_000, { wal_bytes: 6_000 })],
};

test('per-second rates over each bucket, and 0 for a bucket between two with data', () => {
  const charts = new Map(statementSeries(history).map((c) => [c.slug, c]));
  const calls = charts.get('q-calls')!.data;
  assert.deepEqual(calls.x, [60_000, 120_000, 180_000]);
  assert.deepEqual(calls.series[0].values, [2, 0, 1]);
  assert.deepEqual(charts.get('q-rows')!.data.series[0].values, [4, 0, 2]);
  assert.deepEqual(charts.get('q-wal')!.data.series[0].values, [0, 0, 100]);
});

test('mean time in seconds, none for a bucket without calls; busy sessions = execution ms per ms', () => {
  const charts = new Map(statementSeries(history).map((c) => [c.slug, c]));
  assert.deepEqual(charts.get('q-mean')!.data.series[0].values, [0.05, null, 1]);
  // 6 s of execution in 60 s: 0.1 of a session; 60 s in 60 s: one session.
  assert.deepEqual(charts.get('q-load')!.data.series[0].values, [0.1, 0, 1]);
});

test('no points, no buckets', () => {
  for (const c of statementSeries({ ...history, points: [] })) assert.deepEqual(c.data.x, []);
});
