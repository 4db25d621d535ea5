/**
 * BLAKE2b (RFC 7693) with a configurable digest length and optional key. cohort needs BLAKE2b-256 for
 * sample ids, data receipts, the page sampler and the wire trailer; Node's crypto only offers
 * BLAKE2b-512, which is a different function (the digest length is a parameter mixed into the initial
 * state, not a truncation), so the algorithm lives here, pure and portable.
 * The hot loop is in blake2b-compress.ts; `update` compresses whole blocks in place, without copies.
 */
import { IV, compress } from './blake2b-compress.js';
import { InvalidArgumentError, expectedMessage } from './errors.js';

const BLOCK_BYTES = 128;

/** Options of {@link createBlake2b}. */
export interface Blake2bOptions {
  /** Digest length in bytes, 1..64 (default 64). BLAKE2b-256 is 32. */
  readonly outputLength?: number;
  /** Optional key for keyed hashing (MAC mode), 0..64 bytes. */
  readonly key?: Uint8Array;
}

/** An incremental BLAKE2b hash: feed bytes with `update`, finish once with `digest`. */
export interface Blake2b {
  /** Absorb more input; returns the same hasher for chaining. Throws after `digest`. */
  update(data: Uint8Array): Blake2b;
  /** The digest (`outputLength` bytes). The hasher cannot be used afterwards. */
  digest(): Uint8Array;
}

function checkLength(value: number, max: number, what: string, min: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new InvalidArgumentError(expectedMessage(`an integer in [${min}, ${max}]`, what, value), {
      reason: 'BLAKE2B_INVALID_PARAMETER',
    });
  }
}

/**
 * Start an incremental BLAKE2b hash. Use it to hash data that arrives in pieces (shard files streamed
 * in ranges); for a single buffer {@link blake2b} or {@link blake2b256} is shorter.
 */
export function createBlake2b(options: Blake2bOptions = {}): Blake2b {
  const outputLength = options.outputLength ?? 64;
  const key = options.key ?? new Uint8Array(0);
  checkLength(outputLength, 64, 'the BLAKE2b digest length', 1);
  checkLength(key.length, 64, 'the BLAKE2b key length', 0);

  const h = IV.slice();
  // Parameter block word 0: digest length, key length, fanout 1, depth 1.
  h[0] = h[0]! ^ 0x01010000 ^ (key.length << 8) ^ outputLength;
  const buffer = new Uint8Array(BLOCK_BYTES);
  let filled = 0;
  let counter = 0;
  let done = false;

  const hasher: Blake2b = {
    update(data: Uint8Array): Blake2b {
      if (done) {
        throw new InvalidArgumentError('BLAKE2b hasher used after digest()', {
          reason: 'BLAKE2B_FINISHED',
        });
      }
      let offset = 0;
      // A full buffer is compressed only once more input arrives: the last block needs the final flag.
      if (filled > 0 && filled < BLOCK_BYTES) {
        const take = Math.min(BLOCK_BYTES - filled, data.length);
        buffer.set(data.subarray(0, take), filled);
        filled += take;
        offset = take;
      }
      if (offset < data.length && filled === BLOCK_BYTES) {
        counter += BLOCK_BYTES;
        compress(h, buffer, 0, counter, false);
        filled = 0;
      }
      // Whole blocks straight from the input, keeping at least one byte back for the final block.
      while (data.length - offset > BLOCK_BYTES) {
        counter += BLOCK_BYTES;
        compress(h, data, offset, counter, false);
        offset += BLOCK_BYTES;
      }
      if (offset < data.length) {
        buffer.set(data.subarray(offset), 0);
        filled = data.length - offset;
      }
      return hasher;
    },
    digest(): Uint8Array {
      if (done) {
        throw new InvalidArgumentError('BLAKE2b digest() called twice', { reason: 'BLAKE2B_FINISHED' });
      }
      done = true;
      counter += filled;
      buffer.fill(0, filled);
      compress(h, buffer, 0, counter, true);
      const out = new Uint8Array(outputLength);
      for (let i = 0; i < outputLength; i++) out[i] = h[i >> 2]! >>> (8 * (i & 3));
      return out;
    },
  };
  if (key.length > 0) {
    const keyBlock = new Uint8Array(BLOCK_BYTES);
    keyBlock.set(key);
    hasher.update(keyBlock);
  }
  return hasher;
}

/**
 * Start an incremental BLAKE2b-256 (cohort's content hash): for objects that arrive as a stream (storage
 * backends hash uploads while they are written, before anything becomes visible). Same digest as
 * {@link blake2b256} over the concatenated input.
 */
export function createBlake2b256(): Blake2b {
  return createBlake2b({ outputLength: 32 });
}

/** BLAKE2b of one buffer with `outputLength` digest bytes (1..64) and an optional key. */
export function blake2b(data: Uint8Array, outputLength = 64, key?: Uint8Array): Uint8Array {
  return createBlake2b({ outputLength, ...(key === undefined ? {} : { key }) })
    .update(data)
    .digest();
}

/** BLAKE2b-256 (32-byte digest): cohort's content hash for sample ids, receipts, manifests and the wire. */
export function blake2b256(data: Uint8Array): Uint8Array {
  return blake2b(data, 32);
}
