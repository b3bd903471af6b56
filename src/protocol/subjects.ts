/** JetStream stream that holds everything agents send. */
export const STREAM_NAME = 'PGFLEET';
/** Durable consumer that every keeper shares. */
export const KEEPER_CONSUMER = 'keepers';

export const INGEST_PREFIX = 'pgfleet.ingest';

/** `pgfleet.ingest.<namespace>.<agent>.<type>`; dots in `type` (command.result) stay, the wildcard `>` covers them. */
export function ingestSubject(namespace: string, agent: string, type: string): string {
  return `${INGEST_PREFIX}.${namespace}.${agent}.${type}`;
}

/** The namespace and agent of an ingest subject (what NATS authorized the publisher for), or undefined. */
export function parseIngestSubject(subject: string): { namespace: string; agent: string } | undefined {
  if (!subject.startsWith(`${INGEST_PREFIX}.`)) return undefined;
  const parts = subject.slice(INGEST_PREFIX.length + 1).split('.');
  return parts.length >= 3 && parts[0] && parts[1] ? { namespace: parts[0], agent: parts[1] } : undefined;
}

/** Request/reply subject for commands to one agent. */
export function commandSubject(agent: string): string {
  return `pgfleet.cmd.${agent}`;
}

/**
 * Broker-side dedup id: the unit of dedup is (agent, seq). The publisher chooses it, and JetStream
 * dedups across the whole stream: with a secret `nonce` of the agent's in it, another publisher
 * cannot send ids that make the broker drop this agent's messages as duplicates.
 */
export function messageId(agent: string, seq: number, nonce?: string): string {
  return nonce ? `${agent}:${nonce}:${seq}` : `${agent}:${seq}`;
}
