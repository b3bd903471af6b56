/** JetStream stream that holds everything agents send. */
export const STREAM_NAME = 'PGFLEET';
/** Durable consumer that every keeper shares. */
export const KEEPER_CONSUMER = 'keepers';

export const INGEST_PREFIX = 'pgfleet.ingest';

/** `pgfleet.ingest.<namespace>.<agent>.<type>`; dots in `type` (command.result) stay, the wildcard `>` covers them. */
export function ingestSubject(namespace: string, agent: string, type: string): string {
  return `${INGEST_PREFIX}.${namespace}.${agent}.${type}`;
}

/** Request/reply subject for commands to one agent. */
export function commandSubject(agent: string): string {
  return `pgfleet.cmd.${agent}`;
}

/** Broker-side dedup id: the unit of dedup is (agent, seq). */
export function messageId(agent: string, seq: number): string {
  return `${agent}:${seq}`;
}
