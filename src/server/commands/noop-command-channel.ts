import type { CommandReply } from '../../protocol/index.ts';
import type { CommandChannel } from './command-channel.ts';

/** Delivers nothing: agents take their commands by polling over HTTPS (installs without a broker). */
export class NoopCommandChannel implements CommandChannel {
  readonly name = 'none';
  async deliver(): Promise<CommandReply | undefined> { return undefined; }
}
