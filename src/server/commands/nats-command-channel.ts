import type { NatsConnection } from '@nats-io/transport-node';
import { commandSubject, type CommandReply, type SignedCommand } from '../../protocol/index.ts';
import type { CommandChannel } from './command-channel.ts';

/** NATS request/reply on pgfleet.cmd.<agent>; no responder means the agent is not connected now. */
export class NatsCommandChannel implements CommandChannel {
  readonly name = 'nats';
  constructor(private readonly nc: NatsConnection, private readonly timeoutMs = 5000) {}
  async deliver(agent: string, signed: SignedCommand): Promise<CommandReply | undefined> {
    try {
      const msg = await this.nc.request(commandSubject(agent), JSON.stringify(signed), { timeout: this.timeoutMs });
      return msg.json<CommandReply>();
    } catch {
      // No responders, a timeout, a lost connection: the command stays queued and is tried again.
      return undefined;
    }
  }
}
