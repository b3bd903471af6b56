import type { CommandReply, SignedCommand } from '../../protocol/index.ts';

/**
 * Carries a signed command to its agent and brings back the agent's immediate answer (accepted or
 * refused). `undefined`: no agent listens on this channel now; the command stays queued for
 * re-delivery, or for the agent's HTTPS poll, until it expires.
 */
export interface CommandChannel {
  readonly name: string;
  deliver(agent: string, signed: SignedCommand): Promise<CommandReply | undefined>;
}
