import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatExposition, promLabelName, promLabels, promMetricName } from './prometheus.ts';

test('names become valid Prometheus names', () => {
  assert.equal(promMetricName('pg_stat_database.xact_commit'), 'pg_stat_database_xact_commit');
  assert.equal(promMetricName('node-cpu seconds'), 'node_cpu_seconds');
  assert.equal(promMetricName('1abc'), '_1abc');
  assert.equal(promLabelName('backend type'), 'backend_type');
  assert.equal(promLabelName('__name__'), '_name__');
  assert.equal(promLabelName('9x'), '_9x');
  assert.equal(promLabelName('a:b'), 'a_b');
});

test('a series label that clashes with a target label is kept as exported_<name>', () => {
  assert.deepEqual(promLabels({ instance: 'db-1', cluster: 'c' }, { instance: 'x', datname: 'app' }),
    [['instance', 'db-1'], ['cluster', 'c'], ['datname', 'app'], ['exported_instance', 'x']]);
  // A host series' own `instance` is not the target's.
  assert.deepEqual(promLabels({ node: 'h' }, { instance: 'db-1', collector: 'x' }), [['node', 'h'], ['collector', 'x'], ['exported_instance', 'db-1']]);
  // Two labels that rename to the same name both survive.
  assert.deepEqual(promLabels({}, { 'a-b': '1', a_b: '2' }), [['a_b', '1'], ['exported_a_b', '2']]);
});

test('exposition text: HELP, TYPE, escaped values, special floats, timestamps', () => {
  const text = formatExposition([
    { name: 'pg_up.up', type: 'gauge', help: 'is it up\nreally \\ yes', samples: [{ labels: { instance: 'a"b\\c\nd' }, value: 1, ts: 1000.4 }] },
    { name: 'x.y', type: 'counter', samples: [{ labels: {}, value: NaN, ts: 5 }, { labels: { k: 'v' }, value: Infinity, ts: 6 }, { labels: { k: 'w' }, value: -Infinity, ts: 7 }] },
  ]);
  assert.equal(text, [
    '# HELP pg_up_up is it up\\nreally \\\\ yes',
    '# TYPE pg_up_up gauge',
    'pg_up_up{instance="a\\"b\\\\c\\nd"} 1 1000',
    '# TYPE x_y counter',
    'x_y NaN 5',
    'x_y{k="v"} +Inf 6',
    'x_y{k="w"} -Inf 7',
    '',
  ].join('\n'));
  assert.equal(formatExposition([]), '');
});

test('families whose names clash after renaming are merged under one TYPE', () => {
  const text = formatExposition([
    { name: 'a.b', type: 'gauge', samples: [{ labels: { s: '1' }, value: 1, ts: 1 }] },
    { name: 'a_b', type: 'gauge', samples: [{ labels: { s: '2' }, value: 2, ts: 1 }] },
  ]);
  assert.equal(text.match(/# TYPE/g)?.length, 1);
  assert.match(text, /a_b\{s="1"\} 1 1\na_b\{s="2"\} 2 1/);
});
