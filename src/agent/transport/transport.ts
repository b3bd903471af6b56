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
