import { test } from 'node:test';
import assert from 'node:assert/strict';
import { activitySeries, MAX_ACTIVITY_GROUPS } from './activity-series.ts';
import type { ActivityTimeline } from './api.ts';

const timeline = (groups: ActivityTimeline['groups']): ActivityTimeline =>
  ({ instance: 'i', by: 'wait_event_type', from: 0, to: 100, step_ms: 10, groups });

test('groups share the union of buckets; a missing bucket is 0; largest group first', () => {
  const d = activitySeries(timeline([
    { key: 'IO', points: [{ t: 20, sessions: 0.5 }] },
    { key: 'CPU', points: [{ t: 10, sessions: 1 }, { t: 20, sessions: 2 }] },
    { key: '', points: [{ t: 30, sessions: 0.1 }] },
  ]));
  assert.deepEqual(d.x, [10, 20, 30]);
  assert.deepEqual(d.series, [
    { label: 'CPU', values: [1, 2, 0] },
    { label: 'IO', values: [0, 0.5, 0] },
    { label: '(none)', values: [0, 0, 0.1] },
  ]);
});

test('past MAX_ACTIVITY_GROUPS the smallest groups are summed into "other"', () => {
  const groups = Array.from({ length: MAX_ACTIVITY_GROUPS + 3 }, (_, i) => ({ key: `g${i}`, points: [{ t: 10, sessions: i + 1 }] }));
  const d = activitySeries(timeline(groups));
  assert.equal(d.series.length, MAX_ACTIVITY_GROUPS);
  const other = d.series[d.series.length - 1];
  assert.equal(other.label, 'other (4)');
  assert.deepEqual(other.values, [1 + 2 + 3 + 4]);
  // Nothing is lost: the stack adds up to every session.
  const sum = d.series.reduce((s, l) => s + (l.values[0] ?? 0), 0);
  assert.equal(sum, groups.reduce((s, g) => s + g.points[0].sessions, 0));
});
