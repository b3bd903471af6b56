// The main thread's side of mask-worker.ts: one thread per copy job, reused from table to table.
// Run from the sources, the thread loads the TypeScript worker through tsx; run from the bundle
// (dist/cli), the bundled mask-worker.js beside it.
import { Worker } from 'node:worker_threads';
import type { Rule } from '../anon/index.ts';
import type { MaskReply, MaskRequest } from './mask-worker.ts';

/** Chunks in flight to the thread: enough to keep it busy while the target takes the last ones. */
const IN_FLIGHT = 4;

function workerFor(): Worker {
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    const tsx = import.meta.resolve('tsx/esm/api');
    const entry = new URL('./mask-worker.ts', self).href;
    return new Worker(`import(${JSON.stringify(tsx)}).then((m) => m.register()).then(() => import(${JSON.stringify(entry)}))`, { eval: true });
  }
  return new Worker(new URL('./mask-worker.js', self));
}

export class MaskThread {
  private readonly worker: Worker;
  private readonly waiting: { resolve: (r: { out: Uint8Array; rows: number }) => void; reject: (e: Error) => void }[] = [];
  private failed?: Error;

  constructor() {
    this.worker = workerFor();
    this.worker.on('message', (r: MaskReply) => {
      const w = this.waiting.shift();
      if (!w) return;
      if ('error' in r) w.reject(new Error(`masking failed: ${r.error}`)); else w.resolve(r);
    });
    const fail = (err: Error): void => {
      this.failed = err;
      for (const w of this.waiting.splice(0)) w.reject(err);
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => { if (code !== 0) fail(new Error(`the masking thread exited with code ${code}`)); });
  }

  private ask(m: MaskRequest, transfer?: ArrayBuffer[]): Promise<{ out: Uint8Array; rows: number }> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.worker.postMessage(m, transfer);
    });
  }

  /** Masks a table's COPY text chunks into whole masked lines, `IN_FLIGHT` chunks ahead. */
  async *mask(chunks: AsyncIterable<Buffer>, rules: readonly (Rule | undefined)[], key: Buffer | string, onRows?: (n: number) => void): AsyncGenerator<Uint8Array> {
    await this.ask({ type: 'start', rules: rules.map((r) => r ?? null), key: new Uint8Array(Buffer.from(key)) });
    const queue: Promise<{ out: Uint8Array; rows: number }>[] = [];
    // A request whose answer is an error while an earlier one is awaited must not be an unhandled
    // rejection (the process would end): each gets a handler now; the error surfaces when its turn comes.
    const push = (p: Promise<{ out: Uint8Array; rows: number }>): void => { p.catch(() => {}); queue.push(p); };
    try {
      for await (const c of chunks) {
        // A copy of the chunk goes to the thread (the source's buffer may be pooled).
        const data = new Uint8Array(c);
        push(this.ask({ type: 'chunk', data }, [data.buffer as ArrayBuffer]));
        if (queue.length >= IN_FLIGHT) {
          const r = await queue.shift()!;
          onRows?.(r.rows);
          if (r.out.length) yield r.out;
        }
      }
      push(this.ask({ type: 'end' }));
      while (queue.length) {
        const r = await queue.shift()!;
        onRows?.(r.rows);
        if (r.out.length) yield r.out;
      }
    } finally {
      // A stopped table leaves no request unanswered for the next one.
      await Promise.allSettled(queue);
    }
  }

  /** Whether the thread started and answers (a check before the copy relies on it). */
  async ready(): Promise<boolean> {
    try {
      await this.ask({ type: 'start', rules: [], key: new Uint8Array(1) });
      await this.ask({ type: 'end' });
      return true;
    } catch {
      return false;
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }
}
