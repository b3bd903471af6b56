import type { OutgoingMeta, Transport } from './transport.ts';

/** Acks everything and sends nothing: dry runs (`pgfleet agent --dry-run`) and tests of the collectors. */
export class NoopTransport implements Transport {
  readonly name = 'noop';
  sent = 0;
  /** `onSend` sees each message, e.g. to print what a dry run collected. */
  constructor(private readonly onSend?: (bytes: Uint8Array, meta: OutgoingMeta) => void) {}
  async send(bytes: Uint8Array, meta: OutgoingMeta): Promise<void> {
    this.sent++;
    this.onSend?.(bytes, meta);
  }
  async close(): Promise<void> {}
}
