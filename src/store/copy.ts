import type { TransactionSql } from 'postgres';
import { StoreError } from './errors.ts';

/** Streams `n` lines of COPY text into `statement`, inside the caller's transaction. */
export function copyText(tx: TransactionSql, statement: string, n: number, line: (i: number) => string): Promise<void> {
  return copyIn(tx, statement, n, (function* () {
    const CHUNK = 1024;
    for (let i = 0; i < n; i += CHUNK) {
      let text = '';
      const end = Math.min(n, i + CHUNK);
      for (let j = i; j < end; j++) text += line(j);
      yield text;
    }
  })());
}

/**
 * Streams COPY data (text, or binary with `format binary` in the statement) of `n` rows
 * into `statement`, inside the caller's transaction. postgres.js 3.4 never settles the
 * stream when the server rejects COPY data after CopyDone (porsager/postgres#1173), so a
 * refusal shows as a stall: give up after a generous time; the transaction then rolls
 * back and the keeper isolates the batch.
 */
export async function copyIn(tx: TransactionSql, statement: string, n: number, chunks: Iterable<string | Buffer>): Promise<void> {
  const stream = await tx.unsafe(statement).writable();
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('error', (err) => { failed = err; reject(err); });
    stream.once('finish', resolve);
  });
  done.catch(() => {});
  for (const chunk of chunks) {
    if (failed) break;
    if (!stream.write(chunk)) await Promise.race([new Promise((r) => stream.once('drain', r)), done]);
  }
  stream.end();
  const limitMs = 30_000 + n / 10;
  let timer: NodeJS.Timeout | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StoreError('PGFLEET_STORE_COPY_STALLED',
      `COPY of ${n} rows did not complete in ${Math.round(limitMs / 1000)} s: PostgreSQL refused the data (postgres.js does not report the reason)`)), limitMs);
  });
  try { await Promise.race([done, stalled]); } finally { clearTimeout(timer); }
}

/** COPY's binary signature, flags and header extension length (PostgreSQL docs, "Binary Format"). */
const HEADER = Buffer.from([0x50, 0x47, 0x43, 0x4f, 0x50, 0x59, 0x0a, 0xff, 0x0d, 0x0a, 0x00, 0, 0, 0, 0, 0, 0, 0, 0]);
const FLOAT8_OID = 701;

/**
 * `sample_sets` rows in COPY's binary format: no float printing here and no float parsing
 * in PostgreSQL, and every float8 (NaN, -0, infinities) kept bit for bit.
 */
export function sampleSetsBinary(rows: { setId: number[]; ts: number[]; vals: ArrayLike<number>[] }): Buffer {
  let size = HEADER.length + 2;
  // Per row: field count; set_id (4 + 4); ts (4 + 8); vals (4 + 20 + 12 per element).
  for (const v of rows.vals) size += 2 + 8 + 12 + 24 + 12 * v.length;
  const buf = Buffer.allocUnsafe(size);
  HEADER.copy(buf, 0);
  let o = HEADER.length;
  for (let i = 0; i < rows.setId.length; i++) {
    const v = rows.vals[i];
    const ts = rows.ts[i];
    buf.writeInt16BE(3, o); o += 2;
    buf.writeInt32BE(4, o); buf.writeInt32BE(rows.setId[i], o + 4); o += 8;
    buf.writeInt32BE(8, o); buf.writeInt32BE(Math.floor(ts / 4294967296), o + 4); buf.writeUInt32BE(ts >>> 0, o + 8); o += 12;
    buf.writeInt32BE(20 + 12 * v.length, o);
    buf.writeInt32BE(1, o + 4); buf.writeInt32BE(0, o + 8); buf.writeInt32BE(FLOAT8_OID, o + 12);
    buf.writeInt32BE(v.length, o + 16); buf.writeInt32BE(1, o + 20);
    o += 24;
    for (let k = 0; k < v.length; k++) { buf.writeInt32BE(8, o); buf.writeDoubleBE(v[k], o + 4); o += 12; }
  }
  buf.writeInt16BE(-1, o);
  return buf;
}
