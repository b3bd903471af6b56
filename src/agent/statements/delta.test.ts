import { test } from 'node:test';
import assert from 'node:assert/strict';
import { counterArray, StatementDeltas, type StatementRow } from './delta.ts';
import { statementColumns } from './columns.ts';

const row = (queryid: string, calls: number, time: number, extra: Parameters<typeof counterArray>[0] = {}): StatementRow =>
  ({ queryid, dbid: '16384', userid: '10', datname: 'app', usename: 'web', toplevel: true, c: counterArray({ calls, total_exec_time: time, ...extra }) });

test('the first snapshot is the baseline; later ones give deltas', () => {
  const d = new StatementDeltas({ top: 10 });
  assert.equal(d.next([row('1', 10, 100)], 1000), undefined);
  const out = d.next([row('1', 15, 130), row('2', 3, 9)], 61_000)!;
  assert.equal(out.interval_ms, 60_000);
  assert.deepEqual(out.entries.map((e) => [e.queryid, e.c.calls, e.c.total_exec_time]), [['1', 5, 30], ['2', 3, 9]]);
});

test('an entry that did not run is not sent', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 10, 100), row('2', 1, 1)], 0);
  assert.deepEqual(d.next([row('1', 10, 100), row('2', 2, 2)], 1)!.entries.map((e) => e.queryid), ['2']);
});

test('an evicted entry that came back counts from zero, not negative', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 100, 1000)], 0);
  const out = d.next([row('1', 4, 8)], 1)!;
  assert.deepEqual(out.entries[0].c, { calls: 4, total_exec_time: 8 });
});

test('an evicted entry back with as many calls as before still counts from zero (another counter went down)', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 1, 50)], 0);
  assert.deepEqual(d.next([row('1', 1, 3)], 1)!.entries[0].c, { calls: 1, total_exec_time: 3 });
  d.next([row('2', 2, 500, { rows: 2 })], 2);
  assert.deepEqual(d.next([row('2', 3, 30, { rows: 3 })], 3)!.entries[0].c, { calls: 3, total_exec_time: 30, rows: 3 });
});

test('a renamed database or role is the same entry (keyed by oid)', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 500, 100)], 0);
  assert.deepEqual(d.next([{ ...row('1', 500, 100), datname: '16384', usename: 'web2' }], 1)!.entries, []);
});

test('plan time without a finished call is sent', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 5, 10, { plans: 10, total_plan_time: 100 })], 0);
  assert.deepEqual(d.next([row('1', 5, 10, { plans: 11, total_plan_time: 150 })], 1)!.entries[0].c, { plans: 1, total_plan_time: 50 });
});

test('after a reset every entry counts from zero', () => {
  const d = new StatementDeltas({ top: 10 });
  d.next([row('1', 100, 1000)], 0);
  const out = d.next([row('1', 120, 1010)], 1, true)!;
  assert.equal(out.reset, true);
  assert.equal(out.entries[0].c.calls, 120);
});

test('top N per dimension, the rest summed into other', () => {
  const d = new StatementDeltas({ top: 2 });
  const base = Array.from({ length: 6 }, (_, i) => row(String(i), 0, 0));
  d.next(base, 0);
  // 0,1: most time; 2,3: most calls; 4: most reads; 5: nothing special.
  const cur = [row('0', 1, 900), row('1', 1, 800), row('2', 500, 1), row('3', 400, 1), row('4', 1, 1, { shared_blks_read: 7 }), row('5', 2, 2)];
  const out = d.next(cur, 1)!;
  // rows ranks too, but every entry has rows 0 here, so it adds nothing.
  assert.deepEqual(out.entries.map((e) => e.queryid).sort(), ['0', '1', '2', '3', '4']);
  assert.deepEqual(out.other, { entries: 1, c: { calls: 2, total_exec_time: 2 } });
});

test('columns map renamed pg_stat_statements columns to one name', () => {
  // 1.8 (PostgreSQL 13): blk_read_time; 1.11 (17): shared_blk_read_time; before 1.8: total_time.
  const v18 = statementColumns(['queryid', 'calls', 'total_exec_time', 'blk_read_time', 'blk_write_time']);
  const v111 = statementColumns(['queryid', 'calls', 'total_exec_time', 'shared_blk_read_time', 'shared_blk_write_time', 'local_blk_read_time']);
  const v17 = statementColumns(['queryid', 'calls', 'total_time', 'blk_read_time']);
  assert.deepEqual(v18.map((c) => c.counter), ['calls', 'total_exec_time', 'shared_blk_read_time', 'shared_blk_write_time']);
  assert.deepEqual(v111.map((c) => c.counter), ['calls', 'total_exec_time', 'shared_blk_read_time', 'shared_blk_write_time', 'local_blk_read_time']);
  assert.deepEqual(v17.map((c) => `${c.counter}<-${c.column}`), ['calls<-calls', 'total_exec_time<-total_time', 'shared_blk_read_time<-blk_read_time']);
});
