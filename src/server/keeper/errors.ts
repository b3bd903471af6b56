import { PgfleetError } from '../../protocol/index.ts';

/** Error codes of the keeper. */
export const KEEPER_ERROR_CODES = ['PGFLEET_INGEST_REFUSED'] as const;
export type KeeperErrorCode = (typeof KEEPER_ERROR_CODES)[number];

/** One message of a batch that the keeper's checks refused: its position in the batch, code and reason. */
export interface RefusedMessage {
  index: number;
  code: string;
  reason: string;
}

/**
 * An all-or-nothing batch (`ingest(…, { isolate: false })`, the HTTP route) held messages the
 * keeper's own checks refuse: nothing of it was stored, and nothing was dead-lettered.
 */
export class IngestRefusedError extends PgfleetError<KeeperErrorCode> {
  override name = 'IngestRefusedError';
  constructor(readonly refused: RefusedMessage[]) {
    super('PGFLEET_INGEST_REFUSED', `nothing stored: ${refused.map((r) => `message ${r.index}: ${r.reason}`).slice(0, 5).join('; ')}${refused.length > 5 ? `; and ${refused.length - 5} more` : ''}`);
  }
}
