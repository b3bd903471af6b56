/** What a transport needs to know of a message besides its bytes. */
export interface OutgoingMeta {
  agent: string;
  namespace: string;
  type: string;
  seq: number;
}

/**
 * Carries encoded envelopes to the server. `send` resolves only when the
 * other side has durably accepted the message (JetStream PubAck, HTTP 200
 * after commit); the spool deletes the message then.
 */
export interface Transport {
  readonly name: string;
  send(bytes: Uint8Array, meta: OutgoingMeta): Promise<void>;
  close(): Promise<void>;
}

/** Handles a delivered command (a SignedCommand, not yet trusted) and answers at once whether it was accepted. */
export type CommandHandler = (signed: unknown) => { id: string; accepted: boolean; reason?: string };

/** A transport that also brings commands from the server (NATS request/reply, HTTPS polling, in-process). */
export interface CommandSource {
  listenCommands(agent: string, handle: CommandHandler): void;
}

export function isCommandSource(t: unknown): t is CommandSource {
  return typeof (t as Partial<CommandSource>)?.listenCommands === 'function';
}
