/**
 * The data receipt of protocol §2: a miner commits, in its payload header, to the exact samples it
 * trained on; a validator recomputes it from the sampler's indices and the shard's sample ids, and a
 * mismatch is a penalty. Order-free (the ids are sorted) so it does not depend on batching.
 */
import { blake2b256 } from './blake2b.js';
import { u64le } from './counter-prng.js';

/**
 * BLAKE2b-256 over the ids sorted ascending (as unsigned 64-bit integers), each as `u64le`, concatenated.
 * Duplicates are kept; an empty list hashes the empty string. Throws on an id outside [0, 2^64).
 */
export function dataReceipt(sampleIds: readonly bigint[]): Uint8Array {
  const sorted = [...sampleIds].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const input = new Uint8Array(sorted.length * 8);
  sorted.forEach((id, i) => input.set(u64le(id), i * 8));
  return blake2b256(input);
}
