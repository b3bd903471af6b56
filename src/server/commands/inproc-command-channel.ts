import type { CommandReply, SignedCommand } from '../../protocol/index.ts';
import type { CommandChannel } from './command-channel.ts';

type Handler = (signed: unknown) => CommandReply;

/** Agents in the same process (the demo, tests): each registers its handler by its id. */
export class InprocCommandChannel implements CommandChannel {
  readonly name = 'inproc';
  private readonly agents = new Map<string, Handler>();
  /** What an in-process agent's transport calls (InprocTransport's `commands` argument). */
  readonly register = (agent: string, handle: Handler): void => { this.agents.set(agent, handle); };
  async deliver(agent: string, signed: SignedCommand): Promise<CommandReply | undefined> {
    // A copy through JSON, as over a wire: the agent gets no object it could share with the server.
    return this.agents.get(agent)?.(JSON.parse(JSON.stringify(signed)));
  }
}
