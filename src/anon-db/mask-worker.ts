// A worker thread that masks COPY text: the copy's main thread only moves bytes between the source
// and the target, and each table being copied is masked on a core of its own. Messages:
// { start, rules, key } begins a table; { chunk } answers { out, rows } with the whole masked
// lines so far; { end } answers the rest. Every request gets exactly one reply (an error too),
// in the order of the requests.
import { parentPort } from 'node:worker_threads';
import { lineMasker, type Rule } from '../anon/index.ts';

export type MaskRequest =
  | { type: 'start'; rules: (Rule | null)[]; key: Uint8Array }
  | { type: 'chunk'; data: Uint8Array }
  | { type: 'end' };
export type MaskReply = { out: Uint8Array; rows: number } | { error: string };

let mask: ((line: string) => string) | undefined;
let pending: Buffer | undefined;

/** The whole lines of `buf` (with what was pending before it), masked; the rest is kept for later. */
function take(buf: Buffer, last: boolean): { out: string; rows: number } {
  if (pending) { buf = Buffer.concat([pending, buf]); pending = undefined; }
  const cut = last ? buf.length : buf.lastIndexOf(0x0a) + 1;
  if (cut < buf.length) pending = Buffer.from(buf.subarray(cut));
  if (cut === 0) return { out: '', rows: 0 };
  let text = buf.toString('utf8', 0, cut);
  if (text.endsWith('\n')) text = text.slice(0, -1);
  const lines = text.split('\n');
  let out = '';
  for (const l of lines) out += `${mask!(l)}\n`;
  return { out, rows: lines.length };
}

parentPort?.on('message', (m: MaskRequest) => {
  try {
    if (m.type === 'start') {
      pending = undefined;
      mask = lineMasker(m.rules.map((r) => r ?? undefined), { key: Buffer.from(m.key) });
      parentPort!.postMessage({ out: new Uint8Array(0), rows: 0 } satisfies MaskReply);
      return;
    }
    const r = m.type === 'chunk' ? take(Buffer.from(m.data.buffer, m.data.byteOffset, m.data.byteLength), false) : take(Buffer.alloc(0), true);
    // UTF-8 here, on this thread, and the bytes moved (not copied) to the main thread.
    const out = new Uint8Array(Buffer.from(r.out));
    parentPort!.postMessage({ out, rows: r.rows } satisfies MaskReply, [out.buffer as ArrayBuffer]);
  } catch (err) {
    pending = undefined;
    parentPort!.postMessage({ error: (err as Error).message } satisfies MaskReply);
  }
});
