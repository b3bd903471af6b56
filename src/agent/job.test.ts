import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Job } from './job.ts';

const T0 = 1_700_000_000_000;
const MAX_PAUSE = 600_000;

/** A job whose first run is due at T0 (the constructor spreads the first run at random). */
function jobAt(intervalMs: number, id = 'pg_stat_database'): Job {
  const job = new Job(id, intervalMs, 'main-1', T0);
  job.nextRun = T0;
  return job;
}

test('the first run is spread over at most min(interval, 2 s)', () => {
  for (const interval of [500, 15_000, 3_600_000]) {
    for (let i = 0; i < 50; i++) {
      const job = new Job('c', interval, undefined, T0);
      assert.ok(job.nextRun >= T0 && job.nextRun < T0 + Math.min(interval, 2000), `${interval}: ${job.nextRun - T0}`);
      assert.equal(job.state, 'ok');
      assert.deepEqual([job.runs, job.failures, job.consecutive, job.overruns], [0, 0, 0, 0]);
    }
  }
});

test('a success schedules the next run one interval after the previous schedule (no drift)', () => {
  const job = jobAt(15_000);
  assert.equal(job.succeeded(T0 + 40, 40), false);
  assert.equal(job.nextRun, T0 + 15_000);
  assert.equal(job.succeeded(T0 + 15_000 + 300, 300), false);
  assert.equal(job.nextRun, T0 + 30_000);
  assert.deepEqual([job.runs, job.failures, job.overruns, job.lastDurationMs, job.state], [2, 0, 0, 300, 'ok']);
});

test('a run that started late is not followed by a run back to back', () => {
  const job = jobAt(10_000);
  // The agent was busy: this run ends 25 s after it was due.
  job.succeeded(T0 + 25_000, 100);
  assert.equal(job.nextRun, T0 + 25_000 + 5_000, 'half an interval after the end');
});

test('failures double the pause from one interval up to 10 minutes', () => {
  const job = jobAt(15_000);
  const pauses: number[] = [];
  let now = T0;
  for (let i = 0; i < 12; i++) {
    job.failed(now, 5, `boom ${i}`);
    pauses.push(job.nextRun - now);
    now = job.nextRun;
  }
  assert.deepEqual(pauses, [15_000, 30_000, 60_000, 120_000, 240_000, 480_000, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE, MAX_PAUSE]);
  assert.deepEqual([job.runs, job.failures, job.consecutive, job.lastError, job.lastDurationMs], [12, 12, 12, 'boom 11', 5]);
});

test('the pause never overflows, whatever the streak', () => {
  const job = jobAt(1000);
  for (let i = 0; i < 5000; i++) job.failed(T0, 1, 'x');
  assert.equal(job.nextRun - T0, MAX_PAUSE);
  assert.ok(Number.isFinite(job.nextRun));
});

test('state: failing for two failures, backoff from the third; entering backoff is reported once', () => {
  const job = jobAt(15_000);
  assert.equal(job.failed(T0, 1, 'e1'), false);
  assert.equal(job.state, 'failing');
  assert.equal(job.failed(T0, 1, 'e2'), false);
  assert.equal(job.state, 'failing');
  assert.equal(job.failed(T0, 1, 'e3'), true, 'the third failure enters backoff');
  assert.equal(job.state, 'backoff');
  assert.equal(job.failed(T0, 1, 'e4'), false, 'already in backoff');
  assert.equal(job.state, 'backoff');
});

test('a success ends the streak: state ok, error cleared, the pause starts from one interval again', () => {
  const job = jobAt(15_000);
  for (let i = 0; i < 4; i++) job.failed(T0, 1, 'down');
  const due = job.nextRun;
  assert.equal(job.succeeded(due + 10, 10), true, 'recovery is reported');
  assert.deepEqual([job.state, job.consecutive, job.lastError, job.failures, job.runs], ['ok', 0, undefined, 4, 5]);
  assert.equal(job.succeeded(job.nextRun + 10, 10), false, 'only the first success after failures is a recovery');
  job.failed(T0 + 10_000_000, 1, 'again');
  assert.equal(job.nextRun, T0 + 10_000_000 + 15_000);
  assert.equal(job.state, 'failing');
});

test('a single failure followed by a success is a recovery too', () => {
  const job = jobAt(1000);
  job.failed(T0, 1, 'blip');
  assert.equal(job.succeeded(T0 + 1000, 1), true);
});

test('backoff is entered again after a recovery', () => {
  const job = jobAt(1000);
  for (let i = 0; i < 3; i++) job.failed(T0, 1, 'x');
  job.succeeded(T0, 1);
  assert.equal(job.failed(T0, 1, 'x'), false);
  assert.equal(job.failed(T0, 1, 'x'), false);
  assert.equal(job.failed(T0, 1, 'x'), true);
});

test('an overrun backs the collector off with the reason, doubling per overrun in a row, and recovers', () => {
  const job = jobAt(10_000);
  const end = T0 + 25_000;
  assert.equal(job.succeeded(end, 25_000), false);
  assert.equal(job.overruns, 1);
  assert.equal(job.state, 'backoff');
  assert.match(job.note!, /took 25000 ms, longer than its 10000 ms interval: runs every 2 intervals/);
  assert.equal(job.nextRun, end + 20_000, 'two intervals later');
  job.succeeded(job.nextRun + 12_000, 12_000);
  assert.equal(job.overruns, 2);
  assert.match(job.note!, /every 4 intervals/);
  assert.equal(job.succeeded(job.nextRun + 10_000, 10_000), true, 'a run of exactly one interval is not an overrun, and ends the backoff');
  assert.deepEqual([job.overruns, job.state, job.note], [2, 'ok', undefined]);
});

test('skipped: state, reason and one interval until the next try; no run is counted', () => {
  const job = jobAt(30_000);
  job.skipped(T0 + 5, 'runs on primary only');
  assert.deepEqual([job.state, job.lastError, job.nextRun, job.runs, job.failures], ['skipped', 'runs on primary only', T0 + 5 + 30_000, 0, 0]);
  job.succeeded(job.nextRun, 1);
  assert.equal(job.state, 'ok');
  assert.equal(job.lastError, undefined);
});

test('a skip does not reset a failure streak', () => {
  const job = jobAt(1000);
  job.failed(T0, 1, 'x');
  job.failed(T0, 1, 'x');
  job.skipped(T0, 'requirement not met');
  assert.equal(job.failed(T0, 1, 'x'), true, 'third consecutive failure');
});

test('a failing rare collector is not retried more often than its own interval', () => {
  const job = jobAt(3_600_000);
  job.failed(T0, 1, 'x');
  assert.ok(job.nextRun - T0 >= 3_600_000, `pause ${job.nextRun - T0} ms`);
});
