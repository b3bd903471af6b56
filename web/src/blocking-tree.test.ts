import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Session } from './api.ts';
import { blockingTree } from './blocking-tree.ts';

const s = (pid: number, blocked_by?: number[]): Session => ({ pid, backend_type: 'client backend', state: 'active', ...(blocked_by ? { blocked_by } : {}) });
const shape = (rows: ReturnType<typeof blockingTree>) => rows.map((r) => `${'  '.repeat(r.depth)}${r.pid}${r.session ? '' : '?'}:${r.blocking}${r.alsoWaitsFor.length ? `+${r.alsoWaitsFor.join(',')}` : ''}`);

test('no lock waits, no tree', () => {
  assert.deepEqual(blockingTree([s(1), s(2)]), []);
});

test('a chain and a fan: the root that holds up most comes first; a session waiting for two sits under the first', () => {
  const rows = blockingTree([s(1), s(2, [1]), s(3, [2]), s(10), s(11, [10]), s(12, [10]), s(13, [10]), s(14, [1, 10]), s(99)]);
  assert.deepEqual(shape(rows), ['1:3', '  2:1', '    3:0', '  14:0+10', '10:3', '  11:0', '  12:0', '  13:0']);
});

test('a blocker outside the snapshot is a root of its own; a wait cycle is shown once', () => {
  assert.deepEqual(shape(blockingTree([s(5, [777]), s(6, [5])])), ['777?:2', '  5:1', '    6:0']);
  assert.deepEqual(shape(blockingTree([s(5, [6]), s(6, [5])])), ['5:1', '  6:1']);
});
