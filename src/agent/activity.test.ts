import { test } from 'node:test';
import assert from 'node:assert/strict';
import { sessionsOf, SESSION_QUERY_MAX, SESSIONS_MAX_BYTES, withinBudget } from './activity.ts';

test('a session row keeps what it has: NULL and empty fields left out, times in whole ms', () => {
  const [s] = sessionsOf([{
    pid: 42, leader_pid: null, backend_type: 'client backend', state: 'active', usename: 'app', datname: '', application_name: null,
    client_addr: '10.0.0.5', wait_event_type: null, wait_event: null, backend_start: 1795000000000.4, xact_start: null,
    query_start: 1795000001000.6, state_change: 1795000001000.6, queryid: '0', query: "select * from t where name = 'Alice'", blocked_by: null,
  }]);
  assert.deepEqual(s, {
    pid: 42, backend_type: 'client backend', state: 'active', usename: 'app', client_addr: '10.0.0.5',
    backend_start: 1795000000000, query_start: 1795000001001, state_change: 1795000001001, query: 'select * from t where name = $1',
  });
});

test('blocked_by is read from its comma-separated text; a parallel worker names its leader', () => {
  const [a, b, c] = sessionsOf([
    { pid: 7, leader_pid: 7, backend_type: 'client backend', state: 'active', wait_event_type: 'Lock', blocked_by: '3,5' },
    { pid: 8, leader_pid: 7, backend_type: 'parallel worker', state: 'active', blocked_by: '' },
    { pid: 9, backend_type: 'client backend', state: 'active', queryid: '-12', blocked_by: 'x,4' },
  ]);
  assert.deepEqual(a.blocked_by, [3, 5]);
  assert.equal(a.leader_pid, undefined, 'a leader is not its own leader');
  assert.equal(b.leader_pid, 7);
  assert.deepEqual(b.blocked_by, []);
  assert.deepEqual(c.blocked_by, [4]);
  assert.equal(c.queryid, '-12');
});

test('a long statement is redacted first, then cut', () => {
  const long = `select '${'secret '.repeat(2000)}' from t where id in (${Array.from({ length: 3000 }, (_, i) => i).join(', ')})`;
  const [s] = sessionsOf([{ pid: 1, backend_type: 'client backend', state: 'active', query: long }]);
  assert.ok(s.query!.length <= SESSION_QUERY_MAX);
  assert.ok(!s.query!.includes('secret'));
  // A text cut inside a literal (track_activity_query_size) is redacted to its end.
  const [cut] = sessionsOf([{ pid: 1, backend_type: 'client backend', state: 'active', query: "update t set v = 'half a secr" }]);
  assert.equal(cut.query, 'update t set v = $1');
});

test('a lock pile-up stays within the byte budget, waiting and blocking sessions first; a long backend type is cut', () => {
  const rows = Array.from({ length: 2000 }, (_, i) => ({
    pid: 1000 + i, backend_type: i === 0 ? 'x'.repeat(95) : 'client backend', state: 'active', xact_start: 1795000000000 + i,
    wait_event_type: i % 100 === 7 ? 'Lock' : null, blocked_by: i % 100 === 7 ? '1999,1999' : null, query: `update t set v = 'x' where note = '${'y'.repeat(3000)}'`,
  }));
  const s = sessionsOf(rows);
  const bytes = s.reduce((n, x) => n + JSON.stringify(x).length + 1, 0);
  assert.ok(bytes <= SESSIONS_MAX_BYTES, `${bytes} bytes`);
  assert.ok(s.length > 100 && s.length < 2000, `${s.length} sessions kept`);
  // Every waiting session (20) and their blocker (pid 1999) are kept though they are not the oldest.
  assert.equal(s.filter((x) => x.blocked_by).length, 20);
  assert.ok(s.some((x) => x.pid === 1999));
  assert.deepEqual(s.find((x) => x.blocked_by)!.blocked_by, [1999], 'a blocker listed twice is kept once');
  assert.equal(s.find((x) => x.pid === 1000)!.backend_type.length, 64);
  assert.deepEqual(withinBudget([], 10), []);
});
