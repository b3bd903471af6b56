import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from './config.ts';
import { planOf } from './catalog-plan.ts';
import { formatReport, reportOf } from './catalog-report.ts';
import { versionsOf } from './catalog-list.ts';
import type { CollectorDef } from '../catalog/index.ts';

const problemsOf = (fn: () => unknown): string[] => {
  try { fn(); } catch (err) { assert.ok(err instanceof ConfigError); return err.problems; }
  assert.fail('accepted');
};

test('--versions and --replicas: comma lists, repeated flags and numbers from a file; replicas by major or by word', () => {
  const p = planOf(['18,13', '15'], ['oldest', 'newest']);
  assert.deepEqual(p.versions, [13, 15, 18]);
  assert.deepEqual([...p.replicas].sort(), [13, 18]);
  assert.deepEqual([...planOf([16, 14], [16]).replicas], [16]);
  assert.deepEqual([...planOf(['13,14'], ['all']).replicas], [13, 14]);
  assert.deepEqual([...planOf(['13,14'], ['none']).replicas], []);
  assert.deepEqual([...planOf(['17'], ['oldest', 'newest']).replicas], [17], 'one major is both the oldest and the newest');
});

test('--versions and --replicas: every problem at once, naming the supported majors', () => {
  const problems = problemsOf(() => planOf(['12,13', 'x'], ['14', 'none']));
  assert.ok(problems.some((p) => p === '--versions: "12" is not a supported PostgreSQL major; supported: 13, 14, 15, 16, 17, 18'), problems.join('\n'));
  assert.ok(problems.some((p) => p.startsWith('--versions: "x"')));
  assert.ok(problems.some((p) => p === '--replicas: 14 is not among --versions (13)'));
  assert.ok(problems.some((p) => p === '--replicas: none goes alone'));
  assert.deepEqual(problemsOf(() => planOf([''], ['oldest'])), ['--versions: no major given; supported: 13, 14, 15, 16, 17, 18']);
});

test('one line per server, failures below it with their error', () => {
  const r = reportOf(16, 'primary', [
    { id: 'a', status: 'ok', ms: 1, rows: 2 },
    { id: 'b', status: 'skipped', ms: 0, reason: 'runs on replica only' },
    { id: 'c', status: 'failed', ms: 1, error: 'column "x" does not exist [SQLSTATE 42703]', sqlstate: '42703' },
  ], { version: '16.4', version_num: 160004 });
  assert.equal(formatReport(r), 'PostgreSQL 16.4 primary: 1 run, 1 skipped (b: runs on replica only), 1 failed\n  failed c: column "x" does not exist [SQLSTATE 42703]');
  const down = reportOf(14, 'replica', [], { error: 'could not start: boom' });
  assert.equal(down.failed, 1, 'a server that could not be checked counts as a failure');
  assert.equal(formatReport(down), 'PostgreSQL 14 replica: not checked: could not start: boom');
});

test('the majors a collector has SQL for', () => {
  const def = (variants: CollectorDef['variants']) => ({ scope: 'instance', variants }) as CollectorDef;
  assert.equal(versionsOf(def([{ sql: '' }])), '13+');
  assert.equal(versionsOf(def([{ min_version: 160000, max_version: 180000, sql: '' }, { min_version: 180000, sql: '' }])), '16+');
  assert.equal(versionsOf(def([{ min_version: 140000, max_version: 170000, sql: '' }])), '14–16');
  assert.equal(versionsOf(def([{ max_version: 140000, sql: '' }, { min_version: 150000, sql: '' }])), '13, 15+');
  assert.equal(versionsOf({ scope: 'node', reader: 'cpu', variants: [] } as unknown as CollectorDef), 'reader cpu');
});
