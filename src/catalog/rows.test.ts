import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseCatalog, rowsToFamilies } from './index.ts';

const [def] = parseCatalog([{ source: 'db.yaml', text: `
id: db
description: test
interval: 15s
variants: [{sql: SELECT 1}]
columns:
  datname: {usage: label}
  state: {usage: label}
  commits: {usage: counter}
  size: {usage: gauge, unit: bytes}
  ok: {usage: gauge}
  max_conn: {usage: gauge, labels: []}
  since: {usage: gauge, unit: seconds}
  version: {usage: info}
  missing: {usage: counter}
` }]);

test('labels become strings, values numbers; undeclared and absent columns are left out', () => {
  const families = rowsToFamilies(def, [
    { datname: 'app', state: 'active', commits: '12345678901234', size: 8192, ok: true, version: '18.1', extra: 5 },
    { datname: 'postgres', state: null, commits: 7n, size: '1.5e3', ok: false },
  ]);
  assert.deepEqual(families, [
    { name: 'db.commits', kind: 'counter', points: [
      { l: { datname: 'app', state: 'active' }, v: 12345678901234 },
      { l: { datname: 'postgres', state: '' }, v: 7 },
    ] },
    { name: 'db.size', kind: 'gauge', unit: 'bytes', points: [
      { l: { datname: 'app', state: 'active' }, v: 8192 },
      { l: { datname: 'postgres', state: '' }, v: 1500 },
    ] },
    { name: 'db.ok', kind: 'gauge', points: [
      { l: { datname: 'app', state: 'active' }, v: 1 },
      { l: { datname: 'postgres', state: '' }, v: 0 },
    ] },
  ]);
});

test('null and non-numeric values are skipped, not zeros', () => {
  const families = rowsToFamilies(def, [
    { datname: 'a', commits: null, size: 'n/a', ok: 'NaN' },
    { datname: 'b', commits: 3, size: '', ok: 'Infinity' },
    { datname: 'c', commits: undefined, size: {}, ok: [] },
  ]);
  assert.deepEqual(families, [
    { name: 'db.commits', kind: 'counter', points: [{ l: { datname: 'b', state: '' }, v: 3 }] },
  ]);
});

test('a column whose rows are all null emits no family', () => {
  assert.deepEqual(rowsToFamilies(def, [{ datname: 'a', commits: null }]), []);
  assert.deepEqual(rowsToFamilies(def, []), []);
});

test('a metric with labels: [] has points without labels, from the rows where it is set', () => {
  const families = rowsToFamilies(def, [
    { datname: 'a', commits: 1, max_conn: null },
    { datname: null, commits: null, max_conn: '100' },
  ]);
  assert.deepEqual(families.find((f) => f.name === 'db.max_conn'), { name: 'db.max_conn', kind: 'gauge', points: [{ v: 100 }] });
  assert.deepEqual(families.find((f) => f.name === 'db.commits')?.points, [{ l: { datname: 'a', state: '' }, v: 1 }]);
});

test('timestamps become epoch seconds; label values are capped at the protocol limit', () => {
  const [f] = rowsToFamilies(def, [{ datname: 'x'.repeat(3000), since: new Date(1_700_000_000_500) }]);
  assert.equal(f.points[0].v, 1_700_000_000.5);
  assert.equal(f.points[0].l?.datname.length, 2000);
});
