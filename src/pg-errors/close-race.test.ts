import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isPostgresCloseRace } from './index.ts';

test('isPostgresCloseRace: the null-socket write of postgres.js and CONNECTION_CLOSED, nothing else', () => {
  const race = new TypeError("Cannot read properties of null (reading 'write')");
  race.stack = `${race.message}\n    at Immediate.nextWrite (node_modules/postgres/src/connection.js:255:22)`;
  assert.equal(isPostgresCloseRace(race), true);
  assert.equal(isPostgresCloseRace(Object.assign(new Error('write CONNECTION_CLOSED 127.0.0.1:5432'), { code: 'CONNECTION_CLOSED' })), true);
  const elsewhere = new TypeError("Cannot read properties of null (reading 'write')");
  elsewhere.stack = `${elsewhere.message}\n    at render (src/web/thing.ts:1:1)`;
  assert.equal(isPostgresCloseRace(elsewhere), false, 'the same message from other code is a bug to surface');
  assert.equal(isPostgresCloseRace(new TypeError("Cannot read properties of null (reading 'length')")), false);
  assert.equal(isPostgresCloseRace(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })), false);
  assert.equal(isPostgresCloseRace('CONNECTION_CLOSED'), false);
});
