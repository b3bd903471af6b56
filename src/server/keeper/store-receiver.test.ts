import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { MetricsData } from '../../protocol/index.ts';
import { shapeHash } from './store-receiver.ts';

const data = (over: Partial<MetricsData> = {}): MetricsData => ({
  collector: 'pg_stat_database', interval_ms: 15_000,
  metrics: [
    { name: 'pg_stat_database.xact_commit', kind: 'counter', points: [{ l: { datname: 'a' }, v: 1 }, { l: { datname: 'b' }, v: 2 }] },
    { name: 'pg_stat_database.numbackends', kind: 'gauge', points: [{ v: 3 }] },
  ],
  ...over,
});

test('shapeHash: values and collector do not matter, everything that names a series does', () => {
  const base = shapeHash(data());
  const values = data();
  values.metrics[0].points[0].v = 99;
  assert.equal(shapeHash(values), base, 'values are not part of the shape');
  assert.equal(shapeHash(data({ collector: 'other' })), base, 'the collector is the cache key, not the shape');
  const changes: [string, MetricsData][] = [
    ['interval', data({ interval_ms: 30_000 })],
    ['no interval', data({ interval_ms: undefined })],
    ['a label value', (() => { const d = data(); d.metrics[0].points[1].l = { datname: 'c' }; return d; })()],
    ['a label key', (() => { const d = data(); d.metrics[0].points[1].l = { dbname: 'b' }; return d; })()],
    ['label order', (() => { const d = data(); d.metrics[0].points.reverse(); return d; })()],
    ['a name', (() => { const d = data(); d.metrics[1].name = 'pg_stat_database.numbackend'; return d; })()],
    ['a kind', (() => { const d = data(); d.metrics[1].kind = 'counter'; return d; })()],
    ['a point more', (() => { const d = data(); d.metrics[1].points.push({ l: { x: '' }, v: 0 }); return d; })()],
    ['text moved across fields', (() => { const d = data(); d.metrics[0].points[0].l = { datnam: 'ea' }; return d; })()],
  ];
  const seen = new Set([base]);
  for (const [what, d] of changes) {
    const h = shapeHash(d);
    assert.ok(!seen.has(h), `changing ${what} changes the hash`);
    seen.add(h);
    assert.ok(Number.isSafeInteger(h) && h >= 0, 'a non-negative safe integer');
  }
});
