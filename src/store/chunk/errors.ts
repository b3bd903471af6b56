/** Thrown for input the codec cannot encode and for bytes that are not a valid chunk. */
export class ChunkCodecError extends Error {
  override name = 'ChunkCodecError';
  readonly code = 'PGFLEET_STORE_CHUNK' as const;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Throws a ChunkCodecError with `message`. */
export function fail(message: string): never {
  throw new ChunkCodecError(message);
}
