import { test } from 'node:test';
import assert from 'node:assert/strict';
import { collectorsForPreset, metricDefs, parseCatalog, selectVariant } from './index.ts';

const [versioned, nodeCpu, extra] = parseCatalog([
  { source: 'v.yaml', text: `
id: v
description: versioned
interval: 15s
presets: [minimal]
variants:
  - {max_version: 140000, sql: SELECT 13}
  - {min_version: 140000, max_version: 170000, sql: SELECT 14}
  - {min_version: 180000, sql: SELECT 18}
columns:
  datname: {usage: label}
  n: {usage: counter, unit: bytes, description: N.}
  total: {usage: gauge, labels: []}
  note: {usage: info}
` },
  { source: 'c.yaml', text: `
id: c
description: cpu
prefix: node_cpu
interval: 15s
scope: node
reader: cpu
presets: [standard]
columns:
  mode: {usage: label}
  seconds: {usage: counter}
` },
  { source: 'x.yaml', text: `
id: x
description: opt-in only
interval: 1m
presets: []
variants: [{sql: SELECT 1 AS one}]
columns:
  one: {usage: gauge}
` },
]);

test('selectVariant: min_version is inclusive, max_version exclusive, gaps select nothing', () => {
  const sqlOf = (v: number) => selectVariant(versioned, v)?.sql;
  assert.equal(sqlOf(90600), 'SELECT 13');
  assert.equal(sqlOf(130022), 'SELECT 13');
  assert.equal(sqlOf(139999), 'SELECT 13');
  assert.equal(sqlOf(140000), 'SELECT 14');
  assert.equal(sqlOf(160010), 'SELECT 14');
  assert.equal(sqlOf(170000), undefined);
  assert.equal(sqlOf(170005), undefined);
  assert.equal(sqlOf(180000), 'SELECT 18');
  assert.equal(sqlOf(190000), 'SELECT 18');
  assert.equal(selectVariant(nodeCpu, 180000), undefined);
});

test('collectorsForPreset follows the nesting', () => {
  const ids = (p: 'minimal' | 'standard' | 'exhaustive') => collectorsForPreset([versioned, nodeCpu, extra], p).map((d) => d.id);
  assert.deepEqual(ids('minimal'), ['v']);
  assert.deepEqual(ids('standard'), ['v', 'c']);
  assert.deepEqual(ids('exhaustive'), ['v', 'c']);
});

test('metricDefs: one per gauge or counter column, with the prefix and the labels it carries', () => {
  assert.deepEqual(metricDefs([versioned, nodeCpu]), [
    { name: 'v.n', kind: 'counter', unit: 'bytes', description: 'N.', collector: 'v', labels: ['datname'] },
    { name: 'v.total', kind: 'gauge', collector: 'v', labels: [] },
    { name: 'node_cpu.seconds', kind: 'counter', collector: 'c', labels: ['mode'] },
  ]);
});
