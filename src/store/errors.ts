import { PgfleetError } from '../protocol/index.ts';

export const STORE_ERROR_CODES = ['PGFLEET_STORE_MIGRATION', 'PGFLEET_STORE_COPY_STALLED'] as const;
export type StoreErrorCode = (typeof STORE_ERROR_CODES)[number];

export class StoreError extends PgfleetError<StoreErrorCode> {
  override name = 'StoreError';
}
