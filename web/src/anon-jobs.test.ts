import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jobFraction, jobSummary, type AnonJob } from './anon-jobs.ts';

const job = (over: Partial<AnonJob>): AnonJob => ({
  id: 1, kind: 'sync', instance: 'i', namespace: 'n', source: 's', target: 't', status: 'running', requestedBy: 'ada', startedAt: 0, updatedAt: 0,
  finishedAt: null, progress: null, result: null, error: null, ...over,
});

test('a job is as far as its bytes (copy) or tables (scan); done is whole, unknown is unknown', () => {
  assert.equal(jobFraction(job({ progress: { bytes: 25, totalBytes: 100, tables: 4, tablesDone: 3 } })), 0.25);
  assert.equal(jobFraction(job({ kind: 'scan', progress: { tables: 4, tablesDone: 1 } })), 0.25);
  assert.equal(jobFraction(job({ status: 'done' })), 1);
  assert.equal(jobFraction(job({})), undefined);
});

test('a job in one line: where a copy is, why it failed, that an interrupted one can be finished', () => {
  assert.match(jobSummary(job({ progress: { phase: 'data', rows: 10, bytes: 2e6, totalBytes: 4e6, tables: 5, tablesDone: 2, resumed: true, copying: [] } })), /^data: 10 rows, 2\.0 MB of ~4\.0 MB, tables 2\/5 \(finishing an earlier copy\)$/);
  assert.equal(jobSummary(job({ status: 'failed', error: 'pre-flight found 1 problem' })), 'pre-flight found 1 problem');
  assert.match(jobSummary(job({ status: 'interrupted' })), /finishes it/);
  assert.equal(jobSummary(job({ kind: 'scan', status: 'done', progress: { tables: 7, tablesDone: 7 } })), '7 tables scanned');
});
