import { test } from 'node:test';
import assert from 'node:assert/strict';
import { matchStandbys, roleLane, walReceiverName } from './topology.ts';

test("the WAL receiver's name: primary_conninfo's application_name, else cluster_name, else walreceiver", () => {
  assert.equal(walReceiverName("host=db1 port=5432 user=rep application_name=main_2 sslmode=prefer", 'main'), 'main_2');
  assert.equal(walReceiverName("host=db1 application_name='my \\'standby\\''", ''), "my 'standby'");
  assert.equal(walReceiverName('postgresql://rep@db1:5432/postgres?application_name=s1&sslmode=require', 'main'), 's1');
  assert.equal(walReceiverName('host=db1 user=rep', 'main'), 'main');
  assert.equal(walReceiverName(undefined, ''), 'walreceiver');
});

test('rows matched by unique application_name; the last row and the last standby pair up; ambiguous ones stay unknown', () => {
  const standbys = [{ instance: 'main-2', receiverName: 'main_2' }, { instance: 'main-3', receiverName: 'walreceiver' }];
  assert.deepEqual(matchStandbys([{ application_name: 'main_2', client_addr: '10.0.0.2' }, { application_name: 'walreceiver', client_addr: '10.0.0.3' }], standbys), ['main-2', 'main-3']);
  assert.deepEqual(matchStandbys([{ application_name: 'walreceiver', client_addr: 'a' }, { application_name: 'walreceiver', client_addr: 'b' }],
    [{ instance: 'x-2', receiverName: 'walreceiver' }, { instance: 'x-3', receiverName: 'walreceiver' }]), [null, null]);
  // A standby whose name is known and differs is not a row's: a logical subscriber or a base backup is no standby.
  assert.deepEqual(matchStandbys([{ application_name: 'pg_basebackup', client_addr: '' }], [{ instance: 'x-2', receiverName: 'x' }]), [null]);
  // Its name unknown (no settings stored yet): the last row and the last standby pair up.
  assert.deepEqual(matchStandbys([{ application_name: 'x_2', client_addr: '' }], [{ instance: 'x-2', receiverName: null }]), ['x-2']);
  assert.deepEqual(matchStandbys([{ application_name: 'a', client_addr: '' }], []), [null]);
});

test('a role lane: the role before the first change, outages as down, adjacent equal segments merged', () => {
  const ev = [
    { ts: 200, kind: 'instance.down' }, { ts: 300, kind: 'instance.up' },
    { ts: 400, kind: 'role.changed', details: { from: 'replica', to: 'primary' } },
    { ts: 50, kind: 'role.changed', details: { from: 'primary', to: 'replica' } },
  ];
  assert.deepEqual(roleLane(ev, 'primary', 100, 500), [
    { from: 100, to: 200, state: 'replica' }, { from: 200, to: 300, state: 'down' }, { from: 300, to: 400, state: 'replica' }, { from: 400, to: 500, state: 'primary' },
  ]);
  assert.deepEqual(roleLane([], 'replica', 0, 10), [{ from: 0, to: 10, state: 'replica' }]);
  // Up without a down in the window: it was down since before the window.
  assert.deepEqual(roleLane([{ ts: 5, kind: 'instance.up' }], 'primary', 0, 10), [{ from: 0, to: 5, state: 'down' }, { from: 5, to: 10, state: 'primary' }]);
});
