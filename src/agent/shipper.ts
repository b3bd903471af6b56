import { decodeEnvelope } from '../protocol/index.ts';
import type { Spool } from './spool.ts';
import { RejectedMessageError, type Transport } from './transport/index.ts';

export interface ShipperOptions {
  agent: string;
  namespace: string;
  /** Messages sent at once; publishes are never awaited one by one. */
  inflight?: number;
  onError?: (err: unknown) => void;
}

/**
 * Moves messages from the spool to the transport, oldest first, and removes
 * each from the spool only after the transport's ack. A failing transport is
 * retried with growing pauses; nothing is lost while it is down.
 */
export class Shipper {
  private running = false;
  private stopped = false;
  private wakeUp?: () => void;
  private loop?: Promise<void>;
  private readonly inFlight = new Set<number>();
  sent = 0;
  rejected = 0;
  corrupt = 0;

  constructor(private readonly spool: Spool, private transport: Transport, private readonly opts: ShipperOptions) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** Something was spooled: send it soon. */
  wake(): void { this.wakeUp?.(); }

  private async run(): Promise<void> {
    const inflight = this.opts.inflight ?? 256;
    let backoff = 100;
    while (!this.stopped) {
      const todo = this.spool.pending(inflight).filter((s) => !this.inFlight.has(s));
      if (todo.length === 0) {
        await new Promise<void>((r) => { this.wakeUp = r; setTimeout(r, 1000); });
        this.wakeUp = undefined;
        continue;
      }
      const results = await Promise.allSettled(todo.map((seq) => this.sendOne(seq)));
      const failed = results.filter((r) => r.status === 'rejected') as PromiseRejectedResult[];
      if (failed.length > 0) {
        this.opts.onError?.(failed[0].reason);
        await new Promise<void>((r) => { this.wakeUp = undefined; setTimeout(r, backoff); });
        backoff = Math.min(backoff * 2, 5000);
      } else backoff = 100;
    }
  }

  private async sendOne(seq: number): Promise<void> {
    this.inFlight.add(seq);
    try {
      const bytes = this.spool.read(seq);
      let env;
      try {
        env = decodeEnvelope(bytes);
      } catch (err) {
        // A damaged file can never be sent; resending would stall the spool forever.
        this.spool.remove(seq);
        this.corrupt++;
        this.opts.onError?.(new Error(`spool file of seq ${seq} is damaged and was dropped: ${(err as Error).message}`));
        return;
      }
      try {
        await this.transport.send(bytes, { agent: this.opts.agent, namespace: this.opts.namespace, type: env.type, seq });
        this.sent++;
      } catch (err) {
        if (!(err instanceof RejectedMessageError)) throw err;
        this.rejected++;
        this.opts.onError?.(err);
      }
      this.spool.remove(seq);
    } finally {
      this.inFlight.delete(seq);
    }
  }

  /** Resolves when the spool is empty (or the timeout passes: returns false). */
  async drain(timeoutMs = 30_000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.spool.stats().messages > 0) {
      if (Date.now() > deadline) return false;
      this.wake();
      await new Promise((r) => setTimeout(r, 50));
    }
    return true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.wakeUp?.();
    await this.loop;
  }
}
