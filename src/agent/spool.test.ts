import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Spool } from './spool.ts';

/** A fresh spool folder, removed after the test. */
function tempSpoolDir(t: { after(fn: () => void): void }): string {
  const dir = mkdtempSync(join(tmpdir(), 'pgfleet-spool-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

const bytesOf = (text: string) => new TextEncoder().encode(text);
const textOf = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const msgFiles = (dir: string) => readdirSync(dir).filter((f) => f.endsWith('.msg')).sort();

/** Takes a seq and spools a message for it, as the agent does. */
function spoolOne(spool: Spool, text: string): { seq: number; dropped: number[] } {
  const seq = spool.nextSeq();
  return { seq, dropped: spool.put(seq, bytesOf(text)) };
}

test('a new spool is empty and hands out 1, 2, 3', (t) => {
  const spool = new Spool(tempSpoolDir(t), { fsync: false });
  assert.equal(spool.last, 0);
  assert.deepEqual(spool.stats(), { messages: 0, bytes: 0, dropped: 0 });
  assert.deepEqual(spool.pending(), []);
  assert.deepEqual([spool.nextSeq(), spool.nextSeq(), spool.nextSeq()], [1, 2, 3]);
  assert.equal(spool.last, 3);
});

test('the folder is created when missing', (t) => {
  const dir = join(tempSpoolDir(t), 'a', 'b');
  const spool = new Spool(dir);
  spoolOne(spool, 'x');
  assert.deepEqual(msgFiles(dir), ['0000000000000001.msg']);
});

test('nextSeq persists across a new Spool on the same folder', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir, { fsync: false });
  for (let i = 0; i < 5; i++) a.nextSeq();
  const b = new Spool(dir, { fsync: false });
  assert.equal(b.last, 5);
  assert.equal(b.nextSeq(), 6);
});

test('messages are read back byte for byte and pending is oldest first', (t) => {
  const dir = tempSpoolDir(t);
  const spool = new Spool(dir);
  const seqs = ['a', 'bb', 'ccc', 'dddd'].map((m) => spoolOne(spool, m).seq);
  assert.deepEqual(spool.pending(), seqs);
  assert.deepEqual(spool.pending(2), seqs.slice(0, 2));
  assert.equal(textOf(spool.read(seqs[2])), 'ccc');
  assert.ok(spool.has(seqs[0]));
  assert.equal(spool.has(99), false);
});

test('pending orders by seq number, not by file name or insertion order', (t) => {
  const spool = new Spool(tempSpoolDir(t), { fsync: false });
  // Put out of order, across a change in digit count (9 → 10, 99 → 100).
  for (const seq of [100, 9, 10, 2, 99]) spool.put(seq, bytesOf(String(seq)));
  assert.deepEqual(spool.pending(), [2, 9, 10, 99, 100]);
});

test('pending after reopen comes from the files, oldest first', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir, { fsync: false });
  for (let i = 0; i < 12; i++) spoolOne(a, `m${i}`);
  a.remove(3);
  const b = new Spool(dir, { fsync: false });
  assert.deepEqual(b.pending(), [1, 2, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  assert.equal(textOf(b.read(12)), 'm11');
  assert.deepEqual(b.stats(), a.stats());
});

test('remove deletes the file and updates the stats; removing twice is harmless', (t) => {
  const dir = tempSpoolDir(t);
  const spool = new Spool(dir, { fsync: false });
  const { seq: s1 } = spoolOne(spool, '12345');
  const { seq: s2 } = spoolOne(spool, '123');
  assert.deepEqual(spool.stats(), { messages: 2, bytes: 8, dropped: 0 });
  spool.remove(s1);
  assert.deepEqual(spool.stats(), { messages: 1, bytes: 3, dropped: 0 });
  assert.deepEqual(msgFiles(dir), ['0000000000000002.msg']);
  spool.remove(s1);
  spool.remove(12345);
  assert.deepEqual(spool.stats(), { messages: 1, bytes: 3, dropped: 0 });
  assert.deepEqual(spool.pending(), [s2]);
  assert.equal(spool.has(s1), false);
});

test('maxBytes drops the oldest messages, counts them and returns their seqs', (t) => {
  const dir = tempSpoolDir(t);
  const spool = new Spool(dir, { fsync: false, maxBytes: 30 });
  const ten = '0123456789';
  assert.deepEqual(spoolOne(spool, ten).dropped, []);
  assert.deepEqual(spoolOne(spool, ten).dropped, []);
  assert.deepEqual(spoolOne(spool, ten).dropped, [], 'exactly at the limit is kept');
  assert.deepEqual(spoolOne(spool, ten).dropped, [1]);
  assert.deepEqual(spoolOne(spool, ten + ten).dropped, [2, 3]);
  assert.deepEqual(spool.pending(), [4, 5]);
  assert.deepEqual(spool.stats(), { messages: 2, bytes: 30, dropped: 3 });
  assert.deepEqual(msgFiles(dir), ['0000000000000004.msg', '0000000000000005.msg']);
});

test('a single message larger than maxBytes is kept (the spool never drops the newest)', (t) => {
  const spool = new Spool(tempSpoolDir(t), { fsync: false, maxBytes: 4 });
  spoolOne(spool, 'ab');
  const { seq, dropped } = spoolOne(spool, 'too large');
  assert.deepEqual(dropped, [1]);
  assert.deepEqual(spool.pending(), [seq]);
  assert.deepEqual(spool.stats(), { messages: 1, bytes: 9, dropped: 1 });
});

test('maxBytes applies to what was already on disk at open', (t) => {
  const dir = tempSpoolDir(t);
  const big = new Spool(dir, { fsync: false });
  for (let i = 0; i < 5; i++) spoolOne(big, '0123456789');
  const small = new Spool(dir, { fsync: false, maxBytes: 25 });
  assert.deepEqual(small.stats(), { messages: 5, bytes: 50, dropped: 0 });
  assert.deepEqual(spoolOne(small, '0123456789').dropped, [1, 2, 3, 4]);
  assert.deepEqual(small.pending(), [5, 6]);
});

test('leftover .tmp files (a crash mid-write) are removed at open, other files are left alone', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir, { fsync: false });
  spoolOne(a, 'kept');
  writeFileSync(join(dir, '0000000000000002.msg.tmp'), 'half a mess');
  writeFileSync(join(dir, 'README'), 'not ours');
  const b = new Spool(dir, { fsync: false });
  assert.equal(existsSync(join(dir, '0000000000000002.msg.tmp')), false);
  assert.ok(existsSync(join(dir, 'README')));
  assert.deepEqual(b.pending(), [1]);
  assert.deepEqual(b.stats(), { messages: 1, bytes: 4, dropped: 0 });
});

test('put leaves no .tmp file behind', (t) => {
  const dir = tempSpoolDir(t);
  const spool = new Spool(dir);
  spoolOne(spool, 'x');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), []);
});

test('seq never repeats after reopen, even when every message was removed', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir, { fsync: false });
  const seqs = [1, 2, 3].map(() => spoolOne(a, 'x').seq);
  for (const s of seqs) a.remove(s);
  assert.deepEqual(msgFiles(dir), []);
  const b = new Spool(dir, { fsync: false });
  assert.equal(b.nextSeq(), 4);
});

test('seq never goes below the newest spooled message, even when the seq file is behind', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir, { fsync: false });
  for (let i = 0; i < 7; i++) spoolOne(a, 'x');
  writeFileSync(join(dir, 'seq'), '2');
  assert.equal(new Spool(dir, { fsync: false }).nextSeq(), 8);
  writeFileSync(join(dir, 'seq'), 'garbage');
  assert.equal(new Spool(dir, { fsync: false }).nextSeq(), 8);
});

test('the seq file is replaced whole (written aside, then renamed), so a crash cannot tear it', (t) => {
  const dir = tempSpoolDir(t);
  const a = new Spool(dir);
  for (let i = 0; i < 3; i++) a.remove(spoolOne(a, 'x').seq);
  assert.equal(readFileSync(join(dir, 'seq'), 'utf8'), '3');
  assert.deepEqual(readdirSync(dir).filter((f) => f.endsWith('.tmp')), [], 'no temporary file is left');
  assert.equal(new Spool(dir).nextSeq(), 4);
});

test('dropping past maxBytes works with a large backlog', (t) => {
  const spool = new Spool(tempSpoolDir(t), { fsync: false, maxBytes: 200_000 });
  // Stand-in for a large backlog found on disk at open (writing 200k files would be slow):
  // the constructor fills the same index and byte count from the files.
  const inner = spool as unknown as { index: Map<number, number>; bytes: number };
  for (let seq = 1; seq <= 200_000; seq++) inner.index.set(seq, 1);
  inner.bytes = 200_000;
  assert.deepEqual(spool.put(200_001, bytesOf('x')), [1]);
  assert.equal(spool.stats().messages, 200_000);
});
