/**
 * The chunk codec: compact, lossless encoding of one series' samples (timestamps in ms,
 * float64 values), as stored in `sample_chunks`. The layout is described in codec.ts.
 */

export { chunkInfo, decodeChunk, encodeChunk } from './codec.ts';
export { ChunkCodecError } from './errors.ts';
