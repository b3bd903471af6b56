import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CatalogError, parseCatalog, parseDuration, type CatalogFile, type CatalogProblem } from './index.ts';

const GOOD = `
id: demo
description: A demo collector.
interval: 15s
variants:
  - sql: SELECT 1 AS up
columns:
  up: {usage: gauge}
`;

/** The problems parseCatalog reports for the files (fails when it accepts them). */
function problemsOf(files: CatalogFile[]): CatalogProblem[] {
  try {
    parseCatalog(files);
  } catch (err) {
    assert.ok(err instanceof CatalogError, `expected a CatalogError, got ${err}`);
    assert.equal(err.code, 'PGFLEET_CATALOG_INVALID');
    return err.problems;
  }
  assert.fail('the catalog was accepted');
}

const has = (problems: CatalogProblem[], source: string, field: string, text: RegExp) =>
  assert.ok(problems.some((p) => p.source === source && p.field === field && text.test(p.message)),
    `no problem ${source}: ${field}: ${text} in\n${problems.map((p) => `${p.source}: ${p.field}: ${p.message}`).join('\n')}`);

test('a minimal file gets the defaults', () => {
  const [def] = parseCatalog([{ source: 'demo.yaml', text: GOOD }]);
  assert.deepEqual(def, {
    id: 'demo', description: 'A demo collector.', prefix: 'demo', interval_s: 15, timeout_ms: 5000,
    role: 'any', scope: 'instance', presets: ['standard', 'exhaustive'],
    variants: [{ sql: 'SELECT 1 AS up' }], columns: { up: { usage: 'gauge' } }, source: 'demo.yaml',
  });
});

test('presets are nested and variants come sorted by version', () => {
  const [def] = parseCatalog([{ source: 'a.yaml', text: GOOD.replace('interval: 15s', 'interval: 1m\ntimeout: 500ms\npresets: [minimal]')
    .replace('  - sql: SELECT 1 AS up', '  - {min_version: 140000, sql: SELECT 2 AS up}\n  - {max_version: 140000, sql: SELECT 1 AS up}') }]);
  assert.deepEqual(def.presets, ['minimal', 'standard', 'exhaustive']);
  assert.equal(def.interval_s, 60);
  assert.equal(def.timeout_ms, 500);
  assert.deepEqual(def.variants.map((v) => v.sql), ['SELECT 1 AS up', 'SELECT 2 AS up']);
});

test('every problem of every file is reported at once, each with its file and field', () => {
  const problems = problemsOf([
    { source: 'one.yaml', text: `
id: Bad-Id
description: x
interval: soon
timeout: 1m
role: master
extra: 1
variants:
  - {min_version: 130000, max_version: 150000, sql: SELECT 1}
  - {min_version: 140000, sql: SELECT 2}
columns:
  up: {usage: gage}
  l: {usage: label}
  n: {usage: gauge, labels: [nope], colour: red}
` },
    { source: 'two.yaml', text: 'id: two\ndescription: [unclosed\n' },
    { source: 'three.yaml', text: `
id: three
description: node without reader
interval: 15s
timeout: 20s
scope: node
variants: [{sql: SELECT 1}]
columns:
  device: {usage: label}
` },
    { source: 'four.yaml', text: GOOD.replace('id: demo', 'id: four').replace('variants:\n  - sql: SELECT 1 AS up\n', '') },
  ]);
  has(problems, 'one.yaml', 'id', /match/);
  has(problems, 'one.yaml', 'interval', /not a duration/);
  has(problems, 'one.yaml', 'role', /one of any, primary, replica/);
  has(problems, 'one.yaml', 'extra', /unknown field/);
  has(problems, 'one.yaml', 'variants.1', /overlaps variants.0/);
  has(problems, 'one.yaml', 'columns.up.usage', /one of label, gauge, counter, info/);
  has(problems, 'one.yaml', 'columns.n.labels', /"nope" is not a label column/);
  has(problems, 'one.yaml', 'columns.n.colour', /unknown field/);
  has(problems, 'two.yaml', '', /YAML: line \d+, column \d+/);
  has(problems, 'three.yaml', 'reader', /needs a reader/);
  has(problems, 'three.yaml', 'variants', /no SQL variants/);
  has(problems, 'three.yaml', 'timeout', /longer than the interval/);
  has(problems, 'three.yaml', 'columns', /at least one gauge or counter/);
  has(problems, 'four.yaml', 'variants', /at least one variant/);
  assert.match(new CatalogError(problems).message, /one\.yaml: role: must be one of/);
});

test('more problems a file can have', () => {
  const p = problemsOf([
    { source: 'a.yaml', text: 'just a string' },
    { source: 'b.yaml', text: 'id: b\ninterval: 15s\ncolumns: {}\n' },
    { source: 'c.yaml', text: GOOD.replace('id: demo', 'id: c\nscope: node\nreader: gpu').replace('variants:\n  - sql: SELECT 1 AS up\n', '') },
    { source: 'd.yaml', text: GOOD.replace('id: demo', 'id: d\nreader: cpu').replace('up: {usage: gauge}', 'up: {usage: gauge}\n  Up: {usage: gauge}') },
    { source: 'e.yaml', text: GOOD.replace('id: demo', 'id: e').replace('- sql:', '- min_version: 150000\n    max_version: 140000\n    sql:') },
    { source: 'f.yaml', text: GOOD.replace('id: demo', 'id: f').replace('interval: 15s', 'interval: 15s\ninterval: 1m') },
  ]);
  has(p, 'a.yaml', '', /expected a mapping/);
  has(p, 'b.yaml', 'description', /required field is missing/);
  has(p, 'b.yaml', 'columns', /at least one gauge or counter/);
  has(p, 'c.yaml', 'reader', /unknown reader "gpu"/);
  has(p, 'd.yaml', 'reader', /only node collectors/);
  has(p, 'd.yaml', 'columns.Up', /column name must match/);
  has(p, 'e.yaml', 'variants.0', /not below max_version/);
  has(p, 'f.yaml', '', /YAML: .*[Uu]nique|YAML: .*duplicate/i);
});

test('a file of another folder replaces a collector; two of one folder clash', () => {
  const user = GOOD.replace('A demo collector.', 'Mine.');
  const [def] = parseCatalog([{ source: 'builtin/demo.yaml', text: GOOD }, { source: 'mine/demo.yaml', text: user }]);
  assert.equal(def.description, 'Mine.');
  assert.equal(def.source, 'mine/demo.yaml');
  has(problemsOf([{ source: 'mine/a.yaml', text: GOOD }, { source: 'mine/b.yaml', text: GOOD }]), 'mine/b.yaml', 'id', /already defined by mine\/a\.yaml/);
});

test('two collectors may not produce the same metric', () => {
  const other = GOOD.replace('id: demo', 'id: other\nprefix: demo');
  has(problemsOf([{ source: 'demo.yaml', text: GOOD }, { source: 'other.yaml', text: other }]), 'other.yaml', 'columns.up', /demo\.up is also produced by demo/);
});

test('parseDuration', () => {
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('1m'), 60_000);
  assert.equal(parseDuration('500ms'), 500);
  assert.equal(parseDuration('1m30s'), 90_000);
  assert.equal(parseDuration('1.5s'), 1500);
  assert.equal(parseDuration('2h'), 7_200_000);
  for (const bad of ['', '15', 's', '0s', '15 s', '1d', '-1s', 'ms15']) assert.equal(parseDuration(bad), undefined, bad);
});
