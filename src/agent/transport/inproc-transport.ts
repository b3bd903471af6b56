import type { OutgoingMeta, Transport } from './transport.ts';

/** Hands messages to a function in the same process (the demo wires it to the keeper). */
export class InprocTransport implements Transport {
  readonly name = 'inproc';
  constructor(private readonly deliver: (bytes: Uint8Array, meta: OutgoingMeta) => Promise<void>) {}
  send(bytes: Uint8Array, meta: OutgoingMeta): Promise<void> { return this.deliver(bytes, meta); }
  async close(): Promise<void> {}
}
