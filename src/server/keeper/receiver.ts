import type { TransactionSql } from 'postgres';
import type { Envelope, MessageType } from '../../protocol/index.ts';

/** A message that passed validation and dedup, with its resolved ids. */
export interface Accepted {
  env: Envelope;
  agentId: number;
  /** Set when the envelope names an instance. */
  instanceId?: number;
}

/**
 * Where the keeper routes messages. Each phase is optional:
 * `prepare` runs before the batch transaction (dictionary lookups that must survive a rollback),
 * `write` inside it, `committed` after the commit.
 */
export interface Receiver {
  readonly name: string;
  prepare?(batch: Accepted[]): Promise<void>;
  write?(tx: TransactionSql, batch: Accepted[]): Promise<void>;
  committed?(batch: Accepted[]): void | Promise<void>;
}

/** Which receivers get which message type (ARCHITECTURE.md §3), e.g. metrics → [store, live]. */
export type Routes = Partial<Record<MessageType, string[]>>;

export const DEFAULT_ROUTES: Routes = {
  metrics: ['store', 'live'],
  inventory: ['store', 'live'],
  heartbeat: ['store', 'live'],
  event: ['store', 'live'],
  statements: ['store'],
  activity: ['store'],
  settings: ['store'],
  'command.result': ['store', 'live'],
};
