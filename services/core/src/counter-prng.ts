/**
 * The counter-based PRNG of the data assignment (protocol §2; spec in docs/data.md): a stream of
 * uint64 words derived from a 32-byte key by BLAKE2b-256, and unbiased integers drawn from it. Being a
 * pure function of the key, anyone (a validator, `cohort explain`, another language) replays a draw
 * exactly; nothing depends on a runtime's Math.random or on how many draws happened before.
 */
import { blake2b256 } from './blake2b.js';
import { InvalidArgumentError, expectedMessage } from './errors.js';

const TWO_64 = 1n << 64n;

/** A stream of uint64 words and unbiased bounded integers from one key. */
export interface CounterPrng {
  /**
   * The next uint64 word: block i = BLAKE2b-256(key || u64le(i)) for i = 0, 1, ..., each block read
   * as four little-endian uint64 words in order.
   */
  nextU64(): bigint;
  /**
   * A uniform integer in [0, n) for 1 <= n <= 2^64, by rejection: with r = 2^64 mod n, draw words x
   * until x >= r and return x mod n. Consumes at least one word, even for n = 1.
   */
  uniform(n: bigint): bigint;
}

/** The 8-byte little-endian encoding of an unsigned 64-bit integer (the protocol's `u64le`). */
export function u64le(value: bigint): Uint8Array {
  if (value < 0n || value >= TWO_64) {
    throw new InvalidArgumentError(expectedMessage('an integer in [0, 2^64)', 'a u64', value), {
      reason: 'U64_OUT_OF_RANGE',
    });
  }
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, value, true);
  return out;
}

/** Create the PRNG of `key` (any length; the protocol's keys are 32-byte BLAKE2b-256 digests). */
export function createCounterPrng(key: Uint8Array): CounterPrng {
  const input = new Uint8Array(key.length + 8);
  input.set(key);
  const counterView = new DataView(input.buffer, key.length, 8);
  let counter = 0n;
  let block: DataView = new DataView(new ArrayBuffer(0));
  let word = 4;

  const prng: CounterPrng = {
    nextU64(): bigint {
      if (word === 4) {
        counterView.setBigUint64(0, counter, true);
        counter += 1n;
        const digest = blake2b256(input);
        block = new DataView(digest.buffer, digest.byteOffset, digest.byteLength);
        word = 0;
      }
      const value = block.getBigUint64(word * 8, true);
      word += 1;
      return value;
    },
    uniform(n: bigint): bigint {
      if (n < 1n || n > TWO_64) {
        throw new InvalidArgumentError(expectedMessage('an integer in [1, 2^64]', 'the bound n', n), {
          reason: 'SAMPLER_INVALID_INPUT',
        });
      }
      const reject = TWO_64 % n;
      for (;;) {
        const x = prng.nextU64();
        if (x >= reject) return x % n;
      }
    },
  };
  return prng;
}
