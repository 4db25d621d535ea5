/**
 * The 64-bit id of a training sample (protocol §2): a content hash of its tokens, so a sample is named
 * the same in every copy of a dataset and a data receipt commits to content, not to file positions.
 */
import { blake2b256 } from './blake2b.js';

/**
 * The id's 8 bytes as stored in a shard's `.ids` file: the first 8 bytes of BLAKE2b-256 over the
 * sample's token bytes (its seqLen tokens as uint32 little-endian).
 */
export function sampleIdBytes(tokenBytes: Uint8Array): Uint8Array {
  return blake2b256(tokenBytes).subarray(0, 8);
}

/** The sample id as a number: {@link sampleIdBytes} read as a little-endian uint64. */
export function sampleId(tokenBytes: Uint8Array): bigint {
  const bytes = sampleIdBytes(tokenBytes);
  return new DataView(bytes.buffer, bytes.byteOffset, 8).getBigUint64(0, true);
}
