import type { CommandHandler, CommandSource, OutgoingMeta, Transport } from './transport.ts';

/** Hands messages to a function in the same process (the demo wires it to the keeper). */
export class InprocTransport implements Transport, CommandSource {
  readonly name = 'inproc';
  /** `commands` receives the agent's command handler, so the server in the same process can deliver commands to it. */
  constructor(private readonly deliver: (bytes: Uint8Array, meta: OutgoingMeta) => Promise<void>,
    private readonly commands?: (agent: string, handle: CommandHandler) => void) {}
  listenCommands(agent: string, handle: CommandHandler): void { this.commands?.(agent, handle); }
  send(bytes: Uint8Array, meta: OutgoingMeta): Promise<void> { return this.deliver(bytes, meta); }
  async close(): Promise<void> {}
}
