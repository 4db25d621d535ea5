/**
 * The few pieces of SCALE (Substrate's binary codec) cohort needs to reproduce chain-side hashes byte for
 * byte, such as subtensor's commit-reveal weights hash ({@link ScaleWriter} feeds `weightsCommitHash`).
 * Pure and dependency free, so services/core does not pull in the polkadot stack. Writing only: cohort
 * decodes chain state through the chain client, never by hand.
 *
 * Rules (https://docs.substrate.io/reference/scale-codec/): fixed-width integers are little-endian;
 * a `Vec<T>` is its compact length followed by its items; a compact integer has four modes chosen by
 * the two low bits of its first byte.
 */
import { InvalidArgumentError, expectedMessage } from './errors.js';

/** `Array.isArray` without narrowing a typed parameter to `any[]`. */
const isList = (value: unknown): boolean => Array.isArray(value);

/** The largest value a SCALE compact integer can carry: 2^536 - 1 (67 little-endian bytes). */
export const MAX_SCALE_COMPACT = (1n << 536n) - 1n;

const MAX_U64 = (1n << 64n) - 1n;

function outOfRange(expected: string, what: string, value: unknown): never {
  throw new InvalidArgumentError(expectedMessage(expected, what, value), { reason: 'SCALE_OUT_OF_RANGE' });
}

function checkUint(value: number, bits: 8 | 16 | 32, what: string): number {
  const max = 2 ** bits - 1;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0 || value > max) {
    outOfRange(`an integer in [0, ${max}]`, what, value);
  }
  return value;
}

/** A bigint from a bigint or a safe non-negative integer number, within [0, max]. */
function toBigUint(value: bigint | number, max: bigint, what: string): bigint {
  let big: bigint | undefined;
  if (typeof value === 'bigint') big = value;
  else if (typeof value === 'number' && Number.isSafeInteger(value)) big = BigInt(value);
  if (big === undefined || big < 0n || big > max) {
    outOfRange(`a bigint or safe integer in [0, ${max}]`, what, value);
  }
  return big;
}

/**
 * An append-only SCALE encoder. Each method checks its value (throwing `InvalidArgumentError` with reason
 * `SCALE_OUT_OF_RANGE`), appends its encoding and returns the writer for chaining; {@link finish}
 * returns the bytes. Use it to build exactly the bytes a pallet hashes or signs.
 */
export class ScaleWriter {
  private buffer = new Uint8Array(64);
  private length = 0;

  private reserve(extra: number): number {
    const start = this.length;
    if (start + extra > this.buffer.length) {
      const grown = new Uint8Array(Math.max(this.buffer.length * 2, start + extra));
      grown.set(this.buffer.subarray(0, start));
      this.buffer = grown;
    }
    this.length = start + extra;
    return start;
  }

  private littleEndian(value: bigint, bytes: number): this {
    const at = this.reserve(bytes);
    let rest = value;
    for (let i = 0; i < bytes; i++) {
      this.buffer[at + i] = Number(rest & 0xffn);
      rest >>= 8n;
    }
    return this;
  }

  /** A `u8`: one byte. */
  u8(value: number): this {
    return this.littleEndian(BigInt(checkUint(value, 8, 'a u8')), 1);
  }

  /** A `u16`: two bytes, little-endian (netuids, uids, weights). */
  u16(value: number): this {
    return this.littleEndian(BigInt(checkUint(value, 16, 'a u16')), 2);
  }

  /** A `u32`: four bytes, little-endian. */
  u32(value: number): this {
    return this.littleEndian(BigInt(checkUint(value, 32, 'a u32')), 4);
  }

  /** A `u64`: eight bytes, little-endian; a bigint, or a number when it is a safe integer. */
  u64(value: bigint | number): this {
    return this.littleEndian(toBigUint(value, MAX_U64, 'a u64'), 8);
  }

  /**
   * A compact integer (`Compact<T>`, and every length prefix): `v < 2^6` in one byte (`v << 2`),
   * `v < 2^14` in two (`v << 2 | 1`), `v < 2^30` in four (`v << 2 | 2`), anything larger as a byte
   * `(n - 4) << 2 | 3` followed by its n (4..67) little-endian bytes, n as small as possible.
   */
  compact(value: bigint | number): this {
    const v = toBigUint(value, MAX_SCALE_COMPACT, 'a SCALE compact integer');
    if (v < 1n << 6n) return this.littleEndian(v << 2n, 1);
    if (v < 1n << 14n) return this.littleEndian((v << 2n) | 1n, 2);
    if (v < 1n << 30n) return this.littleEndian((v << 2n) | 2n, 4);
    let n = 4;
    while (v >> BigInt(8 * n) > 0n) n += 1;
    return this.littleEndian(BigInt(((n - 4) << 2) | 3), 1).littleEndian(v, n);
  }

  /** Bytes as they are, with no length prefix: a fixed-size array such as `[u8; 32]` or `AccountId32`. */
  raw(data: Uint8Array): this {
    if (!(data instanceof Uint8Array)) outOfRange('a Uint8Array', 'raw bytes', data);
    const at = this.reserve(data.length); // may replace this.buffer: read it afterwards
    this.buffer.set(data, at);
    return this;
  }

  /** A `Vec<u8>` (SCALE `Bytes`): the compact length, then the bytes. */
  bytes(data: Uint8Array): this {
    if (!(data instanceof Uint8Array)) outOfRange('a Uint8Array', 'a Vec<u8>', data);
    return this.compact(data.length).raw(data);
  }

  /** A `Vec<u16>`: the compact length, then each value as a `u16`. */
  vecU16(values: readonly number[]): this {
    if (!isList(values)) outOfRange('an array of u16', 'a Vec<u16>', values);
    values.forEach((value, i) => checkUint(value, 16, `item ${i} of a Vec<u16>`));
    this.compact(values.length);
    for (const value of values) this.u16(value);
    return this;
  }

  /** A copy of everything written so far; the writer stays usable. */
  finish(): Uint8Array {
    return this.buffer.slice(0, this.length);
  }
}
