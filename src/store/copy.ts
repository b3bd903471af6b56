import type { TransactionSql } from 'postgres';
import { StoreError } from './errors.ts';

/**
 * Streams `n` lines of COPY text into `statement`, inside the caller's transaction.
 * postgres.js 3.4 never settles the stream when the server rejects COPY data after
 * CopyDone (porsager/postgres#1173), so a refusal shows as a stall: give up after a
 * generous time; the transaction then rolls back and the keeper isolates the batch.
 */
export async function copyText(tx: TransactionSql, statement: string, n: number, line: (i: number) => string): Promise<void> {
  const stream = await tx.unsafe(statement).writable();
  let failed: Error | undefined;
  const done = new Promise<void>((resolve, reject) => {
    stream.once('error', (err) => { failed = err; reject(err); });
    stream.once('finish', resolve);
  });
  done.catch(() => {});
  const CHUNK = 1024;
  for (let i = 0; i < n && !failed; i += CHUNK) {
    let text = '';
    const end = Math.min(n, i + CHUNK);
    for (let j = i; j < end; j++) text += line(j);
    if (!stream.write(text)) await Promise.race([new Promise((r) => stream.once('drain', r)), done]);
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

/** COPY text form of a float8 (also inside an array literal): NaN and infinities spelled as PostgreSQL reads them. */
export function copyFloat(v: number): string {
  if (Number.isFinite(v)) return String(v);
  if (Number.isNaN(v)) return 'NaN';
  return v > 0 ? 'Infinity' : '-Infinity';
}
